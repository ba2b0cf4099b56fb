import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { type BacktestConfig, loadBacktestData } from '../backtest/runner.ts';
import { UserError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import type { SinkTarget } from '../recorder/config.ts';
import { runIdentity, runRecord } from '../services/run-identity.ts';
import { BacktestGate } from './gates/backtest.ts';
import { type AlphaTestsResult, CorrectnessGate, runAlphaTests } from './gates/correctness.ts';
import { FeasibilityGate } from './gates/feasibility.ts';
import { type GateResult, skippedGate } from './gates/gate.ts';
import { ExperimentLedger, LEDGER_METRICS, writeJson } from './ledger.ts';
import { ALPHAS_DIR, findAlpha } from './registry.ts';
import { sampleSignals } from './signal-path.ts';
import { type StoreWrite, writeStoreRows } from './store-rows.ts';
import { type ValidationConfig, ValidationContext } from './validation-context.ts';

export interface ValidateOptions {
  root: string;
  alphaId: string;
  /** Data paths (absolute, or relative to the project root). */
  data: string[];
  config: ValidationConfig;
  backtest: BacktestConfig;
  log: Logger;
  /** The experiment ledger's folder (absolute). */
  experimentsDir: string;
  /** The store for the audit rows; null: none (the rows stay pending in the ledger folder). */
  store: SinkTarget | null;
  /** Wall clock, ms (tests). */
  nowMs?: number;
}

/** `hft alpha validate`'s result (the original's keys, and ours). */
export interface ValidationResult {
  alpha_id: string;
  passed: boolean;
  gate_a: GateResult;
  gate_b: GateResult;
  gate_c: GateResult;
  run_id: string;
  config_hash: string;
  scorecard_path: string | null;
  experiment_meta_path: string;
  store: StoreWrite | null;
  elapsed_s: Record<string, number>;
  /**
   * CPU time of this process (every thread, user + system) per step of elapsed_s: what a step
   * costs whatever else the machine runs. Gate B's test process is not in it.
   */
  cpu_s: Record<string, number>;
}

/** The signals kept in the ledger: the value as of every second of data time with events. */
const SIGNAL_SAMPLE_NS = 1e9;

/**
 * Runs Gates A–C on an alpha over recorded data and records the validation as an experiment run:
 * each gate's report in the alpha's folder, the run in the ledger, a row per gate in
 * audit.alpha_gate_log. Gate C runs only when A and B passed.
 */
export async function validateAlpha(o: ValidateOptions): Promise<ValidationResult> {
  // Gate B's test run is a child process of its own: started first, it loads its platform and runs
  // while this process loads the alpha and the data. Stopped if the validation stops.
  const stop = new AbortController();
  try {
    return await validate(o, startAlphaTests(o, stop.signal));
  } finally {
    stop.abort();
  }
}

/** The alpha's tests, started now; null when skipped or when the id names no folder of its own. */
function startAlphaTests(o: ValidateOptions, signal: AbortSignal): Promise<AlphaTestsResult> | null {
  if (o.config.skipGateBTests) return null;
  const id = o.alphaId;
  const dir = path.join(o.root, ALPHAS_DIR, id);
  // findAlpha decides whether the id is an alpha; a path-like id or a missing folder waits for it.
  if (!/^[A-Za-z0-9][\w-]*$/.test(id) || !existsSync(dir)) return null;
  return runAlphaTests(o.root, dir, o.config.testTimeoutS, signal);
}

async function validate(
  o: ValidateOptions,
  tests: Promise<AlphaTestsResult> | null,
): Promise<ValidationResult> {
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const elapsed: Record<string, number> = {};
  const cpu: Record<string, number> = {};
  let cpuAt = cpu0;
  const lap = (name: string, since: number) => {
    elapsed[name] = Math.round(performance.now() - since) / 1000;
    cpu[name] = cpuSeconds(process.cpuUsage(cpuAt));
    cpuAt = process.cpuUsage();
    return performance.now();
  };
  const entry = await findAlpha(o.root, o.alphaId);
  let t = lap('alpha', t0);
  const data = o.data.map((p) => path.resolve(o.root, p));
  const replay = await loadBacktestData(o.backtest, data);
  if (new Set(replay.streams.map((st) => st.symbolId)).size !== 1) {
    const got = replay.sources.map((s) => `${path.basename(s.source)}: ${s.symbol}`).join(', ');
    throw new UserError(`--data: give the data of one symbol (got ${got})`);
  }
  const ctx = new ValidationContext(o.root, entry, data, replay, o.config, o.backtest, o.log);
  t = lap('load', t);

  const cfg = o.config;
  const s = o.backtest.settings;
  const config = {
    alpha_id: entry.id,
    code_sha256: createHash('sha256').update(readFileSync(entry.file)).digest('hex'),
    alpha_params: cfg.alphaParams,
    mapping: {
      threshold: cfg.signalThreshold,
      max_position: cfg.maxPosition,
      hold_ms: cfg.holdMs,
      execution: cfg.execution,
      min_interval_ms: cfg.minIntervalMs,
    },
    models: { ...cfg.models, latency: s.sim.latency, feed_latency_us: s.feed.latency_us },
    data: data.map((p) => ({ file: path.basename(p), bytes: fileSize(p) })),
    split: { is_oos_split: cfg.isOosSplit, bar_s: cfg.barS, ic_horizons_s: cfg.icHorizonsS },
    capital: cfg.capital,
  };
  // A run of kind 'alpha' (hft.runs): its id, and config_hash = SHA-256 of the canonical config.
  const identity = runIdentity('alpha', config, undefined, o.nowMs ?? Date.now());
  const hash = identity.configHash;
  const runId = identity.id;
  const ledger = new ExperimentLedger(o.experimentsDir);

  const gateA = new FeasibilityGate();
  const gateB = new CorrectnessGate(tests);
  const gateC = new BacktestGate(ledger.otherTrials(entry.id, hash));
  const a = await gateA.run(ctx);
  t = lap('gate_a', t);
  const b = await gateB.run(ctx);
  t = lap('gate_b', t);
  const c =
    a.passed && b.passed
      ? await gateC.run(ctx)
      : skippedGate(gateC.name, 'Gate A or Gate B failed', {
          gate_a_passed: a.passed,
          gate_b_passed: b.passed,
        });
  t = lap('gate_c', t);
  const passed = a.passed && b.passed && c.passed;

  for (const [gate, r] of [
    [gateA, a],
    [gateB, b],
    [gateC, c],
  ] as const)
    writeJson(path.join(entry.dir, gate.reportFile), {
      alpha_id: entry.id,
      run_id: runId,
      config_hash: hash,
      ...r,
    });
  const art = gateC.artifacts;
  const scorecardPath = art === null ? null : path.join(entry.dir, 'scorecard.json');
  if (art !== null && scorecardPath !== null)
    writeJson(scorecardPath, { alpha_id: entry.id, run_id: runId, config_hash: hash, ...art.scorecard });

  const metrics: Record<string, number | null> = {};
  if (art !== null)
    for (const k of LEDGER_METRICS)
      metrics[k] = (art.scorecard as unknown as Record<string, number | null>)[k];
  const signals = sampleSignals(ctx.signals(), SIGNAL_SAMPLE_NS);
  const epoch = replay.epoch;
  const result: Omit<ValidationResult, 'store' | 'experiment_meta_path' | 'elapsed_s' | 'cpu_s'> = {
    alpha_id: entry.id,
    passed,
    gate_a: a,
    gate_b: b,
    gate_c: c,
    run_id: runId,
    config_hash: hash,
    scorecard_path: scorecardPath,
  };
  const written = ledger.write(
    {
      run_id: runId,
      alpha_id: entry.id,
      config_hash: hash,
      timestamp: new Date(identity.startMs).toISOString(),
      code_version: identity.codeVersion,
      data_paths: data,
      config,
      metrics,
      gate_status: { gate_a: a.passed, gate_b: b.passed, gate_c: c.passed },
      passed,
    },
    {
      scorecard: art?.scorecard ?? null,
      backtestReport: c,
      report: { ...result, manifest: entry.manifest, fills: art?.fills ?? [] },
      signals: { epoch, ts: signals.ts, columns: { signal: signals.signal, mid: signals.mid } },
      equity:
        art === null
          ? null
          : {
              epoch,
              ts: art.equity.ts,
              columns: { equity: art.equity.equity, position: art.equity.position },
            },
      fills:
        art === null
          ? null
          : {
              epoch,
              ts: art.fills.map((f) => f.exchTs),
              columns: {
                side: art.fills.map((f) => f.side),
                price: art.fills.map((f) => f.price),
                qty: art.fills.map((f) => f.qty),
                taker: art.fills.map((f) => (f.taker ? 1 : 0)),
                fee: art.fills.map((f) => f.fee),
              },
            },
    },
  );
  t = lap('ledger', t);
  const ts = String(BigInt(identity.startMs) * 1_000_000n);
  const gateRows = [
    [gateA, a],
    [gateB, b],
    [gateC, c],
  ].map(([g, r]) => ({
    ts,
    alpha_id: entry.id,
    run_id: runId,
    gate: (g as { id: string }).id,
    passed: (r as GateResult).passed,
    config_hash: hash,
    details: JSON.stringify((r as GateResult).details),
  }));
  const store =
    o.store === null
      ? null
      : await writeStoreRows(o.store, o.experimentsDir, {
          run_id: runId,
          gates: gateRows,
          run: runRecord(identity, [ctx.symbol.code], {
            endMs: Date.now(),
            summary: JSON.stringify({
              alpha_id: entry.id,
              passed,
              gate_status: { gate_a: a.passed, gate_b: b.passed, gate_c: c.passed },
              metrics,
            }),
          }),
        });
  lap('store', t);
  elapsed.total = Math.round(performance.now() - t0) / 1000;
  cpu.total = cpuSeconds(process.cpuUsage(cpu0));
  return {
    ...result,
    experiment_meta_path: path.join(written.dir, 'meta.json'),
    store,
    elapsed_s: elapsed,
    cpu_s: cpu,
  };
}

function cpuSeconds(u: NodeJS.CpuUsage): number {
  return Math.round((u.user + u.system) / 1000) / 1000;
}

function fileSize(p: string): number | null {
  try {
    return statSync(p).size;
  } catch {
    return null;
  }
}
