import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
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

  /**
   * `tests`: the alpha's test run when the caller started it already (runAlphaTests, e.g. while
   * the data loads); else run() starts it.
   */
  constructor(private readonly tests: Promise<AlphaTestsResult> | null = null) {}

  async run(ctx: ValidationContext): Promise<GateResult> {
    const cfg = ctx.config;
    // The child process works while this one checks the signals.
    const tests = cfg.skipGateBTests
      ? Promise.resolve({ skipped: true, reason: 'skip_gate_b_tests=true', passed: true })
      : (this.tests ?? runAlphaTests(ctx.root, ctx.entry.dir, cfg.testTimeoutS));
    const { look_ahead, determinism } = signalChecks(ctx);
    const t = await tests;
    return {
      gate: this.name,
      passed: t.passed && look_ahead.passed && determinism.passed,
      details: { tests: t, look_ahead, determinism },
    };
  }
}

/** What the alpha's test run found (Gate B's `tests` entry). */
export type AlphaTestsResult = Record<string, unknown> & { passed: boolean };

/**
 * Runs the alpha's tests (`tests/*.test.ts`, in name order) with node:test in one child process
 * (cwd: the project root; see alpha-tests-main.ts) and reads its TAP: they pass when the process
 * exits 0 after its summary, at least one test ran and none failed or was cancelled. `signal`
 * kills the child (the validation stopped); `timeoutS` too, as a failure.
 */
export function runAlphaTests(
  root: string,
  dir: string,
  timeoutS: number,
  signal?: AbortSignal,
): Promise<AlphaTestsResult> {
  const testDir = path.join(dir, 'tests');
  if (!existsSync(testDir))
    return Promise.resolve({ passed: false, error: `no tests folder: ${path.relative(root, testDir)}` });
  const files = readdirSync(testDir)
    .filter((f) => TEST_FILE.test(f))
    .sort()
    .map((f) => path.relative(root, path.join(testDir, f)));
  if (files.length === 0)
    return Promise.resolve({ passed: false, error: `no *.test.ts file in ${path.relative(root, testDir)}` });
  const main = new URL(FROM_SOURCE ? './alpha-tests-main.ts' : './alpha-tests-main.js', import.meta.url).href;
  const args = [
    ...(FROM_SOURCE ? ['--import', import.meta.resolve('tsx')] : []),
    '--test-reporter=tap',
    fileURLToPath(main),
    ...files,
  ];
  const command = ['node', ...args.map((a) => (/^(file:|\/)/.test(a) ? path.basename(a) : a))].join(' ');
  return new Promise((resolve) => {
    // Without NODE_TEST_CONTEXT: inherited from a parent test run it turns the child into that run's
    // reporter (its failures then exit 0).
    const { NODE_TEST_CONTEXT: _, ...env } = process.env;
    const started = performance.now();
    const child = spawn(process.execPath, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    // Top-level TAP results and the summary, read as they come (the tail alone may not hold them).
    let line = '';
    const failed: string[] = [];
    let okCount = 0;
    const summary: Record<string, number> = {};
    child.stdout.on('data', (b: Buffer) => {
      const text = b.toString();
      out = (out + text).slice(-8000);
      const lines = (line + text).split('\n');
      line = lines.pop() ?? '';
      for (const l of lines) {
        const m = /^(not ok|ok) \d+ - (.*)$/.exec(l);
        if (m !== null) {
          // A todo test that fails is reported `not ok ... # TODO` and fails nothing, as in node:test.
          if (m[1] === 'ok') okCount++;
          else if (!/ # (TODO|SKIP)\b/i.test(m[2])) failed.push(m[2]);
          continue;
        }
        const s = /^# (tests|pass|fail|cancelled) (\d+)$/.exec(l);
        if (s !== null) summary[s[1]] = Number(s[2]);
      }
    });
    child.stderr.on('data', (b: Buffer) => {
      err = (err + b.toString()).slice(-4000);
    });
    let stopped: string | null = null;
    const kill = (why: string) => {
      stopped ??= why;
      child.kill('SIGKILL');
    };
    const timer = setTimeout(() => kill(`timeout after ${timeoutS} s`), timeoutS * 1000);
    const onAbort = () => kill('validation stopped');
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
    let spawnError: Error | null = null;
    child.on('error', (e) => {
      spawnError = e;
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      const ran = summary.tests ?? 0;
      const error =
        stopped ??
        (spawnError === null ? null : `cannot run node: ${(spawnError as Error).message}`) ??
        (summary.tests === undefined
          ? code === 0
            ? 'no test reported (none defined, or the process exited before its report)'
            : 'the test process ended before its summary'
          : ran === 0
            ? 'no test reported (none defined, or the process exited before its report)'
            : null);
      resolve({
        passed: error === null && code === 0 && failed.length === 0 && !summary.fail && !summary.cancelled,
        command,
        files,
        returncode: code,
        tests_passed: okCount,
        failed_tests: failed,
        ...(error === null ? {} : { error }),
        elapsed_s: Math.round(performance.now() - started) / 1000,
        stdout_tail: out.slice(-4000),
        stderr_tail: err.slice(-2000),
      });
    });
  });
}

/** Gate B's checks on the data (see signalChecks). */
export interface SignalChecks {
  look_ahead: { passed: boolean } & Record<string, unknown>;
  determinism: { passed: boolean } & Record<string, unknown>;
}

/**
 * Gate B's checks on the data, against the research signals (ctx.signals(), computed alone):
 * - look-ahead: the data cut at `lookaheadCuts` seeded random message ends; a fresh alpha fed the
 *   events before a cut must give the same signal at every one of them;
 * - determinism: two fresh instances fed the same events in lockstep give the same signals.
 * Every instance of both checks runs in one pass of the book and the feature kernels over the data,
 * each alpha fed only its own events (those before its cut). `build` makes an alpha for the data it
 * runs on: a copy that ends at the cut, so an alpha that reads its data cannot see past it (the
 * alphas of a project never see the data: without `build`, ctx.newAlpha() and no copies).
 */
export function signalChecks(
  ctx: Pick<ValidationContext, 'columns' | 'symbol' | 'config' | 'signals' | 'newAlpha'>,
  build?: (data: EventColumns) => Alpha,
): SignalChecks {
  const c = ctx.columns;
  const full = ctx.signals();
  const rng = new Rng(ctx.config.seed);
  const cuts: number[] = [];
  for (let k = 0; k < ctx.config.lookaheadCuts; k++) {
    let cut = 1 + Math.floor(rng.next() * c.n);
    while (cut > 1 && (c.flags[cut - 1] & EV_LAST) === 0) cut--;
    cuts.push(cut);
  }
  const make = (cut: number) =>
    build === undefined ? ctx.newAlpha() : build(cut === c.n ? c : truncateColumns(c, cut));
  const [a, b, ...parts] = computeSignals([make(c.n), make(c.n), ...cuts.map(make)], c, ctx.symbol, [
    c.n,
    c.n,
    ...cuts,
  ]);
  const results = cuts.map((cut, k) => {
    const part = parts[k];
    // The rows before the cut: those whose source event is before it.
    let rows = 0;
    while (rows < full.n && full.source[rows] < cut) rows++;
    const diff = firstDifference(full, part, Math.max(rows, part.n));
    return { cut_event: cut, cut_exch_ts: c.epoch.toIso(c.exchTs[cut - 1]), rows: part.n, difference: diff };
  });
  const diff = firstDifference(a, b, Math.max(a.n, b.n));
  return {
    look_ahead: {
      passed: results.every((r) => r.difference === null),
      seed: ctx.config.seed,
      cuts: results,
    },
    determinism: { passed: diff === null, rows: a.n, difference: diff },
  };
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
