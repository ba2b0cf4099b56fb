import { Epoch, type Nanos } from '../../core/clock.ts';
import { UserError } from '../../core/errors.ts';

/** Delays of the simulated order path: strategy -> venue (orders, cancels) and venue -> strategy (exec reports). */
export interface LatencyModel {
  /** Delay before an order or cancel sent at `nowNs` reaches the matching engine. */
  orderLatencyNs(nowNs: Nanos): number;
  /** Delay before an exec report produced at `nowNs` reaches the strategy. */
  responseLatencyNs(nowNs: Nanos): number;
}

/** Fixed delays. */
export class ConstantLatency implements LatencyModel {
  constructor(
    readonly orderNs: number,
    readonly responseNs: number,
  ) {
    if (!(orderNs >= 0 && Number.isFinite(orderNs)) || !(responseNs >= 0 && Number.isFinite(responseNs))) {
      throw new Error(`ConstantLatency: delays must be finite and >= 0 (got ${orderNs}, ${responseNs})`);
    }
  }

  orderLatencyNs(): number {
    return this.orderNs;
  }

  responseLatencyNs(): number {
    return this.responseNs;
  }
}

/**
 * Recorded latencies interpolated by time (hftbacktest's IntpOrderLatency): rows of
 * (ts, order latency, response latency) in ns, linear between rows, held flat before the first
 * and after the last. Queries arrive in nearly increasing time, so a cursor makes them O(1).
 */
export class EmpiricalLatency implements LatencyModel {
  private cursor = 0;

  constructor(
    readonly ts: Float64Array,
    readonly order: Float64Array,
    readonly response: Float64Array,
  ) {
    const n = ts.length;
    if (n === 0 || order.length !== n || response.length !== n) {
      throw new Error(`EmpiricalLatency: need >= 1 row and equal column lengths (got ${n})`);
    }
    for (let i = 0; i < n; i++) {
      if (!Number.isFinite(ts[i]) || (i > 0 && !(ts[i] > ts[i - 1]))) {
        throw new Error(`EmpiricalLatency: row ${i + 1}: timestamps must be finite and increasing`);
      }
      if (
        !(order[i] >= 0 && Number.isFinite(order[i])) ||
        !(response[i] >= 0 && Number.isFinite(response[i]))
      ) {
        throw new Error(`EmpiricalLatency: row ${i + 1}: latencies must be finite and >= 0`);
      }
    }
  }

  orderLatencyNs(nowNs: Nanos): number {
    return this.at(this.order, nowNs);
  }

  responseLatencyNs(nowNs: Nanos): number {
    return this.at(this.response, nowNs);
  }

  /** Interpolates column `v` at time `t`. */
  private at(v: Float64Array, t: Nanos): number {
    const ts = this.ts;
    const last = ts.length - 1;
    if (t <= ts[0]) return v[0];
    if (t >= ts[last]) return v[last];
    let i = this.cursor;
    while (ts[i] > t) i--;
    while (ts[i + 1] <= t) i++;
    this.cursor = i;
    const w = (t - ts[i]) / (ts[i + 1] - ts[i]);
    return Math.round(v[i] + w * (v[i + 1] - v[i]));
  }
}

/**
 * Parses a latency CSV: `ts,order_latency_ns,response_latency_ns` per line (ns; a header line
 * and blank lines are skipped). `ts` is ns since 1970, read exactly and put on `epoch` (the run's).
 * `source` names the file in errors.
 */
export function parseLatencyCsv(text: string, source: string, epoch = Epoch.ZERO): EmpiricalLatency {
  const ts: number[] = [];
  const order: number[] = [];
  const response: number[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '' || line.startsWith('#')) continue;
    const cells = line.split(',').map((c) => c.trim());
    if (ts.length === 0 && cells.length === 3 && Number.isNaN(Number(cells[0]))) continue; // header
    const row = cells.map(Number);
    if (cells.length !== 3 || cells.some((c, k) => c === '' || !Number.isFinite(row[k]))) {
      throw new UserError(
        `${source}:${i + 1}: expected 'ts,order_latency_ns,response_latency_ns' numbers, got '${line}'`,
      );
    }
    ts.push(epoch.fromAbs(/^-?\d+$/.test(cells[0]) ? BigInt(cells[0]) : BigInt(Math.round(row[0]))));
    order.push(row[1]);
    response.push(row[2]);
  }
  if (ts.length === 0) throw new UserError(`${source}: no latency rows`);
  try {
    return new EmpiricalLatency(Float64Array.from(ts), Float64Array.from(order), Float64Array.from(response));
  } catch (e) {
    throw new UserError(`${source}: ${(e as Error).message}`);
  }
}
