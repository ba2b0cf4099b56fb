import type { Nanos } from '../../core/clock.ts';

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
