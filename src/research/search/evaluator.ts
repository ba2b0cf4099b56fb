import { Worker } from 'node:worker_threads';
import { workerUrl } from '../../core/worker-url.ts';
import type { SearchData } from './data.ts';
import { BufferPool, type Columns, evaluate } from './evaluate.ts';
import { parseExpr } from './expr.ts';
import { scoreSignal, type Target, type TrialScore } from './fitness.ts';

/** Scores formulas (canonical texts, already checked) on the search's data and target. */
export interface Evaluator {
  score(formulas: readonly string[]): Promise<TrialScore[]>;
  close(): Promise<void>;
}

/** In this thread. */
export class LocalEvaluator implements Evaluator {
  private readonly bufs: BufferPool;
  private readonly signal: Float64Array;
  private readonly scratch: Float64Array;

  constructor(
    private readonly cols: Columns,
    private readonly target: Target,
    private readonly pool: readonly Float64Array[],
    private readonly poolPenalty: number,
  ) {
    this.bufs = new BufferPool(cols.n);
    this.signal = new Float64Array(cols.n);
    this.scratch = new Float64Array(target.train.length + target.test.length);
  }

  /** The signal of a formula (a new array). */
  signalOf(text: string): Float64Array {
    return evaluate(parseExpr(text, { maxDepth: 99, rawPriceGuard: false }), this.cols, this.bufs);
  }

  scoreOne(text: string): TrialScore {
    const e = parseExpr(text, { maxDepth: 99, rawPriceGuard: false });
    const s = evaluate(e, this.cols, this.bufs, this.signal);
    return scoreSignal(s, this.target, this.pool, this.poolPenalty, this.scratch);
  }

  async score(formulas: readonly string[]): Promise<TrialScore[]> {
    return formulas.map((f) => this.scoreOne(f));
  }

  async close(): Promise<void> {}
}

/** What a search worker is given once: the sampled columns, the target and the pool. */
export interface WorkerInit {
  names: string[];
  cols: Float64Array[];
  target: Target;
  pool: string[];
  poolPenalty: number;
}

/**
 * Worker threads, each with a copy of the columns: a batch is cut into one contiguous slice per
 * worker and the scores are put back in the batch's order (the same numbers as in this thread).
 */
export class WorkerEvaluator implements Evaluator {
  private constructor(private readonly workers: Worker[]) {}

  static async start(
    n: number,
    d: SearchData,
    target: Target,
    pool: readonly string[],
    poolPenalty: number,
  ): Promise<WorkerEvaluator> {
    const init: WorkerInit = {
      names: [...d.names],
      cols: d.names.map((k) => d.cols[k]),
      target,
      pool: [...pool],
      poolPenalty,
    };
    const workers = Array.from({ length: n }, () => new Worker(workerUrl('search-worker', import.meta.url)));
    await Promise.all(workers.map((w) => call(w, { init })));
    return new WorkerEvaluator(workers);
  }

  async score(formulas: readonly string[]): Promise<TrialScore[]> {
    const per = Math.ceil(formulas.length / this.workers.length);
    const parts = await Promise.all(
      this.workers.map((w, i) =>
        per * i < formulas.length
          ? (call(w, { formulas: formulas.slice(per * i, per * (i + 1)) }) as Promise<TrialScore[]>)
          : Promise.resolve([] as TrialScore[]),
      ),
    );
    return parts.flat();
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

function call(w: Worker, msg: unknown): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const done = (m: { ok: boolean; value?: unknown; error?: string }) => {
      w.off('error', fail);
      if (m.ok) resolve(m.value);
      else reject(new Error(`search worker: ${m.error}`));
    };
    const fail = (e: Error) => {
      w.off('message', done);
      reject(e);
    };
    w.once('message', done);
    w.once('error', fail);
    w.postMessage(msg);
  });
}
