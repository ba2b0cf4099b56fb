import type { LobStats } from '../contracts/market.ts';
import type { ExecReport } from '../contracts/orders.ts';
import type { SymbolSpec } from '../contracts/symbols.ts';
import { MONEY_SCALE } from '../core/money.ts';

/** Per-second samples kept by a run: at most this many per series (every k-th second beyond). */
export const MAX_SAMPLES = 1024;

const round6 = (v: number) => (Number.isFinite(v) ? Number(v.toPrecision(6)) : 0);

/** Guardrails of a canary, measured in the running process (the promotion YAML's rollback triggers). */
export interface Guardrails {
  /** Average slippage of the fills against the mid when the order was formed, bps (cost positive). */
  max_live_slippage_bps: number;
  /** Fall of the alpha's net PnL from its running peak, fraction of its capital. */
  max_live_drawdown_contribution: number;
  /** (Refused + venue-rejected) / formed orders. */
  max_execution_error_rate: number;
  /** The error rate is judged from this many formed orders on. */
  min_orders: number;
}

/** What an alpha strategy reports at the end of a run (hft.runs summary: strategy_reports). */
export interface AlphaRunReport {
  kind: 'alpha';
  alpha_id: string;
  mode: 'trade' | 'shadow';
  weight: number;
  /** Orders the alpha formed, those refused before the venue (risk, gateway, adapter), venue rejects. */
  intents: number;
  refused: number;
  venue_rejects: number;
  error_rate: number;
  fills: number;
  filled_qty: number;
  /** Quantity-weighted slippage against the arrival mid, bps (positive: cost); null without fills. */
  slippage_bps: number | null;
  /** Net PnL (currency) at the last mid, and its largest fall from the running peak. */
  pnl: number;
  max_drawdown: number;
  capital: number;
  drawdown_contribution: number;
  rolled_back: { reason: string; at: number; cancelled: number } | null;
  /** The signal and the 1-s mid return as of every `step_s`-th second of data time (drift checks). */
  samples: { step_s: number; signal: number[]; mid_return: number[] };
}

/**
 * Measures an alpha strategy while it runs: its signal and the market sampled per second (the
 * ledger's grid), its orders' refusals and rejects, slippage against the arrival mid, and its own
 * PnL and drawdown from its fills. Allocation-free per event except the sample arrays' growth.
 */
export class AlphaMonitor {
  intents = 0;
  refused = 0;
  venueRejects = 0;
  fills = 0;
  filledQty = 0;
  private slipQty = 0;
  private slipSum = 0;
  /** Arrival mid per working order id. */
  private readonly arrival = new Map<number, number>();
  /** Cash (price units × qty) and position, and fees (money units). */
  private cash = 0;
  private pos = 0;
  private fees = 0;
  private peak = 0;
  maxDrawdown = 0;
  lastPnl = 0;
  capital: number;
  rolledBack: { reason: string; at: number; cancelled: number } | null = null;
  private step = 1;
  private seconds = 0;
  private curSec = Number.NEGATIVE_INFINITY;
  private lastSig = 0;
  private lastMid = Number.NaN;
  private prevSecMid = Number.NaN;
  private reported = false;
  private readonly sig: number[] = [];
  private readonly ret: number[] = [];

  constructor(
    readonly alphaId: string,
    private readonly sym: SymbolSpec,
    readonly mode: 'trade' | 'shadow',
    public weight: number,
    capital: number,
    private readonly maxLots: number,
  ) {
    this.capital = capital;
  }

  /** Money of `points` price units of one unit of quantity (currency). */
  private money(scaledPx: number, qty: number): number {
    return ((scaledPx / this.sym.priceScale) * qty * this.sym.multiplier) / this.sym.qtyScale;
  }

  /** An event: the signal after it and the book (ts: exchange time, ns). */
  onEvent(ts: number, signal: number, st: LobStats): void {
    const mid = st.mid;
    if (mid > 0) {
      this.lastMid = mid;
      if (this.capital <= 0) this.capital = this.money(mid, this.maxLots * this.sym.lotSize);
      this.mark(mid);
    }
    // One sample per second with events: the signal and mid as of the end of that second (the
    // ledger's grid), the mid's return over the second before; every `step`-th such second.
    const sec = Math.floor(ts / 1e9);
    if (sec !== this.curSec) {
      if (this.curSec !== Number.NEGATIVE_INFINITY) this.sample();
      this.curSec = sec;
    }
    this.lastSig = signal;
  }

  private sample(): void {
    const m = this.lastMid;
    const r = m > 0 && this.prevSecMid > 0 ? m / this.prevSecMid - 1 : 0;
    this.prevSecMid = m;
    if (this.seconds++ % this.step !== 0) return;
    this.sig.push(this.lastSig);
    this.ret.push(r);
    if (this.sig.length >= MAX_SAMPLES) {
      // Keep every other sample and take every other second from now on: bounded, spread over the run.
      for (let i = 0; i < this.sig.length / 2; i++) {
        this.sig[i] = this.sig[2 * i];
        this.ret[i] = this.ret[2 * i];
      }
      this.sig.length = this.ret.length = this.sig.length >> 1;
      this.step *= 2;
    }
  }

  /** An order the alpha formed: its id (0 = refused) and the mid at that moment. */
  onPlace(orderId: number, mid: number): void {
    this.intents++;
    if (orderId === 0) this.refused++;
    else if (mid > 0) this.arrival.set(orderId, mid);
  }

  onReport(r: ExecReport): void {
    if (r.type === 'reject') this.venueRejects++;
    if (r.type === 'fill' || r.type === 'partial') {
      this.fills++;
      this.filledQty += r.lastQty;
      this.cash -= r.side * r.lastPx * r.lastQty;
      this.pos += r.side * r.lastQty;
      this.fees += r.fee + r.tax;
      const a = this.arrival.get(r.orderId);
      if (a !== undefined) {
        this.slipSum += ((r.side * (r.lastPx - a)) / a) * 1e4 * r.lastQty;
        this.slipQty += r.lastQty;
      }
      if (this.lastMid > 0) this.mark(this.lastMid);
    }
    if (r.leavesQty === 0 && r.type !== 'ack') this.arrival.delete(r.orderId);
  }

  private mark(mid: number): void {
    const pnl = this.money(this.cash + this.pos * mid, 1) - this.fees / MONEY_SCALE;
    this.lastPnl = pnl;
    if (pnl > this.peak) this.peak = pnl;
    const dd = this.peak - pnl;
    if (dd > this.maxDrawdown) this.maxDrawdown = dd;
  }

  get slippageBps(): number | null {
    return this.slipQty > 0 ? this.slipSum / this.slipQty : null;
  }

  get errorRate(): number {
    return this.intents > 0 ? (this.refused + this.venueRejects) / this.intents : 0;
  }

  get drawdownContribution(): number {
    return this.capital > 0 ? this.maxDrawdown / this.capital : 0;
  }

  /** The first guardrail breached (strictly above its limit), or null. */
  breach(g: Guardrails): string | null {
    const out: string[] = [];
    const slip = this.slippageBps;
    if (slip !== null && slip > g.max_live_slippage_bps)
      out.push(`slippage ${slip.toFixed(3)} bps > ${g.max_live_slippage_bps}`);
    if (this.drawdownContribution > g.max_live_drawdown_contribution)
      out.push(
        `drawdown contribution ${this.drawdownContribution.toFixed(4)} > ${g.max_live_drawdown_contribution}`,
      );
    if (this.intents >= g.min_orders && this.errorRate > g.max_execution_error_rate)
      out.push(`execution error rate ${this.errorRate.toFixed(4)} > ${g.max_execution_error_rate}`);
    return out.length === 0 ? null : out.join('; ');
  }

  /** The report; `final` (the run's end) closes the last second with events. */
  report(final = true): AlphaRunReport {
    if (final && !this.reported && this.curSec !== Number.NEGATIVE_INFINITY) {
      this.sample();
      this.reported = true;
    }
    return {
      kind: 'alpha',
      alpha_id: this.alphaId,
      mode: this.mode,
      weight: this.weight,
      intents: this.intents,
      refused: this.refused,
      venue_rejects: this.venueRejects,
      error_rate: this.errorRate,
      fills: this.fills,
      filled_qty: this.filledQty,
      slippage_bps: this.slippageBps,
      pnl: this.lastPnl,
      max_drawdown: this.maxDrawdown,
      capital: this.capital,
      drawdown_contribution: this.drawdownContribution,
      rolled_back: this.rolledBack,
      // Six significant digits: the run row (hft.runs) stays small; the drift checks need no more.
      samples: { step_s: this.step, signal: this.sig.map(round6), mid_return: this.ret.map(round6) },
    };
  }
}
