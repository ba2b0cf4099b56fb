import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../../core/errors.ts';
import type { TrialScore } from './fitness.ts';

/**
 * One trial of a search: a distinct formula scored once. Every trial is written, good or bad, so
 * the Deflated Sharpe Ratio and PBO count what was really tried (on the same data key, across all
 * searches), not only what was kept.
 */
export interface TrialRecord extends Omit<TrialScore, 'fitness'> {
  search_id: string;
  /** Sequence number within its search (1-based). */
  trial: number;
  /** ISO time the trial was scored (the injected clock). */
  at: string;
  data_key: string;
  mode: string;
  seed: number;
  /** Genetic search: the generation (0: initial population); how it was made. */
  generation: number;
  origin: 'random' | 'template' | 'mutation' | 'crossover' | 'immigrant' | 'given';
  expression: string;
  /** null when the score was not finite (JSON has no NaN or Infinity). */
  fitness: number | null;
}

/**
 * The trial ledger: one append-only JSON-lines file (default research/experiments/search/trials.jsonl).
 * Lines are buffered and appended in batches (and at the end of a search); a line is never rewritten.
 */
export class TrialLedger {
  private pending: string[] = [];

  constructor(readonly file: string) {}

  append(r: TrialRecord): void {
    this.pending.push(JSON.stringify(r));
    if (this.pending.length >= 64) this.flush();
  }

  flush(): void {
    if (this.pending.length === 0) return;
    try {
      mkdirSync(path.dirname(this.file), { recursive: true });
      appendFileSync(this.file, `${this.pending.join('\n')}\n`);
    } catch (e) {
      throw new UserError(
        `trial ledger ${this.file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      );
    }
    this.pending = [];
  }

  /** Every recorded trial (flushed ones), of one data key when given. */
  read(dataKey?: string): TrialRecord[] {
    if (!existsSync(this.file)) return [];
    const out: TrialRecord[] = [];
    const lines = readFileSync(this.file, 'utf8').split('\n');
    lines.forEach((line, i) => {
      if (line.trim() === '') return;
      let r: TrialRecord;
      try {
        r = JSON.parse(line) as TrialRecord;
      } catch {
        // A torn last line (a crash mid-append) is skipped; anything else is a damaged ledger.
        if (i >= lines.length - 2) return;
        throw new UserError(`trial ledger ${this.file}: line ${i + 1} is not JSON`);
      }
      if (dataKey === undefined || r.data_key === dataKey) out.push(r);
    });
    return out;
  }
}
