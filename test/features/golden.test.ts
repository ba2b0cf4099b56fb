/**
 * Golden files of every registered feature set over real TAIFEX data: a hash of the whole output
 * plus a few sampled rows, in test/features/golden/<set>@<version>.json. A set whose output
 * changes must get a new version. Regenerate after bumping the version:
 *   HFT_UPDATE_GOLDEN=1 node --import tsx --test test/features/golden.test.ts
 * The hash is over values rounded to 10 significant digits; when only it differs and every
 * per-feature sum and sampled value agrees to 1e-9, the change is a rounding-level one (a kernel
 * computed differently, not something else): HFT_UPDATE_GOLDEN=force rewrites the file in place.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { FeatureEngine } from '../../src/features/feature-engine.ts';
import type { FeatureSetSpec } from '../../src/features/feature-set.ts';
import { ROW_RESET, replayFeatures } from '../../src/features/replay-features.ts';
import { FEATURE_SETS } from '../../src/features/sets.ts';
import { readAny } from '../../src/venues/replay/read-any.ts';
import { repoRoot } from '../helpers/symbols.ts';
import { dataFile, requireData } from '../venues/replay/data-dir.ts';

const DATA = 'taifex-txf-20260408.parquet';
const GOLDEN_DIR = path.join(repoRoot, 'test/features/golden');
/** Digits kept when hashing; the per-feature sums and samples are compared to 1e-9 relative. */
const DIGITS = 10;
const SAMPLES = 8;
const TOLERANCE = 1e-9;
const REGEN = 'HFT_UPDATE_GOLDEN=1 node --import tsx --test test/features/golden.test.ts';

interface FeatureStats {
  nan: number;
  sum: number;
  sum_abs: number;
  sum_sq: number;
}

interface Golden {
  set: string;
  version: number;
  data: string;
  features: string[];
  rows: number;
  sha256: string;
  stats: Record<string, FeatureStats>;
  /** exch_ts: exact ns since 1970, as a decimal string. */
  samples: { row: number; exch_ts: string; values: Record<string, number | null> }[];
}

const fmt = (v: number) => (Number.isNaN(v) ? 'nan' : v.toPrecision(DIGITS));

async function compute(set: FeatureSetSpec): Promise<Golden> {
  const data = await readAny(dataFile(DATA));
  const c = data.columns;
  const engine = new FeatureEngine(set, [{ ticks: [{ below: Number.POSITIVE_INFINITY, tick: data.tick }] }]);
  const values = engine.values(0);
  const names = engine.names;
  const hash = createHash('sha256').update(`${names.join(',')}\n`);
  const stats = names.map(() => ({ nan: 0, sum: 0, sum_abs: 0, sum_sq: 0 }));
  const rows: { exchTs: string; values: Float64Array }[] = [];
  replayFeatures(c, engine, (kind, i) => {
    if (kind === ROW_RESET) return;
    const exchTs = c.epoch.toAbs(c.exchTs[i]).toString();
    let line = `${kind},${exchTs}`;
    for (let k = 0; k < values.length; k++) {
      const v = values[k];
      line += `,${fmt(v)}`;
      if (Number.isNaN(v)) stats[k].nan++;
      else {
        stats[k].sum += v;
        stats[k].sum_abs += Math.abs(v);
        stats[k].sum_sq += v * v;
      }
    }
    hash.update(`${line}\n`);
    rows.push({ exchTs, values: values.slice() });
  });
  const samples = [];
  for (let s = 1; s <= SAMPLES; s++) {
    const row = Math.floor((s * rows.length) / (SAMPLES + 1));
    const byName: Record<string, number | null> = {};
    names.forEach((n, k) => {
      byName[n] = Number.isNaN(rows[row].values[k]) ? null : rows[row].values[k];
    });
    samples.push({ row, exch_ts: rows[row].exchTs, values: byName });
  }
  return {
    set: set.id,
    version: set.version,
    data: DATA,
    features: [...names],
    rows: rows.length,
    sha256: hash.digest('hex'),
    stats: Object.fromEntries(names.map((n, k) => [n, stats[k]])),
    samples,
  };
}

const near = (a: number, b: number, scale: number) =>
  Math.abs(a - b) <= TOLERANCE * Math.max(Math.abs(a), Math.abs(b), scale);

/** What differs beyond rounding (empty when the change is at rounding level only). */
function realChanges(want: Golden, have: Golden): string[] {
  if (want.rows !== have.rows) return [`row count ${want.rows} -> ${have.rows}`];
  if (want.features.join() !== have.features.join())
    return [`features [${want.features}] -> [${have.features}]`];
  const out: string[] = [];
  for (const name of want.features) {
    const a = want.stats[name];
    const b = have.stats[name];
    if (a.nan !== b.nan) out.push(`${name}: ${a.nan} -> ${b.nan} NaN rows`);
    else if (!near(a.sum, b.sum, a.sum_abs) || !near(a.sum_abs, b.sum_abs, 0) || !near(a.sum_sq, b.sum_sq, 0))
      out.push(`${name}: sum ${a.sum} -> ${b.sum}, sum of squares ${a.sum_sq} -> ${b.sum_sq}`);
  }
  want.samples.forEach((s, i) => {
    for (const [name, v] of Object.entries(s.values)) {
      const now = have.samples[i].values[name];
      if (v === null || now === null ? v !== now : !near(v, now, 0))
        out.push(`row ${s.row} ${name}: ${v} -> ${now}`);
    }
  });
  return out;
}

describe(`feature set versions are pinned by golden output on ${DATA}`, requireData(), () => {
  for (const set of Object.values(FEATURE_SETS)) {
    test(`${set.id}@${set.version}`, async () => {
      const file = path.join(GOLDEN_DIR, `${set.id}@${set.version}.json`);
      const have = await compute(set);
      const mode = process.env.HFT_UPDATE_GOLDEN;
      const want: Golden | null = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : null;
      if (mode && (want === null || mode === 'force' || want.sha256 === have.sha256)) {
        writeFileSync(file, `${JSON.stringify(have, null, 2)}\n`);
        for (const old of readdirSync(GOLDEN_DIR)) {
          if (old.startsWith(`${set.id}@`) && old !== path.basename(file)) rmSync(path.join(GOLDEN_DIR, old));
        }
        return;
      }
      assert.ok(want !== null, `no golden file for ${set.id}@${set.version}: generate it with\n  ${REGEN}`);
      if (want.sha256 === have.sha256) return;
      const changes = realChanges(want, have);
      assert.ok(
        changes.length === 0,
        `feature set ${set.id} changed its output but is still version ${set.version}: ${changes.slice(0, 5).join('; ')}.\n` +
          `Bump 'version' of ${set.id} in src/features/sets.ts, then regenerate:\n  ${REGEN}`,
      );
      assert.fail(
        `feature set ${set.id}@${set.version}: the output differs from its golden file only at rounding level ` +
          `(within ${TOLERANCE} relative). If you changed how a kernel computes, not what, regenerate in place:\n` +
          `  HFT_UPDATE_GOLDEN=force node --import tsx --test test/features/golden.test.ts`,
      );
    });
  }
});
