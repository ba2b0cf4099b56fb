/**
 * A promoted alpha in the runtime, on a replayed TAIFEX day: it trades through the standard alpha
 * strategy at its canary weight (never more than weight × max_position), an expired promotion does
 * not trade, and a slippage breach driven on the replay (fills reported 1% worse from a point on)
 * rolls it back at once: its working order cancelled, its position only unwound from then on, the
 * promotion file disabled at weight 0 and an audit.alpha_canary_log row recorded.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import YAML from 'yaml';
import { AlphaStrategy } from '../../src/alpha/alpha-strategy.ts';
import { CanaryRuntime } from '../../src/alpha/canary-runtime.ts';
import { type PromotionDoc, writePromotion } from '../../src/alpha/promotion-file.ts';
import { loadProject } from '../../src/config/project.ts';
import { NS_PER_US } from '../../src/core/clock.ts';
import { createLogger } from '../../src/core/logger.ts';
import { createMetricsRegistry } from '../../src/observability/system-metrics.ts';
import { openTarget } from '../../src/recorder/query.ts';
import { TradingControl } from '../../src/services/supervisor.ts';
import { TradingSystem } from '../../src/services/trading-system.ts';
import { L2Exchange } from '../../src/venues/sim/l2-exchange.ts';
import { ConstantLatency } from '../../src/venues/sim/latency-model.ts';
import { RiskAverseQueue } from '../../src/venues/sim/queue-model.ts';
import { repoRoot } from '../helpers/symbols.ts';
import { parseProm } from '../observability/helpers.ts';
import { dataFile, requireData } from '../venues/replay/data-dir.ts';

const NOW = Date.parse('2026-12-05T08:00:00Z');

function promotion(
  alpha: string,
  weight: number,
  expiry: string,
  params: Record<string, unknown>,
): PromotionDoc {
  return {
    alpha_id: alpha,
    enabled: true,
    weight,
    owner: 'alice',
    expiry_review_date: expiry,
    forced: false,
    source_commit: 'test',
    scorecard_snapshot: { sharpe_oos: 1.2 },
    thresholds: {},
    guardrails: {
      max_live_slippage_bps: 3,
      max_live_drawdown_contribution: 1,
      max_execution_error_rate: 1,
      min_orders: 20,
    },
    rollback: {
      trigger: { live_slippage_bps_gt: 3, live_drawdown_contribution_gt: 1, execution_error_rate_gt: 1 },
      action: { set_weight_to_zero: true, open_incident: true },
    },
    run_id: 'r1',
    config_hash: 'h',
    promoted_at: '2026-12-01T00:00:00.000Z',
    strategy: { id: `canary-${alpha}`, symbols: ['TXFD6'], params },
    history: [],
  };
}

describe('canary in the runtime', requireData(), () => {
  test('trades at its weight, an expired promotion does not; a slippage breach rolls it back in the run', {
    timeout: 600_000,
  }, async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'hft-canary-'));
    try {
      cpSync(path.join(repoRoot, 'config'), path.join(root, 'config'), { recursive: true });
      for (const a of ['trade_flow', 'ofi_depth'])
        cpSync(path.join(repoRoot, 'research/alphas', a), path.join(root, 'research/alphas', a), {
          recursive: true,
        });
      writeFileSync(path.join(root, 'package.json'), JSON.stringify({ type: 'module', private: true }));
      const dir = path.join(root, 'config/strategy_promotions');
      const params = { threshold: 0.3, max_position: 20, execution: 'maker', min_interval_ms: 250 };
      const file = path.join(dir, '20261201', 'trade_flow.yaml');
      writePromotion(file, promotion('trade_flow', 0.1, '2027-01-01', params));
      writePromotion(
        path.join(dir, '20261001', 'ofi_depth.yaml'),
        promotion('ofi_depth', 0.05, '2026-11-01', params),
      );

      const store = path.join(root, 'data');
      const { settings, symbols, strategies } = loadProject({
        root,
        env: 'test',
        envVars: {},
        overrides: [
          { key: 'store.path', value: store, label: 'test' },
          { key: 'feed.kind', value: 'replay', label: 'test' },
          { key: 'feed.data', value: [dataFile('taifex-txf-20260408.parquet')], label: 'test' },
          { key: 'feed.speed', value: 'max', label: 'test' },
          { key: 'run.clock', value: 'sim', label: 'test' },
          { key: 'ops.enabled', value: false, label: 'test' },
        ],
      });
      const log = createLogger('silent');
      const canaries = await CanaryRuntime.load(root, settings, log, { nowMs: NOW });
      assert.deepEqual(canaries.expired, ['ofi_depth']);
      assert.deepEqual(
        canaries.strategies.map((s) => s.id),
        ['canary-trade_flow'],
      );

      // The exchange: counts what reaches it; from the canary's 10th fill on, the first partial fill
      // (an order still working after it) is reported 1% worse than the exchange filled it.
      const submitted = new Set<number>();
      const cancelled: number[] = [];
      let fills = 0;
      let worsened = 0;
      const sys = await TradingSystem.create({
        settings,
        symbols,
        root,
        log,
        record: true,
        strategies: [...strategies.filter(() => false), ...canaries.strategies],
        strategyClasses: canaries.classes,
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
            if (cmd.intent.strategyId === 'canary-trade_flow') submitted.add(cmd.orderId);
            submit(cmd);
          };
          const cancel = m.cancel.bind(m);
          m.cancel = (id) => {
            cancelled.push(id);
            cancel(id);
          };
          const connect = m.connect.bind(m);
          m.connect = (onExec) =>
            connect((e) => {
              if (e.type === 'fill' && submitted.has(e.orderId)) {
                fills++;
                if (worsened === 0 && fills >= 10 && e.leavesQty > 0) {
                  worsened = e.orderId;
                  const side = e.side ?? 1;
                  onExec({ ...e, lastPx: e.lastPx + side * Math.round(e.lastPx * 0.01) });
                  return;
                }
              }
              onExec(e);
            });
          return m;
        },
      });
      canaries.attach(sys.recorder, () => NOW);
      const canary = sys.runner.strategies.find((s) => s.id === 'canary-trade_flow') as AlphaStrategy;
      assert.ok(canary instanceof AlphaStrategy);
      // Position over time, before and after the rollback.
      let pos = 0;
      let maxBefore = 0;
      const after: number[] = [];
      sys.router.listen((r) => {
        if (r.strategyId !== 'canary-trade_flow' || (r.type !== 'fill' && r.type !== 'partial')) return;
        pos += r.side * r.lastQty;
        if (canary.monitor.rolledBack === null) maxBefore = Math.max(maxBefore, Math.abs(pos));
        else after.push(Math.abs(pos));
      });
      let summary: Awaited<ReturnType<typeof sys.run>>;
      try {
        summary = await sys.run(0);
      } finally {
        await sys.recorder?.close();
      }
      assert.ok(worsened > 0, 'the breach was driven');
      // Traded at its weight: 20 lots x 0.1 = 2 at most, and it got there (orders of at most 2 lots:
      // a flip is a close and an open, each under the desk's 20M TWD cap per order).
      assert.equal(maxBefore, 2);
      assert.equal(canaries.rollbacks.length, 1);
      assert.match(canaries.rollbacks[0].reason, /^slippage \d+\.\d+ bps > 3$/);
      const rb = canary.monitor.rolledBack!;
      assert.ok(rb.cancelled >= 1, 'its working order was cancelled');
      assert.ok(cancelled.includes(worsened), 'the cancel reached the exchange for the order still working');
      assert.equal(canary.weight, 0);
      // From the rollback on, the position only shrinks (weight 0: the target is flat).
      for (let i = 1; i < after.length; i++) assert.ok(after[i] <= after[i - 1], JSON.stringify(after));
      assert.equal(summary.strategy_reports.ofi_depth, undefined);
      assert.equal(
        summary.strategy_reports['canary-ofi_depth'],
        undefined,
        'the expired promotion did not trade',
      );

      // The metric beside the log line: weight 0, one rollback.
      const reg = createMetricsRegistry({
        sys,
        safety: new TradingControl(sys, sys.stormGuard, log),
        supervision: null,
        busCapacity: settings.bus.capacity,
        venueRejects: {},
        breakers: () => [],
      });
      const { samples } = parseProm(await reg.metrics());
      const labels = '{alpha="trade_flow",strategy="canary-trade_flow"}';
      assert.equal(samples.get(`hft_alpha_weight${labels}`), 0);
      assert.equal(samples.get(`hft_alpha_rollbacks_total${labels}`), 1);

      const doc = YAML.parse(readFileSync(file, 'utf8')) as PromotionDoc;
      assert.equal(doc.enabled, false);
      assert.equal(doc.weight, 0);
      assert.equal(doc.history.at(-1)?.action, 'rolled_back');
      assert.equal(doc.history.at(-1)?.old_weight, 0.1);

      const db = await openTarget(store);
      try {
        const rows = (
          await db.query(
            'SELECT alpha_id, action, old_weight, new_weight, reason, run FROM audit.alpha_canary_log',
            'JSONEachRow',
          )
        )
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l));
        assert.equal(rows.length, 1);
        assert.equal(rows[0].alpha_id, 'trade_flow');
        assert.equal(rows[0].action, 'rolled_back');
        assert.equal(rows[0].old_weight, 0.1);
        assert.equal(rows[0].new_weight, 0);
        assert.equal(rows[0].run, summary.run_id);
      } finally {
        await db.close();
      }
      // The next run reads no active promotion of trade_flow.
      const next = await CanaryRuntime.load(root, settings, log, { nowMs: NOW });
      assert.deepEqual(next.strategies, []);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
