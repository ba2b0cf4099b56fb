import type { OrderCommand, OrderIntent } from '../../src/contracts/orders.ts';
import type { SymbolSpec } from '../../src/contracts/symbols.ts';
import type { Venue, VenueExecEvent, VenueHandlers } from '../../src/contracts/venue.ts';
import { SimClock } from '../../src/core/clock.ts';
import { createLogger } from '../../src/core/logger.ts';
import { Scheduler } from '../../src/core/scheduler.ts';
import { PositionStore } from '../../src/execution/positions.ts';
import { ExecutionRouter } from '../../src/execution/router.ts';
import {
  DEFAULT_ADAPTER_OPTIONS,
  OrderAdapter,
  type OrderAdapterOptions,
} from '../../src/order/order-adapter.ts';
import { shippedSymbols } from '../helpers/symbols.ts';

export const START = 1_775_610_000_000_000_000;

/** A venue that records what it is sent; the test answers with `exec`. */
export class ScriptedVenue implements Venue {
  readonly name = 'scripted';
  readonly submits: OrderCommand[] = [];
  /** As a venue without post-only order type when set false. */
  postOnly?: boolean;
  readonly cancels: number[] = [];
  handlers: VenueHandlers | null = null;
  connect(h: VenueHandlers): void {
    this.handlers = h;
  }
  start(): void {}
  stop(): void {}
  submit(cmd: OrderCommand): void {
    this.submits.push(cmd);
  }
  cancel(orderId: number): void {
    this.cancels.push(orderId);
  }
}

/** Order adapter + router + positions over a scripted venue, in simulated time. */
export function harness(opts: Partial<OrderAdapterOptions> = {}, symbols: SymbolSpec[] = shippedSymbols()) {
  const clock = new SimClock(START);
  const scheduler = new Scheduler(clock);
  const log = createLogger('silent');
  const venue = new ScriptedVenue();
  const orders = new OrderAdapter(venue, symbols, scheduler, log, { ...DEFAULT_ADAPTER_OPTIONS, ...opts });
  const positions = new PositionStore(symbols);
  const router = new ExecutionRouter(symbols, orders, positions, clock, log);
  const reports: {
    type: string;
    orderId: number;
    strategyId: string;
    lastQty: number;
    fee: number;
    tax: number;
    reason: string;
  }[] = [];
  router.listen((r) =>
    reports.push({
      type: r.type,
      orderId: r.orderId,
      strategyId: r.strategyId,
      lastQty: r.lastQty,
      fee: r.fee,
      tax: r.tax,
      reason: r.reason,
    }),
  );
  /** Advances simulated time, running what is due. */
  const advance = (ns: number) => {
    const end = clock.nowNs() + ns;
    for (let t = scheduler.nextTs(); t <= end; t = scheduler.nextTs()) {
      clock.set(t);
      scheduler.runNext(t);
    }
    clock.set(end);
  };
  const exec = (e: Partial<VenueExecEvent> & Pick<VenueExecEvent, 'type' | 'orderId'>) =>
    router.onExec({
      venueOrderId: '',
      lastPx: 0,
      lastQty: 0,
      leavesQty: 0,
      taker: false,
      reason: '',
      exchTs: clock.nowNs(),
      ...e,
    });
  return { clock, scheduler, venue, orders, positions, router, reports, advance, exec, symbols };
}

export function intent(over: Partial<OrderIntent> = {}): OrderIntent {
  return {
    intentId: 1,
    strategyId: 's',
    symbolId: 0,
    action: 'new',
    side: 1,
    price: 33_000_00,
    qty: 1,
    tif: 'GTC',
    targetOrderId: 0,
    ts: START,
    ...over,
  };
}
