import { UserError } from '../../core/errors.ts';
import type { Expr } from './expr.ts';
import * as op from './operators.ts';

/** Named feature columns of equal length (the evaluation's input). */
export interface Columns {
  readonly n: number;
  /** The column of a feature; undefined when the data has none. */
  column(name: string): Float64Array | undefined;
}

/** Columns from a record of arrays (truncated to the shortest). */
export function columnsOf(cols: Readonly<Record<string, Float64Array>>): Columns {
  const arrays = Object.values(cols);
  const n = arrays.length === 0 ? 0 : Math.min(...arrays.map((a) => a.length));
  return {
    n,
    column: (name) => {
      const c = cols[name];
      return c === undefined ? undefined : c.length === n ? c : c.subarray(0, n);
    },
  };
}

/**
 * Scratch arrays of one length, reused across evaluations: a search evaluates thousands of trees
 * over the same columns, and a fresh array per node per trial would be most of the garbage.
 */
export class BufferPool {
  private readonly free: Float64Array[] = [];
  constructor(readonly n: number) {}
  take(): Float64Array {
    return this.free.pop() ?? new Float64Array(this.n);
  }
  give(a: Float64Array): void {
    if (a.length === this.n && this.free.length < 64) this.free.push(a);
  }
}

type Val = { a: Float64Array; owned: boolean } | { c: number };

/**
 * Evaluates a checked tree over the columns, vectorised: each node is one pass over typed arrays.
 * Writes `cols.n` values, every one finite, into `result` (default: a new array) and returns it.
 */
export function evaluate(
  e: Expr,
  cols: Columns,
  pool: BufferPool = new BufferPool(cols.n),
  result: Float64Array = new Float64Array(cols.n),
): Float64Array {
  const n = cols.n;
  const release = (v: Val) => {
    if ('a' in v && v.owned) pool.give(v.a);
  };
  const run = (x: Expr): Val => {
    switch (x.k) {
      case 'num':
        return { c: x.v };
      case 'var': {
        const c = cols.column(x.name);
        if (c === undefined) throw new UserError(`formula reads '${x.name}', which the data does not have`);
        return { a: c, owned: false };
      }
      case 'neg': {
        const a = run(x.a);
        if ('c' in a) return { c: -a.c };
        const out = pool.take();
        for (let i = 0; i < n; i++) out[i] = -a.a[i];
        release(a);
        return { a: out, owned: true };
      }
      case 'bin': {
        const a = run(x.a);
        const b = run(x.b);
        if ('c' in a && 'c' in b) {
          const v =
            x.op === '+'
              ? a.c + b.c
              : x.op === '-'
                ? a.c - b.c
                : x.op === '*'
                  ? a.c * b.c
                  : safeDiv(a.c, b.c);
          return { c: v };
        }
        const out = pool.take();
        const xa = seriesOf(a, pool, n);
        const xb = seriesOf(b, pool, n);
        if (x.op === '+') op.add(xa.a, xb.a, out);
        else if (x.op === '-') op.sub(xa.a, xb.a, out);
        else if (x.op === '*') op.mul(xa.a, xb.a, out);
        else op.div(xa.a, xb.a, out);
        release(xa);
        release(xb);
        return { a: out, owned: true };
      }
      case 'call': {
        const args = x.args;
        const w = (i: number) => (args[i] as { v: number }).v;
        const out = pool.take();
        switch (x.fn) {
          case 'ts_mean':
          case 'ts_sum':
          case 'ts_std':
          case 'ts_delta':
          case 'ts_rank':
          case 'decay_linear':
          case 'rank':
          case 'zscore': {
            const a = seriesOf(run(args[0]), pool, n);
            const win = args.length > 1 ? w(1) : op.DEFAULT_RANK_WINDOW;
            if (x.fn === 'ts_mean') op.tsMean(a.a, win, out);
            else if (x.fn === 'ts_sum') op.tsSum(a.a, win, out);
            else if (x.fn === 'ts_std') op.tsStd(a.a, win, out);
            else if (x.fn === 'ts_delta') op.tsDelta(a.a, win, out);
            else if (x.fn === 'ts_rank') op.tsRank(a.a, win, out);
            else if (x.fn === 'decay_linear') op.decayLinear(a.a, win, out);
            else if (x.fn === 'rank') op.rank(a.a, win, out);
            else {
              const s = pool.take();
              op.zscore(a.a, win, out, s);
              pool.give(s);
            }
            release(a);
            break;
          }
          case 'ts_corr': {
            const a = seriesOf(run(args[0]), pool, n);
            const b = seriesOf(run(args[1]), pool, n);
            op.tsCorr(a.a, b.a, w(2), out);
            release(a);
            release(b);
            break;
          }
          case 'sign':
          case 'log1p':
          case 'abs': {
            const a = seriesOf(run(args[0]), pool, n);
            if (x.fn === 'sign') op.sign(a.a, out);
            else if (x.fn === 'log1p') op.log1p(a.a, out);
            else op.abs(a.a, out);
            release(a);
            break;
          }
          case 'add':
          case 'mul':
          case 'div': {
            const a = seriesOf(run(args[0]), pool, n);
            const b = seriesOf(run(args[1]), pool, n);
            if (x.fn === 'add') op.add(a.a, b.a, out);
            else if (x.fn === 'mul') op.mul(a.a, b.a, out);
            else op.div(a.a, b.a, out);
            release(a);
            release(b);
            break;
          }
          default:
            throw new UserError(`unknown operator '${x.fn}'`);
        }
        return { a: out, owned: true };
      }
    }
  };
  const v = run(e);
  if ('c' in v) result.fill(Number.isFinite(v.c) ? v.c : 0);
  else {
    for (let i = 0; i < n; i++) result[i] = Number.isFinite(v.a[i]) ? v.a[i] : 0;
    release(v);
  }
  return result;
}

function safeDiv(a: number, b: number): number {
  return b > 1e-12 || b < -1e-12 ? a / b : 0;
}

/** A value as a series: constants are broadcast into a pool array (owned, released by the caller). */
function seriesOf(v: Val, pool: BufferPool, n: number): { a: Float64Array; owned: boolean } {
  if ('a' in v) return v;
  const a = pool.take();
  a.fill(Number.isFinite(v.c) ? v.c : 0, 0, n);
  return { a, owned: true };
}

/**
 * Past samples the newest output needs besides the newest one: the sum of the windows along the
 * deepest path (ts_delta needs w, the rolling operators w − 1). Evaluating the last `lookback + 1`
 * samples gives the same newest value as evaluating the whole series (up to rounding): what an
 * expression alpha keeps.
 */
export function lookback(e: Expr): number {
  switch (e.k) {
    case 'num':
    case 'var':
      return 0;
    case 'neg':
      return lookback(e.a);
    case 'bin':
      return Math.max(lookback(e.a), lookback(e.b));
    case 'call': {
      const inner = Math.max(0, ...e.args.map(lookback));
      const lit = (i: number) => (e.args[i] as { v: number }).v;
      switch (e.fn) {
        case 'ts_delta':
          return inner + lit(1);
        case 'ts_mean':
        case 'ts_sum':
        case 'ts_std':
        case 'ts_rank':
        case 'decay_linear':
          return inner + lit(1) - 1;
        case 'ts_corr':
          return inner + Math.max(2, lit(2)) - 1;
        case 'rank':
        case 'zscore':
          return inner + Math.max(2, e.args.length > 1 ? lit(1) : op.DEFAULT_RANK_WINDOW) - 1;
        default:
          return inner;
      }
    }
  }
}
