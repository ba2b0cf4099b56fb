/**
 * Shadow mode on a replayed TAIFEX day: an alpha in `mode: shadow` forms orders that pass the
 * gateway, risk and the order adapter and are answered with the prices they would have got, while
 * none reaches the exchange; the same alpha in trade mode beside it does reach it. The run is a
 * shadow session in the store: Gate E's reader finds it with the orders the recorder stored.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import type { AlphaRunReport } from '../../src/alpha/alpha-monitor.ts';
import { alphaSessions } from '../../src/alpha/alpha-sessions.ts';
import { loadProject } from '../../src/config/project.ts';
import { NS_PER_US } from '../../src/core/clock.ts';
import { createLogger } from '../../src/core/logger.ts';
import { openTarget } from '../../src/recorder/query.ts';
import { formatSummary } from '../../src/services/summary.ts';
import { TradingSystem } from '../../src/services/trading-system.ts';
import { L2Exchange } from '../../src/venues/sim/l2-exchange.ts';
import { ConstantLatency } from '../../src/venues/sim/latency-model.ts';
import { RiskAverseQueue } from '../../src/venues/sim/queue-model.ts';
import { repoRoot } from '../helpers/symbols.ts';
import { dataFile, requireData } from '../venues/replay/data-dir.ts';

describe('shadow mode', requireData(), () => {
  test('a shadow alpha trades nothing at the exchange, is answered at the touch, and is a shadow session in the store', {
    timeout: 600_000,
  }, async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hft-shadow-'));
    try {
      const params = { threshold: 0.3, max_position: 2, execution: 'taker' };
      const { settings, symbols } = loadProject({
        root: repoRoot,
        env: 'test',
        envVars: {},
        overrides: [
          { key: 'store.path', value: dir, label: 'test' },
          { key: 'feed.kind', value: 'replay', label: 'test' },
          { key: 'feed.data', value: [dataFile('taifex-txf-20260408.parquet')], label: 'test' },
          { key: 'feed.speed', value: 'max', label: 'test' },
          { key: 'run.clock', value: 'sim', label: 'test' },
          { key: 'ops.enabled', value: false, label: 'test' },
        ],
      });
      const atExchange = new Map<string, number>();
      const sys = await TradingSystem.create({
        settings,
        symbols,
        root: repoRoot,
        log: createLogger('silent'),
        record: true,
        strategies: [
          {
            id: 'shadow-tf',
            class: 'alpha:trade_flow',
            symbols: ['TXFD6'],
            enabled: true,
            params: { ...params, mode: 'shadow' },
          },
          { id: 'live-tf', class: 'alpha:trade_flow', symbols: ['TXFD6'], enabled: true, params },
        ] as never,
        exchange: (syms, scheduler) => {
          const m = new L2Exchange({
            symbols: syms,
            scheduler,
            latency: new ConstantLatency(
              settings.sim.latency.order_us * NS_PER_US,
              settings.sim.latency.response_us * NS_PER_US,
            ),
            queue: new RiskAverseQueue(),
          });
          const submit = m.submit.bind(m);
          m.submit = (cmd) => {
            atExchange.set(cmd.intent.strategyId, (atExchange.get(cmd.intent.strategyId) ?? 0) + 1);
            submit(cmd);
          };
          return m;
        },
      });
      let summary: Awaited<ReturnType<typeof sys.run>>;
      try {
        summary = await sys.run(0);
      } finally {
        await sys.recorder?.close();
      }
      const shadow = summary.strategy_reports['shadow-tf'] as AlphaRunReport;
      const live = summary.strategy_reports['live-tf'] as AlphaRunReport;
      assert.equal(shadow.mode, 'shadow');
      assert.equal(live.mode, 'trade');
      assert.ok(shadow.intents > 10, JSON.stringify({ ...shadow, samples: undefined }));
      assert.ok(shadow.fills > 0);
      assert.equal(atExchange.get('shadow-tf'), undefined, 'no shadow order reached the exchange');
      assert.ok((atExchange.get('live-tf') ?? 0) > 0, 'the trading alpha beside it did');
      // Taker fills at the touch: the slippage against the arrival mid is about half a spread.
      assert.ok(shadow.slippage_bps !== null && shadow.slippage_bps > 0 && shadow.slippage_bps < 3);
      assert.ok(shadow.samples.signal.length > 500);
      assert.equal(summary.risk.reconciliation?.critical ?? 0, 0);
      // The summary says which strategies were shadow: their fills are in its counts.
      assert.deepEqual(summary.shadow, ['shadow-tf']);
      assert.match(
        formatSummary(summary),
        /\n {2}shadow: shadow-tf: orders answered at the edge and never sent/,
      );

      const db = await openTarget(dir);
      try {
        const sessions = await alphaSessions(db, 'trade_flow', 'shadow');
        assert.equal(sessions.length, 1);
        assert.equal(sessions[0].strategy_id, 'shadow-tf');
        assert.equal(sessions[0].run, summary.run_id);
        assert.equal(sessions[0].recorded_orders, shadow.intents - shadow.refused);
        assert.ok(sessions[0].recorded_fills > 0);
        const ids = (
          await db.query(
            `SELECT DISTINCT venue_order_id LIKE 'shadow-%' AS s FROM hft.orders WHERE strategy_id = 'shadow-tf' AND event != 'new'`,
            'TSV',
          )
        )
          .trim()
          .split('\n');
        assert.deepEqual(ids, ['1']);
        assert.equal((await alphaSessions(db, 'trade_flow', 'trade')).length, 1);
      } finally {
        await db.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
