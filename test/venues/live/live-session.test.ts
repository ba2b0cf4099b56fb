import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadProject } from '../../../src/config/project.ts';
import { type LobStats, MdKind } from '../../../src/contracts/market.ts';
import type { OrderCommand } from '../../../src/contracts/orders.ts';
import type { VenueExecEvent, VenueHandlers } from '../../../src/contracts/venue.ts';
import { Epoch, SimClock } from '../../../src/core/clock.ts';
import { createLogger } from '../../../src/core/logger.ts';
import { Scheduler } from '../../../src/core/scheduler.ts';
import { ACCOUNT_OWNER, LiveSession } from '../../../src/services/live-session.ts';
import { TradingSystem, venueSymbol } from '../../../src/services/trading-system.ts';
import { Strategy, type StrategyContext } from '../../../src/strategy/sdk.ts';
import type {
  AccountState,
  ForeignOrder,
  LiveVenue,
  LiveVenueContext,
  LiveVenueFactory,
} from '../../../src/venues/live/live-venue.ts';
import { SessionGatedVenue } from '../../../src/venues/live/session-gate.ts';
import { registerLiveVenue } from '../../../src/venues/registry.ts';
import { repoRoot } from '../../helpers/symbols.ts';
import { TXF } from '../sim/fixtures.ts';

/** A live venue scripted by the test: an account at start, state changes on demand. */
class ScriptedLive implements LiveVenue {
  readonly name = 'scripted-live';
  handlers: VenueHandlers | null = null;
  readonly submits: OrderCommand[] = [];
  readonly canceledForeign: string[] = [];
  readonly adopted: [string, number][] = [];
  pos = new Map<number, number>();
  open_ = new Set<number>();
  constructor(
    readonly ctx: LiveVenueContext,
    private readonly account: AccountState,
  ) {}
  connect(h: VenueHandlers): void {
    this.handlers = h;
  }
  start(): void {}
  stop(): void {}
  submit(cmd: OrderCommand): void {
    this.submits.push(cmd);
  }
  cancel(): void {}
  positions() {
    return this.pos;
  }
  openOrderIds() {
    return this.open_;
  }
  async open(): Promise<AccountState> {
    // As a real venue: books stream (synced) before the account has been read.
    this.book();
    for (const p of this.account.positions) this.pos.set(p.symbolId, p.qty);
    return this.account;
  }
  /** A two-sided book update for symbol 0. */
  book(): void {
    const h = { symbolId: 0, exchTs: Date.now() * 1e6, localTs: Date.now() * 1e6, seq: 0 };
    this.handlers!.onMarketEvent({ ...h, kind: MdKind.Level, side: 1, price: 599_990, qty: 1 }, false);
    this.handlers!.onMarketEvent({ ...h, kind: MdKind.Level, side: -1, price: 600_010, qty: 1 }, true);
  }
  async cancelForeign(o: ForeignOrder): Promise<void> {
    this.canceledForeign.push(o.venueOrderId);
  }
  adopt(o: ForeignOrder, orderId: number): void {
    this.adopted.push([o.venueOrderId, orderId]);
    this.open_.add(orderId);
  }
  async close(): Promise<void> {}
  stats() {
    return {};
  }
}

let last: ScriptedLive | null = null;
const account: AccountState = {
  positions: [{ symbolId: 0, qty: 3, avgPrice: 600_000 }],
  foreignOrders: [
    {
      venueOrderId: 'V9',
      clientOrderId: 'old-1',
      symbolId: 0,
      side: -1,
      price: 620_000,
      qty: 2,
      leavesQty: 2,
    },
  ],
};
const factory = Object.assign((ctx: LiveVenueContext) => (last = new ScriptedLive(ctx, account)), {
  credentialKeys: [] as string[],
}) satisfies LiveVenueFactory;
registerLiveVenue('scripted-live', factory);

/** Counts its book updates and what it believed its position was at the first one. */
class Watcher extends Strategy {
  books = 0;
  positionAtFirst = Number.NaN;
  override onBook(ctx: StrategyContext, st: LobStats): void {
    if (this.books++ === 0) this.positionAtFirst = ctx.position(st.symbolId);
  }
}

async function system(startup: 'cancel' | 'adopt', withStrategy = false) {
  const project = loadProject({
    root: repoRoot,
    env: 'test',
    envVars: {},
    overrides: [
      { key: 'feed.kind', value: 'live', label: 'test' },
      { key: 'live.venue', value: 'scripted-live', label: 'test' },
      { key: 'live.symbols', value: ['BTCUSDT-PERP'], label: 'test' },
      { key: 'live.startup_orders', value: startup, label: 'test' },
      { key: 'live.end_of_session', value: 'none', label: 'test' },
      { key: 'metrics.enabled', value: false, label: 'test' },
    ],
  });
  const sys = await TradingSystem.create({
    ...project,
    strategies: withStrategy
      ? [{ id: 'w', class: 'watcher', enabled: true, symbols: ['BTCUSDT-PERP'], params: {}, risk: {} }]
      : [],
    strategyClasses: { watcher: Watcher },
    root: repoRoot,
    log: createLogger('silent'),
    record: false,
  });
  return { sys, venue: last!, session: new LiveSession(sys, sys.live!, project.settings.live) };
}

test('startup reconciliation: venue positions loaded, earlier orders cancelled (or adopted), venue symbols from feed.symbols', async () => {
  const { sys, venue, session } = await system('cancel');
  assert.equal(sys.identity.kind, 'live');
  assert.deepEqual(venue.ctx.venueSymbols, ['BTCUSDT-PERP'], 'no feed.symbols key for this venue: the code');
  const binance = { ...sys.opts.settings, live: { ...sys.opts.settings.live, venue: 'binance-usdm' } };
  assert.equal(venueSymbol(binance, 'BTCUSDT-PERP'), 'BTCUSDT', 'feed.symbols "binance-usdm:BTCUSDT"');
  const r = await session.start();
  session.stop();
  assert.deepEqual(r.positions, [{ symbol: 'BTCUSDT-PERP', qty: 3, owner: ACCOUNT_OWNER }]);
  assert.equal(sys.positions.netQty(0), 3, 'not flat while the venue holds a position');
  assert.equal(sys.positions.get(ACCOUNT_OWNER, 0).avgPrice, 600_000);
  assert.deepEqual(venue.canceledForeign, ['V9']);
  assert.equal(sys.orders.openCount, 0);
  sys.reconciler!.check();
  assert.deepEqual(sys.reconciler!.last, [], 'local and venue agree');

  const b = await system('adopt');
  const r2 = await b.session.start();
  b.session.stop();
  assert.equal(r2.adopted, 1);
  assert.equal(b.venue.canceledForeign.length, 0);
  const [[vid, oid]] = b.venue.adopted;
  assert.equal(vid, 'V9');
  const o = b.sys.orders.get(oid)!;
  assert.deepEqual(
    [o.status, o.side, o.price, o.leavesQty, o.venueOrderId],
    ['working', -1, 620_000, 2, 'V9'],
  );
  assert.equal(b.sys.orders.byVenueId('V9'), o);
  b.sys.reconciler!.check();
  assert.equal(b.sys.reconciler!.lastCritical, '', 'an adopted order is not a venue-only order');
});

test('no strategy callback before the startup reconciliation: books that stream while the account is read reach no strategy', async () => {
  const { sys, venue, session } = await system('cancel', true);
  const w = sys.runner.strategies[0] as unknown as Watcher;
  await session.start();
  assert.equal(sys.lob.stats(0).bestBid, 599_990, 'the book was applied');
  assert.equal(w.books, 0, 'but no strategy saw it');
  const running = sys.run(0);
  venue.book();
  sys.stop();
  await running;
  session.stop();
  assert.equal(w.books, 1);
  assert.equal(w.positionAtFirst, 3, "the venue's position was loaded before the strategy's first book");
});

test('a venue that is not ready holds trading (HALT) until it reports ready after a reconciliation', async () => {
  const { sys, venue, session } = await system('cancel');
  await session.start();
  session.stop();
  const checks = sys.reconciler!.counters.checks;
  venue.handlers!.onVenueState!(false, 'depth stream silent 3100 ms');
  assert.equal(sys.stormGuard.stateName, 'HALT');
  assert.equal(sys.venueOutages, 1);
  venue.handlers!.onVenueState!(true, 'resynced');
  assert.equal(sys.reconciler!.counters.checks, checks + 1, 'reconciled before quoting again');
  assert.deepEqual(sys.stormGuard.resume(), [], 'nothing holds HALT any more');
});

test('session gate: no order outside a session for exchanges with sessions; cancels pass', () => {
  // Saturday 2026-04-18 10:00 Taipei: TAIFEX closed.
  const ms = Date.parse('2026-04-18T10:00:00+08:00');
  const epoch = Epoch.midnightBeforeMs(ms);
  const clock = new SimClock(epoch.fromMs(ms), epoch);
  const sched = new Scheduler(clock);
  const inner = { sent: [] as number[], canceled: [] as number[] };
  const v = new SessionGatedVenue(
    {
      name: 'x',
      connect() {},
      start() {},
      stop() {},
      submit: (c) => inner.sent.push(c.orderId),
      cancel: (id) => inner.canceled.push(id),
    },
    [{ ...TXF, id: 0 }],
    clock,
    sched,
  );
  const execs: VenueExecEvent[] = [];
  v.connect({ onQuote() {}, onMarketEvent() {}, onExec: (e) => execs.push({ ...e }) });
  const cmd = (orderId: number): OrderCommand => ({
    orderId,
    ts: 0,
    intent: {
      intentId: orderId,
      strategyId: 's',
      symbolId: 0,
      action: 'new',
      side: 1,
      price: 3_000_000,
      qty: 1,
      tif: 'GTC',
      targetOrderId: 0,
      ts: 0,
    },
  });
  v.submit(cmd(1));
  v.cancel(1);
  sched.runNext(clock.nowNs());
  assert.deepEqual(inner.sent, []);
  assert.deepEqual(inner.canceled, [1]);
  assert.deepEqual(
    execs.map((e) => [e.type, e.orderId, e.reason]),
    [['reject', 1, 'OUTSIDE_SESSION']],
  );
  // Wednesday 09:00 Taipei: the day session.
  clock.set(epoch.fromMs(Date.parse('2026-04-22T09:00:00+08:00')));
  v.submit(cmd(2));
  assert.deepEqual(inner.sent, [2]);
});
