import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { Rng } from '../../core/rng.ts';
import { EV_LAST, type EventColumns } from '../../venues/replay/event-columns.ts';
import type { Alpha } from '../sdk.ts';
import { computeSignals, type SignalSeries } from '../signal-path.ts';
import type { ValidationContext } from '../validation-context.ts';
import type { Gate, GateResult } from './gate.ts';

const TEST_FILE = /\.test\.[mc]?[jt]s$/;
const FROM_SOURCE = import.meta.url.endsWith('.ts');

/** The first row where two signal series differ (NaN equals NaN), or null. */
export interface Difference {
  row: number;
  exch_ts: string;
  expected: number | null;
  got: number | null;
}

/**
 * Gate B — correctness. Three checks, all must pass:
 * - the alpha's own tests (`tests/*.test.ts`, node:test) run in a child process in the project
 *   folder and pass; no test folder, or no test in it, fails;
 * - look-ahead: the data cut at random message ends (seeded), a fresh alpha's signal at every event
 *   before the cut equals its signal on the whole data;
 * - determinism: two instances fed the same events in lockstep give the same signals.
 */
export class CorrectnessGate implements Gate<ValidationContext> {
  readonly id = 'B';
  readonly name = 'Gate B';
  readonly reportFile = 'correctness_report.json';

  async run(ctx: ValidationContext): Promise<GateResult> {
    const cfg = ctx.config;
    // The child process works while this one checks the signals.
    const tests = cfg.skipGateBTests
      ? Promise.resolve({ skipped: true, reason: 'skip_gate_b_tests=true', passed: true })
      : runAlphaTests(ctx.root, ctx.entry.dir, cfg.testTimeoutS);
    const lookAhead = lookAheadCheck(ctx);
    const determinism = determinismCheck(ctx);
    const t = await tests;
    return {
      gate: this.name,
      passed: t.passed && lookAhead.passed && determinism.passed,
      details: { tests: t, look_ahead: lookAhead, determinism },
    };
  }
}

/** Runs the alpha's tests with node:test in a child process (cwd: the project root). */
export function runAlphaTests(
  root: string,
  dir: string,
  timeoutS: number,
): Promise<Record<string, unknown> & { passed: boolean }> {
  const testDir = path.join(dir, 'tests');
  if (!existsSync(testDir))
    return Promise.resolve({ passed: false, error: `no tests folder: ${path.relative(root, testDir)}` });
  const files = readdirSync(testDir)
    .filter((f) => TEST_FILE.test(f))
    .sort()
    .map((f) => path.relative(root, path.join(testDir, f)));
  if (files.length === 0)
    return Promise.resolve({ passed: false, error: `no *.test.ts file in ${path.relative(root, testDir)}` });
  const register = new URL(FROM_SOURCE ? '../test-register.ts' : '../test-register.js', import.meta.url).href;
  const args = [
    ...(FROM_SOURCE ? ['--import', import.meta.resolve('tsx')] : []),
    '--import',
    register,
    '--test',
    '--test-concurrency=1',
    ...files,
  ];
  const command = ['node', ...args.map((a) => (a.startsWith('file:') ? path.basename(a) : a))].join(' ');
  return new Promise((resolve) => {
    // Without NODE_TEST_CONTEXT: inherited from a parent test run it turns the child into that run's
    // reporter (its failures then exit 0).
    const { NODE_TEST_CONTEXT: _, ...env } = process.env;
    const child = spawn(process.execPath, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    // Top-level TAP results, read as they come (the tail alone may not hold them).
    let line = '';
    const failed: string[] = [];
    let okCount = 0;
    child.stdout.on('data', (b: Buffer) => {
      const text = b.toString();
      out = (out + text).slice(-8000);
      const lines = (line + text).split('\n');
      line = lines.pop() ?? '';
      for (const l of lines) {
        const m = /^(not ok|ok) \d+ - (.*)$/.exec(l);
        if (m === null) continue;
        if (m[1] === 'ok') okCount++;
        else failed.push(m[2]);
      }
    });
    child.stderr.on('data', (b: Buffer) => {
      err = (err + b.toString()).slice(-4000);
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutS * 1000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({
        passed: !timedOut && code === 0,
        command,
        files,
        returncode: code,
        tests_passed: okCount,
        failed_tests: failed,
        ...(timedOut ? { error: `timeout after ${timeoutS} s` } : {}),
        stdout_tail: out.slice(-4000),
        stderr_tail: err.slice(-2000),
      });
    });
  });
}

/**
 * Look-ahead check: cuts the data at seeded random message ends (a copy that ends there: nothing
 * after the cut is reachable); a fresh alpha's signal at every event before a cut must not change.
 * `build` makes the alpha for the data it will run on (the alphas of a project ignore it; a test's
 * alpha that reads the data itself sees the cut data).
 */
export function lookAheadCheck(
  ctx: Pick<ValidationContext, 'columns' | 'symbol' | 'config' | 'signals' | 'newAlpha'>,
  build: (data: EventColumns) => Alpha = () => ctx.newAlpha(),
): { passed: boolean } & Record<string, unknown> {
  const c = ctx.columns;
  const full = ctx.signals();
  const rng = new Rng(ctx.config.seed);
  const cuts: number[] = [];
  for (let k = 0; k < ctx.config.lookaheadCuts; k++) {
    let cut = 1 + Math.floor(rng.next() * c.n);
    while (cut > 1 && (c.flags[cut - 1] & EV_LAST) === 0) cut--;
    cuts.push(cut);
  }
  const results = cuts.map((cut) => {
    const data = truncateColumns(c, cut);
    const part = computeSignals([build(data)], data, ctx.symbol)[0];
    // The rows before the cut: those whose source event is before it.
    let rows = 0;
    while (rows < full.n && full.source[rows] < cut) rows++;
    const diff = firstDifference(full, part, Math.max(rows, part.n));
    return { cut_event: cut, cut_exch_ts: c.epoch.toIso(c.exchTs[cut - 1]), rows: part.n, difference: diff };
  });
  return { passed: results.every((r) => r.difference === null), seed: ctx.config.seed, cuts: results };
}

/** The first `n` events of `c`, in arrays that end there. */
export function truncateColumns(c: EventColumns, n: number): EventColumns {
  return {
    ...c,
    n,
    kind: c.kind.slice(0, n),
    side: c.side.slice(0, n),
    exchTs: c.exchTs.slice(0, n),
    localTs: c.localTs.slice(0, n),
    price: c.price.slice(0, n),
    qty: c.qty.slice(0, n),
    flags: c.flags.slice(0, n),
  };
}

/** Determinism check: two instances in lockstep over the same events. */
export function determinismCheck(
  ctx: Pick<ValidationContext, 'columns' | 'symbol' | 'newAlpha'>,
): { passed: boolean } & Record<string, unknown> {
  const [a, b] = computeSignals([ctx.newAlpha(), ctx.newAlpha()], ctx.columns, ctx.symbol);
  const diff = firstDifference(a, b, Math.max(a.n, b.n));
  return { passed: diff === null, rows: a.n, difference: diff };
}

/** First row < n where the two series differ (a missing row counts as a difference). */
export function firstDifference(x: SignalSeries, y: SignalSeries, n: number): Difference | null {
  for (let i = 0; i < n; i++) {
    const a = i < x.n ? x.signal[i] : undefined;
    const b = i < y.n ? y.signal[i] : undefined;
    if (a === b || (a !== undefined && b !== undefined && Number.isNaN(a) && Number.isNaN(b))) continue;
    const ts = i < x.n ? x.exchTs[i] : y.exchTs[i];
    return {
      row: i,
      exch_ts: x.epoch.toIso(ts),
      expected: a === undefined || Number.isNaN(a) ? null : a,
      got: b === undefined || Number.isNaN(b) ? null : b,
    };
  }
  return null;
}
