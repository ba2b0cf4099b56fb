import { UserError } from '../../core/errors.ts';
import { Rng } from '../../core/rng.ts';
import type { SearchData } from './data.ts';
import { dataKey } from './data.ts';
import { BufferPool, evaluate } from './evaluate.ts';
import { type Evaluator, LocalEvaluator, WorkerEvaluator } from './evaluator.ts';
import { type Expr, exprDepth, exprVariables, formatExpr, parseExpr } from './expr.ts';
import { makeTarget, type Target } from './fitness.ts';
import {
  crossover,
  DEFAULT_TEMPLATES,
  expandTemplates,
  type Grammar,
  grammarOf,
  mutate,
  randomExpr,
} from './generate.ts';
import { NatsEvaluator, type RemoteOptions } from './nats-evaluator.ts';
import { deflatedOfTrial, type PboResult, pboCscv } from './overfit.ts';
import type { TrialLedger, TrialRecord } from './trial-ledger.ts';

export const SEARCH_MODES = ['random', 'template', 'genetic'] as const;
export type SearchMode = (typeof SEARCH_MODES)[number];

export interface SearchOptions {
  data: SearchData;
  mode: SearchMode;
  seed: number;
  ledger: TrialLedger;
  /** random: formulas drawn (duplicates are drawn again, up to 10× as many draws). */
  trials?: number;
  /** template: templates with {placeholders} (default: the original's four families) and their grid. */
  templates?: readonly string[];
  grid?: Record<string, string[]>;
  /** genetic: population, generations, share surviving each generation, mutation and crossover shares. */
  population?: number;
  generations?: number;
  survival?: number;
  mutationProb?: number;
  crossoverProb?: number;
  maxDepth?: number;
  /** Forward-return horizon in samples, train share, CSCV blocks. */
  horizon?: number;
  split?: number;
  blocks?: number;
  /** Formulas whose signals form the pool; the fitness is penalised by correlation with them. */
  pool?: readonly string[];
  poolPenalty?: number;
  /** A result passes with train and test Sharpe > 0, corr_pool < maxCorr and DSR >= minDsr. */
  maxCorr?: number;
  minDsr?: number;
  /** Results listed. */
  top?: number;
  now?: () => Date;
  /** Worker threads scoring the formulas (1: in this thread); the outcome does not depend on it. */
  workers?: number;
  /** Score on `hft worker` processes through the NATS work queue instead (the outcome does not depend on it). */
  remote?: RemoteOptions;
  onProgress?: (done: number, total: number) => void;
}

export interface SearchResultRow {
  rank: number;
  expression: string;
  fitness: number;
  sharpe_train: number;
  sharpe_test: number;
  ic_test: number;
  corr_pool: number;
  /** Deflated Sharpe Ratio of the test Sharpe against every trial of this data key in the ledger. */
  dsr: number;
  passed: boolean;
  depth: number;
  variables: string[];
}

export interface SearchOutcome {
  search_id: string;
  data_key: string;
  mode: SearchMode;
  seed: number;
  symbol: string;
  samples: number;
  bar_ms: number;
  horizon: number;
  split: number;
  /** Distinct formulas scored by this search (each one a ledger line). */
  trials: number;
  /** Distinct formulas of this data key in the ledger, this search's included: the multiple-testing count. */
  trials_total: number;
  /** Draws that repeated a formula already scored in this search (not trials). */
  duplicates: number;
  /** Template expansions that did not parse (not trials). */
  invalid: number;
  /** The expected maximum test Sharpe (per period) of trials_total unskilled trials: the DSR's benchmark. */
  sr0_test: number;
  pbo: PboResult | null;
  results: SearchResultRow[];
  /** Wall time of the trials (draw, evaluate, score, ledger) and of the analysis after them (DSR, PBO). */
  search_s: number;
  analysis_s: number;
  elapsed_s: number;
  /** Trials per second of the trial loop. */
  trials_per_s: number;
}

interface Scored {
  expr: Expr;
  text: string;
  rec: TrialRecord;
}

/**
 * One search: draws formulas by the mode, scores each distinct one once on the train part
 * (fitness.ts), writes every trial to the ledger, then ranks them, computes each listed result's
 * DSR against all trials of the data key and PBO (CSCV) over them. Deterministic for a seed.
 */
export async function runSearch(o: SearchOptions): Promise<SearchOutcome> {
  const t0 = performance.now();
  const d = o.data;
  const maxDepth = o.maxDepth ?? 3;
  const horizon = o.horizon ?? 1;
  const split = o.split ?? 0.7;
  if (!(Number.isInteger(horizon) && horizon >= 1))
    throw new UserError('--horizon expects a positive integer');
  if (!(split > 0 && split < 1)) throw new UserError('--split expects a number in (0, 1)');
  if (!(Number.isInteger(maxDepth) && maxDepth >= 2))
    throw new UserError('--max-depth expects an integer >= 2');
  const blocks = o.blocks ?? 16;
  const target: Target = makeTarget(d.mid, d.samplesPerDay, { horizon, split, blocks });
  if (target.train.length < 10 || target.test.length < 10)
    throw new UserError(
      `too few periods to score on (${target.train.length} train, ${target.test.length} test): more data, a shorter --bar-ms or --horizon`,
    );
  const g: Grammar = grammarOf(d.names, maxDepth);
  const known = [...g.features, ...g.rawPrices];
  const bufs = new BufferPool(d.n);
  const poolSignals = (o.pool ?? []).map((f) =>
    evaluate(parseExpr(f, { features: known, maxDepth: 99 }), d, bufs),
  );
  const key = dataKey(d, { horizon, split });
  const now = o.now ?? (() => new Date());
  const searchId = `search-${now().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '')}-${o.mode}-${o.seed}`;
  const rng = new Rng(o.seed);
  const scored = new Map<string, Scored>();
  let duplicates = 0;
  let trial = 0;
  const poolPenalty = o.poolPenalty ?? 0.5;
  const evaluator: Evaluator =
    o.remote !== undefined
      ? await NatsEvaluator.start(o.remote, d, { horizon, split, blocks }, o.pool ?? [], poolPenalty)
      : (o.workers ?? 1) > 1
        ? await WorkerEvaluator.start(o.workers ?? 1, d, target, o.pool ?? [], poolPenalty)
        : new LocalEvaluator(d, target, poolSignals, poolPenalty);

  type Item = { expr: Expr; origin: TrialRecord['origin']; generation: number };
  /**
   * Scores a batch: formulas already scored (or twice in the batch) are duplicates, not trials; the
   * others are evaluated (in workers, or here), then numbered and written in the batch's order, so
   * the result does not depend on the number of workers.
   */
  const scoreBatch = async (items: readonly Item[]): Promise<Scored[]> => {
    const fresh: (Item & { text: string })[] = [];
    const inBatch = new Set<string>();
    for (const it of items) {
      const text = formatExpr(it.expr);
      if (scored.has(text) || inBatch.has(text)) {
        duplicates++;
        continue;
      }
      inBatch.add(text);
      fresh.push({ ...it, text });
    }
    const scores = await evaluator.score(fresh.map((f) => f.text));
    return fresh.map((f, k) => {
      const sc = scores[k];
      const rec: TrialRecord = {
        search_id: searchId,
        trial: ++trial,
        at: now().toISOString(),
        data_key: key,
        mode: o.mode,
        seed: o.seed,
        generation: f.generation,
        origin: f.origin,
        expression: f.text,
        ...sc,
        fitness: Number.isFinite(sc.fitness) ? Number(sc.fitness.toPrecision(6)) : null,
      };
      o.ledger.append(rec);
      const out = { expr: f.expr, text: f.text, rec };
      scored.set(f.text, out);
      return out;
    });
  };
  const fit = (s: Scored) => s.rec.fitness ?? Number.NEGATIVE_INFINITY;
  const BATCH = 64;

  let invalid = 0;
  try {
    if (o.mode === 'random') {
      const n = o.trials ?? 100;
      for (let draws = 0; trial < n && draws < n * 10; ) {
        const batch: Item[] = [];
        const want = Math.min(BATCH, n - trial);
        // Draw until the batch holds `want` formulas new to the search.
        const seen = new Set<string>();
        while (batch.length < want && draws < n * 10) {
          draws++;
          const e = randomExpr(rng, g);
          const t = formatExpr(e);
          if (scored.has(t) || seen.has(t)) {
            duplicates++;
            continue;
          }
          seen.add(t);
          batch.push({ expr: e, origin: 'random', generation: 0 });
        }
        await scoreBatch(batch);
        o.onProgress?.(trial, n);
      }
    } else if (o.mode === 'template') {
      const ex = expandTemplates(o.templates ?? DEFAULT_TEMPLATES, o.grid ?? {}, g);
      invalid = ex.invalid;
      for (let i = 0; i < ex.formulas.length; i += 4 * BATCH) {
        await scoreBatch(
          ex.formulas.slice(i, i + 4 * BATCH).map((f) => ({
            expr: parseExpr(f, { features: known, maxDepth }),
            origin: 'template' as const,
            generation: 0,
          })),
        );
        o.onProgress?.(trial, ex.formulas.length);
      }
    } else {
      const P = o.population ?? 40;
      const G = o.generations ?? 10;
      const keep = Math.max(2, Math.floor(P * (o.survival ?? 0.3)));
      const pm = o.mutationProb ?? 0.6;
      const pc = o.crossoverProb ?? 0.3;
      const total = P * (G + 1);
      // A generation's new members are drawn first (none already scored or drawn twice), then scored together.
      const fill = async (have: number, draw: () => Item | null): Promise<Scored[]> => {
        const batch: Item[] = [];
        const seen = new Set<string>();
        for (let tries = 0; have + batch.length < P && tries < P * 20; tries++) {
          const it = draw();
          if (it === null) continue;
          const t = formatExpr(it.expr);
          if (scored.has(t) || seen.has(t)) {
            duplicates++;
            continue;
          }
          seen.add(t);
          batch.push(it);
        }
        const out = await scoreBatch(batch);
        o.onProgress?.(trial, total);
        return out;
      };
      let pop: Scored[] = await fill(0, () => ({
        expr: randomExpr(rng, g),
        origin: 'random',
        generation: 0,
      }));
      for (let gen = 1; gen <= G; gen++) {
        pop.sort((a, b) => fit(b) - fit(a) || a.text.localeCompare(b.text));
        const next = pop.slice(0, keep);
        const children = await fill(next.length, () => {
          const r = rng.next();
          const pa = next[Math.floor(rng.next() * keep)];
          if (r < pm) {
            const c = mutate(rng, g, pa.expr);
            return c === null ? null : { expr: c, origin: 'mutation', generation: gen };
          }
          if (r < pm + pc) {
            const pb = next[Math.floor(rng.next() * keep)];
            const c = crossover(rng, g, pa.expr, pb.expr);
            return c === null ? null : { expr: c, origin: 'crossover', generation: gen };
          }
          return { expr: randomExpr(rng, g), origin: 'immigrant', generation: gen };
        });
        pop = [...next, ...children];
      }
    }
  } finally {
    o.ledger.flush();
    await evaluator.close();
  }

  const searchS = (performance.now() - t0) / 1000;
  // Multiple testing over every trial of this data key, this search's included.
  // A formula scored by several searches is one hypothesis: counted once (its first record).
  const distinct = distinctTrials(o.ledger.read(key));
  const all = distinct.filter((r) => !r.degenerate);
  const srs = all.map((r) => r.sr_test);
  const pbo = pboCscv(all.map((r) => r.blocks));
  const maxCorr = o.maxCorr ?? 0.7;
  const minDsr = o.minDsr ?? 0.5;
  const sr0 = srs.length > 0 ? deflatedOfTrial(0, 2, 0, 3, srs).sr0 : 0;
  const ranked = [...scored.values()]
    .filter((s) => !s.rec.degenerate)
    .sort((a, b) => fit(b) - fit(a) || a.text.localeCompare(b.text))
    .slice(0, o.top ?? 10);
  const results = ranked.map((s, i): SearchResultRow => {
    const r = s.rec;
    const dd = deflatedOfTrial(r.sr_test, r.n_test, r.skew_test, r.kurt_test, srs);
    const dsr = Number(dd.dsr.toPrecision(4));
    return {
      rank: i + 1,
      expression: s.text,
      fitness: fit(s),
      sharpe_train: r.sharpe_train,
      sharpe_test: r.sharpe_test,
      ic_test: r.ic_test,
      corr_pool: r.corr_pool,
      dsr,
      passed: r.sharpe_train > 0 && r.sharpe_test > 0 && r.corr_pool < maxCorr && dsr >= minDsr,
      depth: exprDepth(s.expr),
      variables: exprVariables(s.expr),
    };
  });
  const elapsed = (performance.now() - t0) / 1000;
  return {
    search_id: searchId,
    data_key: key,
    mode: o.mode,
    seed: o.seed,
    symbol: d.symbol,
    samples: d.n,
    bar_ms: d.barMs,
    horizon,
    split,
    trials: trial,
    trials_total: distinct.length,
    duplicates,
    invalid,
    sr0_test: Number(sr0.toPrecision(4)),
    pbo,
    results,
    search_s: Number(searchS.toFixed(3)),
    analysis_s: Number((elapsed - searchS).toFixed(3)),
    elapsed_s: Number(elapsed.toFixed(3)),
    trials_per_s: Number((trial / Math.max(searchS, 1e-9)).toFixed(1)),
  };
}

/** The first record of each formula. */
function distinctTrials(rs: readonly TrialRecord[]): TrialRecord[] {
  const seen = new Set<string>();
  return rs.filter((r) => {
    if (seen.has(r.expression)) return false;
    seen.add(r.expression);
    return true;
  });
}
