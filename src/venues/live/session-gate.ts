import type { OrderCommand } from '../../contracts/orders.ts';
import type { SymbolSpec } from '../../contracts/symbols.ts';
import type { Venue, VenueHandlers } from '../../contracts/venue.ts';
import type { Clock } from '../../core/clock.ts';
import type { Scheduler } from '../../core/scheduler.ts';
import { sessionAt } from '../../core/session-calendar.ts';

/**
 * The session calendar applied to live orders, in front of any live venue: a new order for a
 * symbol whose exchange is closed (core/session-calendar.ts) is rejected with OUTSIDE_SESSION
 * without reaching the venue (on the next scheduler turn, as a venue answer would come). Cancels
 * always pass. Symbols of exchanges without sessions (Binance) pass untouched.
 */
export class SessionGatedVenue implements Venue {
  readonly name: string;
  readonly reportsOrderIds?: boolean;
  readonly postOnly?: boolean;
  private handlers: VenueHandlers | null = null;
  /** Orders refused outside a session. */
  refused = 0;

  constructor(
    readonly inner: Venue,
    private readonly symbols: readonly SymbolSpec[],
    private readonly clock: Clock,
    private readonly scheduler: Scheduler,
  ) {
    this.name = inner.name;
    this.reportsOrderIds = inner.reportsOrderIds;
    this.postOnly = inner.postOnly;
  }

  connect(h: VenueHandlers): void {
    this.handlers = h;
    this.inner.connect(h);
  }
  start(): void {
    this.inner.start();
  }
  stop(): void {
    this.inner.stop();
  }
  cancel(orderId: number): void {
    this.inner.cancel(orderId);
  }

  submit(cmd: OrderCommand): void {
    const spec = this.symbols[cmd.intent.symbolId];
    const nowMs = this.clock.epoch.toMs(this.clock.nowNs());
    if (spec === undefined || sessionAt(spec.exchange, nowMs) !== null) {
      this.inner.submit(cmd);
      return;
    }
    this.refused++;
    const orderId = cmd.orderId;
    this.scheduler.after(0, () =>
      this.handlers?.onExec({
        type: 'reject',
        orderId,
        venueOrderId: '',
        lastPx: 0,
        lastQty: 0,
        leavesQty: 0,
        taker: false,
        reason: 'OUTSIDE_SESSION',
        exchTs: this.clock.nowNs(),
      }),
    );
  }
}
