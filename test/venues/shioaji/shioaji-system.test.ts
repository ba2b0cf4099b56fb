import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { loadProject } from '../../../src/config/project.ts';
import type { LobStats } from '../../../src/contracts/market.ts';
import { createLogger } from '../../../src/core/logger.ts';
import { runQuery } from '../../../src/recorder/query.ts';
import { LiveSession } from '../../../src/services/live-session.ts';
import { TradingSystem } from '../../../src/services/trading-system.ts';
import { Strategy, type StrategyContext } from '../../../src/strategy/sdk.ts';
import type { ShioajiVenue } from '../../../src/venues/shioaji/shioaji-venue.ts';
import { repoRoot } from '../../helpers/symbols.ts';
import { requireData } from '../replay/data-dir.ts';
import { FakeShioaji } from './fake-server.ts';
import { symbols, taifex, until } from './harness.ts';

/** Does what the test asks on its next book update: rest a bid, cancel it, take the ask. */
class Probe extends Strategy {
  static todo: 'rest' | 'cancel' | 'take' | '' = '';
  static restId = 0;
  static books = 0;
  override onBook(ctx: StrategyContext, st: LobStats): void {
    Probe.books++;
    if (!(st.bestBid > 0 && st.bestAsk > st.bestBid)) return;
    const todo = Probe.todo;
    Probe.todo = '';
    // TXFD6 prices in 0.01 points: 40 points under the bid rests (inside the 50-tick band); 5 over
    // the ask takes.
    if (todo === 'rest') Probe.restId = ctx.place(st.symbolId, 1, st.bestBid - 4000, 1);
    else if (todo === 'cancel') ctx.cancel(Probe.restId);
    else if (todo === 'take') ctx.place(st.symbolId, 1, st.bestAsk + 500, 1, 'IOC');
  }
}

describe('hft run live --venue shioaji, the whole system against the fake server', requireData(), () => {
  test('subscribe, book equal to the fake exchange, orders placed, acked, filled and cancelled, positions reconciled, every row in the store', async () => {
    const [txf] = symbols('TXFD6');
    const columns = await taifex('taifex-txf-20260408.parquet');
    // Recorded times as they were (no shift to today): the run's clock starts at 08:45:01 Taipei on
    // the recording's day (a Wednesday; the day session opens at 08:45), so the session gate lets
    // orders out whatever day the test runs on. The recording starts with the 08:30 pre-open.
    const fake = new FakeShioaji({
      instruments: [{ spec: txf, columns, maxMessages: 6000 }],
      heartbeatMs: 100,
      liveDates: false,
    });
    const url = await fake.listen();
    const openMs = Date.UTC(2026, 3, 8, 0, 45, 1);
    assert.ok(
      columns.epoch.toMs(columns.exchTs[0]) < openMs && columns.epoch.toMs(columns.exchTs[1500]) > openMs,
    );
    const offsetMs = openMs - (performance.timeOrigin + performance.now());
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hft-sj-sys-'));
    Probe.todo = '';
    Probe.books = 0;
    try {
      const { settings, symbols: specs } = loadProject({
        root: repoRoot,
        env: 'test',
        envVars: {},
        overrides: [
          ['feed.kind', 'live'],
          ['run.clock', 'real'],
          ['live.venue', 'shioaji'],
          ['live.endpoint', url],
          ['live.paper', true],
          ['live.symbols', ['TXFD6']],
          ['store.path', path.join(dir, 'store')],
          ['orders.dlq_dir', path.join(dir, 'dlq')],
          ['metrics.enabled', false],
          ['ops.enabled', false],
        ].map(([key, value]) => ({ key: key as string, value, label: 'test' })),
      });
      const sys = await TradingSystem.create({
        settings,
        root: repoRoot,
        symbols: specs,
        strategies: [
          { id: 'probe', class: 'probe', enabled: true, symbols: ['TXFD6'], params: {}, risk: {} },
        ],
        log: createLogger('silent'),
        record: true,
        strategyClasses: { probe: Probe },
        runKind: 'live',
        wallMs: () => performance.now() + offsetMs,
        // StormGuard observed: loop lag on a loaded machine must not decide whether the orders go out.
        guard: 'observe',
      });
      const venue = sys.live as ShioajiVenue;
      const session = new LiveSession(sys, venue, settings.live);
      let running: Promise<unknown> | null = null;
      const rc = sys.router.counters;
      try {
        const startup = await session.start();
        assert.deepEqual(startup.positions, []);
        running = sys.run(0);
        // The bid/asks the fake has sent so far; the system has caught up when it normalized as many
        // (play() returns once the socket took them, not once the client read them).
        const books = fake.feed('TXFD6');
        const sentBooks = () => {
          let n = 0;
          for (let i = 0; i < books.length - fake.remaining; i++) if (books[i].book !== null) n++;
          return n;
        };
        const play = async (n?: number) => {
          await fake.play(n);
          await until(() => sys.normalizer.counters.depth === sentBooks(), 'the system caught up');
        };
        // Past the pre-open: continuous trading.
        await play(1500);
        await until(() => Probe.books > 0, 'the first book');
        // Each step: a few messages, so a book update calls the strategy while the price stays put.
        Probe.todo = 'rest';
        await play(5);
        await until(() => rc.acks === 1, 'the resting order acked');
        Probe.todo = 'cancel';
        await play(5);
        await until(() => rc.canceled === 1, 'the cancel');
        Probe.todo = 'take';
        await play(5);
        await until(() => rc.fills + rc.partials >= 1, 'the fill');
        await play();
        // The venue's polled position and working orders have caught up; one reconciliation pass.
        await until(
          () => venue.positions().get(0) === 1 && venue.openOrderIds().size === 0,
          'position polled',
        );
        sys.reconciler!.check();
      } finally {
        // A failure above must not leave the venue reconnecting to a closed server.
        sys.stop();
        await running?.catch(() => {});
        session.stop();
        await venue.close();
      }
      const s = (await running) as Awaited<ReturnType<TradingSystem['run']>>;

      // Orders: one rested and cancelled, one taken.
      assert.equal(s.orders, 2);
      assert.equal(s.fills, 1);
      assert.equal(s.cancels, 1);
      assert.equal(s.rejects.total, 0, JSON.stringify(s.rejects));
      assert.equal(rc.acks, 2);
      assert.equal(fake.position('TXFD6'), 1);
      assert.deepEqual(
        s.positions.map((p) => [p.strategy, p.symbol, p.qty]),
        [['probe', 'TXFD6', 1]],
      );
      const recon = s.risk.reconciliation!;
      assert.equal(recon.critical, 0, recon.last_critical);
      assert.ok(recon.checks >= 1);
      // The book: every bid/ask of the fake reached it; it ends equal to the fake's last one.
      const books = fake.feed('TXFD6').filter((m) => m.book !== null);
      const last = books.at(-1)!.book!;
      const b = sys.lob.book(0);
      for (let k = 0; k < 5; k++) {
        assert.equal(b.price(1, k), last.bidPx[k], `bid ${k}`);
        assert.equal(b.qty(1, k), last.bidQty[k], `bid qty ${k}`);
        assert.equal(b.price(-1, k), last.askPx[k], `ask ${k}`);
        assert.equal(b.qty(-1, k), last.askQty[k], `ask qty ${k}`);
      }

      // The store: this live run, its market data, orders and the fill.
      const store = path.join(dir, 'store');
      const q = async (sql: string) => (await runQuery(store, sql, 'TSV')).trim();
      assert.equal(await q(`SELECT DISTINCT kind FROM hft.runs WHERE run = '${s.run_id}'`), 'live');
      const md = Number(
        await q(`SELECT count() FROM hft.market_data WHERE run = '${s.run_id}' AND symbol = 'TXFD6'`),
      );
      assert.equal(md, s.recorded_rows.market_data);
      const bidasks = Number(
        await q(
          `SELECT count() FROM hft.market_data WHERE run = '${s.run_id}' AND symbol = 'TXFD6' AND type != 'trade'`,
        ),
      );
      assert.equal(bidasks, books.length, 'a row per bid/ask snapshot the fake sent');
      assert.ok(md > bidasks, 'and the ticks');
      const events = await q(
        `SELECT order_id, event, side, qty FROM hft.orders WHERE run = '${s.run_id}' AND strategy_id = 'probe' ORDER BY ts, event`,
      );
      const byOrder = new Map<string, string[]>();
      for (const line of events.split('\n')) {
        const [id, ev] = line.split('\t');
        byOrder.set(id, [...(byOrder.get(id) ?? []), ev]);
      }
      assert.deepEqual(
        [...byOrder.values()].map((evs) => [...evs].sort()),
        [
          ['ack', 'canceled', 'new'],
          ['ack', 'fill', 'new'],
        ],
        events,
      );
      const fill = await q(
        `SELECT symbol, side, qty, taker FROM hft.trades WHERE run = '${s.run_id}' AND strategy_id = 'probe'`,
      );
      // An IOC's deal took liquidity (Shioaji's deal events do not say; the order type does).
      assert.equal(fill, 'TXFD6\t1\t1\t1');
    } finally {
      await fake.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
