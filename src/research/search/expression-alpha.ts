import { Alpha, type AlphaEvent } from '../../alpha/sdk.ts';
import { NS_PER_MS } from '../../core/clock.ts';
import { featureSet } from '../../features/sets.ts';
import { BarSampler, RET_1 } from './bar-sampler.ts';
import { BufferPool, type Columns, evaluate, lookback } from './evaluate.ts';
import { type Expr, exprVariables, parseExpr } from './expr.ts';

/**
 * An alpha whose signal is a formula of the search language (what `hft alpha search --promote-top`
 * scaffolds): subclasses set `static expression`, `static barMs` and `static featureSetId`. The
 * feature set is sampled on bars of data time by the search's own BarSampler; at the first event
 * after a bar ends, the formula is evaluated over the last lookback + 1 samples (enough for its
 * newest value: evaluate.ts `lookback`) and that value is the signal until the next bar ends.
 * So the signal equals the search's evaluation of the formula at every bar, and it is causal by
 * construction. Work per bar: one evaluation over lookback + 1 samples.
 */
export abstract class ExpressionAlpha extends Alpha {
  /** The formula, in the search language. */
  static readonly expression: string;
  /** Bar of the samples (ms of data time), as searched. */
  static readonly barMs: number = 1000;
  /** The feature set sampled (src/features/sets.ts). */
  static readonly featureSetId: string = 'lob_core';

  override readonly featureSet: string;
  private readonly expr: Expr;
  private readonly need: number;
  private readonly vars: string[];
  /** Per variable: its samples, the newest `count` of 2·need kept (shifted down when full). */
  private readonly bufs: Float64Array[];
  private count = 0;
  private readonly sampler: BarSampler;
  private readonly values: Float64Array;
  private readonly index: number[];
  private value = 0;
  private readonly pools = new Map<number, BufferPool>();

  constructor(params: unknown) {
    super(params);
    const cls = this.constructor as typeof ExpressionAlpha;
    this.featureSet = cls.featureSetId;
    const names = featureSet(cls.featureSetId).features.map((f) => f.id);
    this.expr = parseExpr(cls.expression, { features: [...names, RET_1], maxDepth: 16 });
    this.vars = exprVariables(this.expr);
    this.need = lookback(this.expr) + 1;
    this.bufs = this.vars.map(() => new Float64Array(2 * this.need));
    this.index = this.vars.map((v) => (v === RET_1 ? -1 : names.indexOf(v)));
    this.values = new Float64Array(names.length);
    this.sampler = new BarSampler(
      cls.barMs * NS_PER_MS,
      names.length,
      names.indexOf('mid'),
      (_bar, s, _mid, r1) => this.onSample(s, r1),
    );
  }

  update(ev: Readonly<AlphaEvent>): number {
    const f = ev.features;
    if (f === null) return 0;
    for (let k = 0; k < this.values.length; k++) this.values[k] = f.at(k);
    this.sampler.onEvent(ev.exchTs, this.values);
    return this.value;
  }

  reset(): void {
    this.sampler.reset();
    this.count = 0;
    this.value = 0;
  }

  private onSample(s: Float64Array, ret1: number): void {
    const cap = 2 * this.need;
    if (this.count === cap) {
      // Keep the newest need − 1 samples at the front; the new one follows.
      for (const b of this.bufs) b.copyWithin(0, cap - this.need + 1, cap);
      this.count = this.need - 1;
    }
    for (let v = 0; v < this.vars.length; v++) {
      const k = this.index[v];
      this.bufs[v][this.count] = k < 0 ? ret1 : s[k];
    }
    this.count++;
    const n = Math.min(this.count, this.need);
    const from = this.count - n;
    const cols: Columns = {
      n,
      column: (name) => {
        const v = this.vars.indexOf(name);
        return v < 0 ? undefined : this.bufs[v].subarray(from, from + n);
      },
    };
    let pool = this.pools.get(n);
    if (pool === undefined) {
      pool = new BufferPool(n);
      if (n === this.need) this.pools.set(n, pool);
    }
    const out = evaluate(this.expr, cols, pool);
    this.value = out[n - 1];
  }
}
