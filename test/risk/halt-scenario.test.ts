import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { z } from 'zod';
import { loadProject } from '../../src/config/project.ts';
import type { LobStats } from '../../src/contracts/market.ts';
import type { Venue, VenueHandlers } from '../../src/contracts/venue.ts';
import { NS_PER_S } from '../../src/core/clock.ts';
import { createLogger } from '../../src/core/logger.ts';
import type { Scheduler } from '../../src/core/scheduler.ts';
import { formatSummary } from '../../src/services/summary.ts';
import { TradingSystem } from '../../src/services/trading-system.ts';
import { Strategy, type StrategyContext } from '../../src/strategy/sdk.ts';
import { repoRoot } from '../helpers/symbols.ts';

/** Trades nothing; from `throw_after_s` into the run every book update throws. */
class Thrower extends Strategy.withParams(z.object({ throw_after_s: z.number() })) {
  private t0 = 0;
  override onStart(ctx: StrategyContext): void {
    this.t0 = ctx.now();
  }
  override onBook(ctx: StrategyContext, _st: LobStats): void {
    if (ctx.now() - this.t0 >= this.params.throw_after_s * NS_PER_S) throw new Error('strategy bug');
  }
}

/** Ignores the risk state: from `from_s` into the run it tries to buy one lot every second. */
class Pinger extends Strategy.withParams(z.object({ from_s: z.number() })) {
  private t0 = 0;
  private last = 0;
  override onStart(ctx: StrategyContext): void {
    this.t0 = ctx.now();
  }
  override onBook(ctx: StrategyContext, st: LobStats): void {
    const now = ctx.now();
    if (now - this.t0 < this.params.from_s * NS_PER_S || now - this.last < NS_PER_S || !(st.bestBid > 0))
      return;
    this.last = now;
    ctx.place(st.symbolId, 1, st.bestBid, 1);
  }
}

/** Forwards everything, but drops market data between `fromS` and `toS` seconds into the run. */
function stallFeed(fromS: number, toS: number) {
  return (inner: Venue, scheduler: Scheduler): Venue => {
    const t0 = scheduler.clock.nowNs();
    const stalled = () => {
      const t = scheduler.clock.nowNs() - t0;
      return t >= fromS * NS_PER_S && t < toS * NS_PER_S;
    };
    return {
      name: `stalled-${inner.name}`,
      connect: (h: VenueHandlers) =>
        inner.connect({
          onQuote: (q) => (stalled() ? undefined : h.onQuote(q)),
          onMarketEvent: (ev, end) => (stalled() ? undefined : h.onMarketEvent(ev, end)),
          onExec: h.onExec,
        }),
      start: () => inner.start(),
      stop: () => inner.stop(),
      submit: (cmd) => inner.submit(cmd),
      cancel: (id) => inner.cancel(id),
    };
  };
}

test('a strategy throws, the feed stalls, reconciliation finds a mismatch: HALT, no more orders, the summary says why', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hft-halt-'));
  const strategiesFile = path.join(dir, 'strategies.yaml');
  writeFileSync(
    strategiesFile,
    `strategies:
  - { id: mm, class: market_maker, symbols: [TXFD6],
      params: { order_qty: 1, half_spread_ticks: 0.5, max_inventory: 5, skew_ticks_per_unit: 0.5, requote_ticks: 1 } }
  - { id: buggy, class: thrower, symbols: [TXFD6], params: { throw_after_s: 20 } }
  - { id: naive, class: pinger, symbols: [TXFD6], params: { from_s: 70 } }
`,
  );
  const { settings, symbols, strategies } = loadProject({
    root: repoRoot,
    env: 'test',
    envVars: {},
    overrides: [
      { key: 'strategies_file', value: strategiesFile, label: 'test' },
      { key: 'sim.symbols', value: ['TXFD6'], label: 'test' },
      { key: 'orders.dlq_dir', value: path.join(dir, 'dlq'), label: 'test' },
    ],
  });
  const sys = await TradingSystem.create({
    settings,
    root: repoRoot,
    symbols,
    strategies,
    log: createLogger('silent'),
    record: false,
    strategyClasses: { thrower: Thrower, pinger: Pinger },
    wrapVenue: stallFeed(40, 45),
  });
  const start = sys.clock.nowNs();
  const sentAt: number[] = [];
  sys.orders.onSent = () => sentAt.push(sys.clock.nowNs() - start);
  // 50 s in: the venue reports one TXF lot more than we hold (a lost fill).
  assert.ok(sys.reconciler !== null);
  sys.scheduler.at(start + 50 * NS_PER_S, () => sys.reconciler!.injectMismatch(0, 1));

  const summary = await sys.run(90);
  const r = summary.risk;

  assert.equal(r.state, 'HALT');
  assert.deepEqual(
    r.transitions.map((t) => `${t.from}>${t.to}`),
    ['NORMAL>WARM', 'WARM>STORM', 'STORM>HALT'],
  );
  assert.match(r.transitions[0].reason, /^strategy_errors/);
  assert.match(r.transitions[1].reason, /^feed_gap/);
  assert.match(r.transitions[2].reason, /^recon_mismatch TXFD6: local -?\d+ venue -?\d+ \(3 checks\)/);
  assert.ok(
    r.reasons.some((x) => x.startsWith('recon_mismatch')),
    'the latch that holds HALT',
  );
  const haltAt = sys.stormGuard.history[2].ts - start;
  assert.equal(haltAt, 60 * NS_PER_S, 'mismatch at 50 s, checks every 5 s, 3 observations');

  // The strategy was isolated, the others kept trading until the halt.
  assert.deepEqual(
    r.strategies.find((s) => s.id === 'buggy'),
    { id: 'buggy', enabled: false, errors: 10 },
  );
  assert.equal(summary.strategy_errors, 10);
  assert.ok(sentAt.filter((t) => t > 21 * NS_PER_S && t < 40 * NS_PER_S).length > 0, 'mm traded on');

  // HALT: nothing left the adapter after it, every working order was cancelled, intents were refused.
  assert.ok(sentAt.length > 20);
  assert.ok(
    sentAt.every((t) => t < haltAt),
    `orders sent after HALT at ${sentAt.filter((t) => t >= haltAt).map((t) => t / 1e9)}`,
  );
  assert.equal(sys.orders.openCount, 0);
  assert.ok(sys.stormGuard.haltCancels >= 0);
  // The market maker sees the halt (ctx.reduceOnly) and stops quoting; a strategy that ignores it is refused.
  assert.ok(
    (r.rejects_by_reason.HALTED ?? 0) >= 15,
    'the naive strategy tried every second from 70 s and was refused',
  );
  assert.equal(r.breaker.state, 'closed');
  assert.equal(r.reconciliation?.critical, 7, 'every check from 60 s to 90 s still sees it');

  // The printed summary tells the operator why.
  const text = formatSummary(summary);
  assert.match(text, /StormGuard HALT \(recon_mismatch TXFD6/);
  assert.match(text, /NORMAL -> WARM: strategy_errors/);
  assert.match(text, /WARM -> STORM: feed_gap/);
  assert.match(text, /STORM -> HALT: recon_mismatch/);
  assert.match(text, /disabled strategies: buggy \(10 errors\)/);
  assert.match(text, /"HALTED":\d+/);
  // Dead letters, if any, were written where configured.
  if (r.dlq.entries > 0) assert.ok(readFileSync(r.dlq.file, 'utf8').length > 0);
});
