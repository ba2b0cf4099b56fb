import path from 'node:path';
import type { BacktestConfig } from '../../backtest/runner.ts';
import { UserError } from '../../core/errors.ts';
import type { WorkQueueClient, WorkResult } from '../../gateway/work-queue.ts';
import type { SearchData } from './data.ts';
import type { Evaluator } from './evaluator.ts';
import type { TrialScore } from './fitness.ts';
import {
  columnsHash,
  decodeScores,
  fileSha256,
  SEARCH_KIND,
  type SearchDataSpec,
  type SearchTask,
} from './remote-task.ts';

/** Where a search's formulas go instead of this process's threads: `hft worker` processes. */
export interface RemoteOptions {
  url: string;
  queue: string;
  /** Formulas per work item (default 8). */
  chunk?: number;
  /** What the workers load: the files, the project (settings, symbols) and the sampling. */
  cfg: BacktestConfig;
  files: string[];
  barMs: number;
  featureSet: string;
  /** Sees each item's answer (progress, the worker's name). */
  onItem?: (r: WorkResult, done: number, items: number) => void;
}

/**
 * Scores a batch on the NATS work queue: cut into items of `chunk` formulas, each scored by some
 * `hft worker` (exactly once as far as the search sees, WorkQueueClient.run), put back in the
 * batch's order: the same numbers, hence the same ledger and results, as in this thread.
 */
export class NatsEvaluator implements Evaluator {
  private constructor(
    private readonly client: WorkQueueClient,
    private readonly base: Omit<SearchTask, 'formulas'>,
    private readonly chunk: number,
    private readonly onItem?: RemoteOptions['onItem'],
  ) {}

  static async start(
    o: RemoteOptions,
    d: SearchData,
    target: SearchTask['target'],
    pool: readonly string[],
    poolPenalty: number,
  ): Promise<NatsEvaluator> {
    const chunk = o.chunk ?? 8;
    if (!(Number.isInteger(chunk) && chunk >= 1))
      throw new UserError('--nats-chunk expects a positive integer');
    const data: SearchDataSpec = {
      files: o.files.map((f) => {
        const p = path.resolve(o.cfg.root, f);
        return { path: p, sha256: fileSha256(p) };
      }),
      barMs: o.barMs,
      featureSet: o.featureSet,
      cfg: { settings: o.cfg.settings, root: o.cfg.root, symbols: o.cfg.symbols },
      columns: columnsHash(d),
    };
    const { WorkQueueClient } = await import('../../gateway/work-queue.ts');
    const client = await WorkQueueClient.open(o.url, o.queue).catch((e: Error) => {
      throw new UserError(`--nats ${o.url}: ${e.message}`);
    });
    return new NatsEvaluator(client, { data, target, pool: [...pool], poolPenalty }, chunk, o.onItem);
  }

  async score(formulas: readonly string[]): Promise<TrialScore[]> {
    const tasks: SearchTask[] = [];
    for (let i = 0; i < formulas.length; i += this.chunk)
      tasks.push({ ...this.base, formulas: formulas.slice(i, i + this.chunk) });
    const rs = await this.client.run<SearchTask, string>(SEARCH_KIND, tasks, (r, done) =>
      this.onItem?.(r, done, tasks.length),
    );
    return rs.flatMap((r, i) => {
      if ('error' in r) throw new UserError(`search item ${i} on worker ${r.worker}: ${r.error}`);
      const s = decodeScores(r.value);
      if (s.length !== tasks[i].formulas.length)
        throw new UserError(
          `search item ${i} on worker ${r.worker}: ${s.length} scores for ${tasks[i].formulas.length} formulas`,
        );
      return s;
    });
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}
