import type { RejectReason } from '../../contracts/orders.ts';
import type { VenueExecEvent } from '../../contracts/venue.ts';
import type { Nanos } from '../../core/clock.ts';
import type { Scheduler } from '../../core/scheduler.ts';
import type { LatencyModel } from './latency-model.ts';

/**
 * The two one-way paths between a trader and a simulated exchange, each FIFO like one TCP
 * session: a message never overtakes an earlier one, even when the latency model would
 * reorder them. Shared by the sim venue and the L2 exchange model.
 */
export class OrderLink {
  private lastOrderTs = Number.NEGATIVE_INFINITY;
  private lastResponseTs = Number.NEGATIVE_INFINITY;
  private execSeq = 0;
  /**
   * The receiver reads a report during the call only (VenueHandlers.transientExec): delivered
   * report objects go back to a pool and carry later reports.
   */
  transient = false;
  private readonly pool: VenueExecEvent[] = [];

  constructor(
    private readonly scheduler: Scheduler,
    private readonly latency: LatencyModel,
    /** Receives each report when it reaches the trader. */
    private readonly deliver: (e: VenueExecEvent) => void,
  ) {}

  /** When an order or cancel sent now reaches the exchange. */
  arrivalTs(): Nanos {
    const now = this.scheduler.clock.nowNs();
    let ts = now + this.latency.orderLatencyNs(now);
    if (ts < this.lastOrderTs) ts = this.lastOrderTs;
    this.lastOrderTs = ts;
    return ts;
  }

  /** Sends an exec report created at exchange time `exchTs`; it arrives after the response latency. */
  report(
    type: VenueExecEvent['type'],
    orderId: number,
    venueOrderId: string,
    lastPx: number,
    lastQty: number,
    leavesQty: number,
    taker: boolean,
    reason: RejectReason | '',
    exchTs: Nanos,
  ): void {
    const execId = type === 'fill' ? `${venueOrderId}-F${++this.execSeq}` : '';
    let ev = this.pool.pop();
    if (ev === undefined) {
      ev = { type, orderId, venueOrderId, lastPx, lastQty, leavesQty, taker, reason, exchTs, execId };
    } else {
      ev.type = type;
      ev.orderId = orderId;
      ev.venueOrderId = venueOrderId;
      ev.lastPx = lastPx;
      ev.lastQty = lastQty;
      ev.leavesQty = leavesQty;
      ev.taker = taker;
      ev.reason = reason;
      ev.exchTs = exchTs;
      ev.execId = execId;
    }
    let ts = exchTs + this.latency.responseLatencyNs(exchTs);
    if (ts < this.lastResponseTs) ts = this.lastResponseTs;
    this.lastResponseTs = ts;
    this.scheduler.at(ts, this.arrive, ev);
  }

  /** A report reaches the trader; a transient receiver is done with it when the call returns. */
  private readonly arrive = (ev: VenueExecEvent): void => {
    this.deliver(ev);
    if (this.transient) this.pool.push(ev);
  };
}
