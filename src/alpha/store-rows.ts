import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { SinkTarget } from '../recorder/config.ts';
import { openTarget } from '../recorder/query.ts';
import type { AuditRows, RunRecord } from '../recorder/rows.ts';
import type { Store } from '../recorder/store.ts';

/** One row of audit.alpha_gate_log (ts: ns since 1970 as a decimal string, exact). */
export type GateRow = Omit<AuditRows['alpha_gate_log'], 'ts'> & { ts: string };

/** Rows of one validation for the store: its hft.runs row (kind 'alpha') and one audit row per gate. */
export interface StoreRows {
  run_id: string;
  gates: GateRow[];
  run: RunRecord;
}

/** Where the rows went: the store, or the pending folder (store busy or down) until a later command. */
export interface StoreWrite {
  written: boolean;
  /** The store (directory or server URL). */
  location: string;
  /** Pending runs of earlier commands written now. */
  flushed: number;
  /** Why not written (the rows are in `pending`). */
  reason?: string;
  pending?: string;
}

const str = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/**
 * Writes a validation's rows to the project's store (embedded or server). When the store cannot be
 * opened (another process owns the embedded directory, the server is down), the rows are kept in
 * `<experiments>/pending/<run_id>.json` and written by the next command that opens the store, so
 * none is lost. Rows pending from earlier commands are written first.
 */
export async function writeStoreRows(
  target: SinkTarget,
  experimentsDir: string,
  rows: StoreRows,
): Promise<StoreWrite> {
  const pendingDir = path.join(experimentsDir, 'pending');
  const location = target.server?.url ?? target.dataDir;
  let store: Store;
  try {
    store = await openTarget(target.server ? target : target.dataDir);
  } catch (err) {
    mkdirSync(pendingDir, { recursive: true });
    const file = path.join(pendingDir, `${rows.run_id}.json`);
    writeFileSync(file, `${JSON.stringify(rows)}\n`);
    return {
      written: false,
      location,
      flushed: 0,
      reason: String((err as Error).message).split('\n')[0],
      pending: file,
    };
  }
  try {
    let flushed = 0;
    if (existsSync(pendingDir)) {
      for (const f of readdirSync(pendingDir)
        .filter((x) => x.endsWith('.json'))
        .sort()) {
        const file = path.join(pendingDir, f);
        await insertRows(store, JSON.parse(readFileSync(file, 'utf8')) as StoreRows);
        rmSync(file);
        flushed++;
      }
    }
    await insertRows(store, rows);
    return { written: true, location, flushed };
  } finally {
    await store.close();
  }
}

async function insertRows(store: Store, rows: StoreRows): Promise<void> {
  const r = rows.run;
  const ns = (ms: number) => (ms === 0 ? 0n : BigInt(ms) * 1_000_000n);
  await store.exec(
    'INSERT INTO hft.runs (run, revision, kind, config_hash, config, code_version, host, pid, start_ts, end_ts, symbols, summary) VALUES ' +
      `(${str(rows.run_id)}, ${r.revision}, ${str(r.kind)}, ${str(r.configHash)}, ${str(r.config)}, ${str(r.codeVersion)}, ` +
      `${str(r.host)}, ${r.pid}, ${ns(r.startMs)}, ${ns(r.endMs)}, [${r.symbols.map(str).join(', ')}], ${str(r.summary)})`,
  );
  if (rows.gates.length === 0) return;
  const values = rows.gates
    .map(
      (g) =>
        `(${BigInt(g.ts)}, ${str(g.alpha_id)}, ${str(g.run_id)}, ${str(g.gate)}, ${g.passed ? 1 : 0}, ${str(g.config_hash)}, ${str(g.details)}, ${str(g.run_id)})`,
    )
    .join(', ');
  await store.exec(
    `INSERT INTO audit.alpha_gate_log (ts, alpha_id, run_id, gate, passed, config_hash, details, run) VALUES ${values}`,
  );
}
