/**
 * `npm run bench`: figures for the closing notes, never asserted by tests.
 *   1. the whole trading loop in simulated time (event -> intent latency, LOB cost per event)
 *   2. LOB update + stats per event on real TAIFEX data
 *   3. feature-set update per event on real TAIFEX data (bench/features.ts)
 *   4. backtest throughput on real TAIFEX data with the market maker (bench/backtest.ts)
 *   5. recorder ingest (embedded and server), WAL append vs disk bandwidth (bench/recorder.ts)
 *   6. reading the store: open + query, and `hft db query` end to end (bench/store-read.ts)
 *   7. the order/risk gateway: what the in-process pipeline adds per intent; over NATS on loopback:
 *      intent -> order latency, throughput of one gateway, failover time; the research work
 *      queue: overhead per item, 1 -> 2 hft worker processes (bench/gateway.ts)
 *   8. alpha validation wall time: hft alpha validate ofi_mc on one TAIFEX day (bench/alpha.ts)
 *   9. reading the real data files, checks included (bench/readers.ts)
 * 10. the Binance live adapter against the fake on loopback: depth frame per level, frame -> intent
 *     latency beside the sim loop's, a silent or dropped stream seen and resynced (bench/binance.ts);
 *     the Shioaji adapter the same way on recorded TXFD6 (bench/shioaji.ts)
 *  10. the L3 (order-level) book on CME ESH4 MBO records (bench/l3.ts)
 * 11. formula search (hft alpha search): trials/s on 10,000 one-second bars of a TAIFEX day, and
 *     on the whole day with threads vs hft worker processes over NATS (--nats) (bench/search.ts)
 * 12. the RL environment: steps/s of an episode over a TAIFEX day in the tick backtester (bench/rl.ts)
 * Prints a table, then one JSON line (prefix "BENCH_JSON ") with every figure.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadProject } from '../src/config/project.ts';
import { MdKind } from '../src/contracts/market.ts';
import { LatencyHistogram } from '../src/core/histogram.ts';
import { createLogger } from '../src/core/logger.ts';
import { LobEngine } from '../src/lob/lob-engine.ts';
import { TradingSystem } from '../src/services/trading-system.ts';
import { EV_LAST } from '../src/venues/replay/event-columns.ts';
import { readTaifex } from '../src/venues/replay/read-taifex.ts';
import { benchAlphaValidate } from './alpha.ts';
import { benchBacktestChild } from './backtest.ts';
import { benchBinanceChild, benchDeadStream } from './binance.ts';
import { benchRisk, benchStrategies } from './decision.ts';
import { benchFeatures } from './features.ts';
import { benchInProcessGateway, benchNatsGateway, benchWorkQueue } from './gateway.ts';
import { benchL3, benchL3Backtest, benchReplayMemory } from './l3.ts';
import { benchMetricsCost } from './metrics-cost.ts';
import { benchReaders } from './readers.ts';
import { benchRecorder } from './recorder.ts';
import { benchRl } from './rl.ts';
import { benchSearch, benchSearchQueue } from './search.ts';
import { benchShioaji } from './shioaji.ts';
import { benchStoreRead } from './store-read.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dataDir = process.env.HFT_DATA_DIR ?? path.resolve(root, '../shared/data');
const results: Record<string, unknown> = {};

function row(name: string, value: string): void {
  process.stdout.write(`${name.padEnd(48)} ${value}\n`);
}

/** Whole loop (no recorder) in simulated time: the hot path at full speed. */
async function benchLoop(simSeconds: number, record: boolean): Promise<void> {
  const { settings, symbols, strategies } = loadProject({
    root,
    env: 'test',
    envVars: {},
    overrides: [{ key: 'store.path', value: path.join(root, 'data', 'bench'), label: 'bench' }],
  });
  const sys = await TradingSystem.create({
    settings,
    root,
    symbols,
    strategies,
    log: createLogger('silent'),
    record,
  });
  const s = await sys.run(simSeconds);
  const tag = record ? 'loop_recording' : 'loop';
  results[tag] = {
    sim_seconds: simSeconds,
    wall_s: s.wall_s,
    events: s.events,
    events_per_s: Math.round(s.events / s.wall_s),
    intents: s.latency_us.count,
    event_to_intent_us: s.latency_us,
    lob_update_ns: s.lob_update_ns,
    recorded_rows: s.recorded_rows,
  };
  row(
    `${tag}: events (${simSeconds} s simulated)`,
    `${s.events} in ${s.wall_s} s wall (${Math.round(s.events / s.wall_s)}/s)`,
  );
  row(
    `${tag}: event -> intent (n=${s.latency_us.count})`,
    `p50 ${s.latency_us.p50} us   p99 ${s.latency_us.p99} us`,
  );
  row(
    `${tag}: normalize + LOB update + stats per event`,
    `p50 ${s.lob_update_ns.p50} ns   p99 ${s.lob_update_ns.p99} ns`,
  );
}

/** LOB update + stats on real data, per event, timed individually (includes ~30 ns timer cost). */
async function benchLobReal(file: string): Promise<void> {
  const full = path.join(dataDir, file);
  const data = await readTaifex(full, {});
  const c = data.columns;
  const lob = new LobEngine(1);
  const clear = { kind: MdKind.Clear, symbolId: 0, exchTs: 0, localTs: 0, seq: 0 } as const;
  const h = new LatencyHistogram();
  let timerCost = 0;
  for (let i = 0; i < 100_000; i++) {
    const a = performance.now();
    timerCost += performance.now() - a;
  }
  timerCost = (timerCost / 100_000) * 1e6;
  for (let pass = 0; pass < 3; pass++) {
    h.reset();
    const t0 = performance.now();
    let applied = 0;
    for (let i = 0; i < c.n; i++) {
      const k = c.kind[i];
      if (k === MdKind.Trade) continue;
      const a = performance.now();
      if (k === MdKind.Clear) lob.apply(clear);
      else lob.applyLevel(0, c.side[i], c.price[i], c.qty[i], (c.flags[i] & EV_LAST) !== 0, c.exchTs[i], 0);
      h.record((performance.now() - a) * 1e6);
      applied++;
    }
    const total = (performance.now() - t0) * 1e6;
    if (pass === 2) {
      results.lob_real = {
        file,
        events: applied,
        p50_ns: h.percentile(50),
        p99_ns: h.percentile(99),
        mean_ns_incl_timer: Math.round(total / applied),
        timer_cost_ns: Math.round(timerCost),
      };
      row(
        `LOB update + stats, real data (${file})`,
        `p50 ${h.percentile(50)} ns   p99 ${h.percentile(99)} ns   (${applied} events, timer ~${Math.round(timerCost)} ns)`,
      );
    }
  }
}

row('node', `${process.version} on ${process.arch}`);
await benchLoop(1800, false);
await benchLoop(600, true);
await benchLobReal('taifex-txf-20260408.parquet');
results.readers = await benchReaders(dataDir, row);
results.l3 = benchL3(dataDir, row);
// L3 exchange: the touch quoter of examples/ on ESH4 with --exchange l3 and l2, the model alone, queue-score.
results.l3_backtest = await benchL3Backtest(root, dataDir, row);
// Replay memory: peak RSS of streamed 2- and 30-day replays and the market maker, each in a fresh process.
results.replay_memory = benchReplayMemory(root, dataDir, row);
results.features_real = await benchFeatures(dataDir, row);
// Cost of metrics on the hot path: event -> intent with metrics.enabled on vs off.
const mc = await benchMetricsCost(root);
results.metrics_cost = mc;
row(
  `metrics on: event -> intent (median of ${mc.rounds})`,
  `p50 ${mc.on.event_to_intent_p50_us} us   p99 ${mc.on.event_to_intent_p99_us} us   ${mc.on.events_per_s} events/s`,
);
row(
  `metrics off: event -> intent (median of ${mc.rounds})`,
  `p50 ${mc.off.event_to_intent_p50_us} us   p99 ${mc.off.event_to_intent_p99_us} us   ${mc.off.events_per_s} events/s`,
);
// Backtest throughput: hft backtest run with the market maker on a TXF day, single thread; best pass
// and median warm pass of 9 over the data read once (the JIT compiles over the first three);
// StormGuard observed (the default), then off and applied. In a fresh process (benchBacktestChild).
const bt = benchBacktestChild(root, dataDir, 9);
results.backtest = bt;
row(
  `backtest: market maker on ${bt.file}`,
  `${bt.events_per_s} events/s best of ${bt.passes} passes, median warm pass ${bt.median_events_per_s}, its CPU ${bt.cpu_s} s = ${bt.events_per_cpu_s} events per CPU s (${bt.events} events in ${bt.wall_s} s, ${bt.fills} fills; reading the file once: ${bt.read_s} s)`,
);
row(
  'backtest: the same, StormGuard off / applied (on)',
  `${bt.guard_off_events_per_s} / ${bt.guard_on_events_per_s} events/s best pass (observe is the default; on: ${bt.guard_on_fills} fills)`,
);
row('backtest: same replay without a strategy', `${bt.no_strategy_events_per_s} events/s`);
row('backtest: L2 exchange model alone, same events', `${bt.exchange_events_per_s} events/s`);
await benchRecorder(results, row);
results.store_read = await benchStoreRead(root, row);
// Decision plane: risk per intent (target <= 500 ns), event -> intent with every shipped strategy class.
const rb = benchRisk();
results.risk_check = rb;
row(
  'risk check per intent, passing (all validators)',
  `p50 ${rb.pass_ns.p50} ns   p99 ${rb.pass_ns.p99} ns (batch means)`,
);
row(
  'risk check per intent, rejected (price band)',
  `p50 ${rb.reject_ns.p50} ns   p99 ${rb.reject_ns.p99} ns`,
);
const sb = await benchStrategies(root);
results.strategies = sb;
row(
  `event -> intent, ${sb.strategies.length} strategies (median of ${sb.rounds})`,
  `p50 ${sb.event_to_intent_p50_us} us   p99 ${sb.event_to_intent_p99_us} us   (${sb.intents} intents, ${sb.events_per_s} events/s)`,
);
const gb = benchInProcessGateway();
results.gateway_inprocess = gb;
row(
  'gateway in-process: added per intent (paired batches)',
  `p50 ${gb.added_ns_p50} ns   (risk + adapter ${gb.direct_ns.p50} ns, with gateway ${gb.gateway_ns.p50} ns)`,
);
// Alpha validation: hft alpha validate ofi_mc on one TAIFEX day, end to end (target < 5 s).
const ab = await benchAlphaValidate(root, dataDir);
results.alpha_validate = ab;
const alphaRow = (r: typeof ab.built) =>
  `${r.wall_s} s wall, ${r.cpu_s ?? '-'} s CPU at load ${r.load_avg_1m} (step: wall/CPU s ${Object.entries(
    r.steps_s,
  )
    .map(([k, v]) => `${k} ${v}/${r.steps_cpu_s[k] ?? '-'}`)
    .join(', ')}; Gate B tests process ${r.tests_s ?? '-'} s beside them; ${Object.entries(r.passed)
    .map(([g, ok]) => `${g} ${ok ? 'passed' : 'failed'}`)
    .join(', ')})`;
row(
  `alpha validate ${ab.alpha} on ${ab.file} (built${ab.build === 'temp-build' ? ' for the bench' : ''}, median of ${ab.runs.length})`,
  alphaRow(ab.built),
);
row(`alpha validate ${ab.alpha}, from the sources (tsx)`, alphaRow(ab.sources));
const nb = await benchNatsGateway();
results.gateway_nats = nb;
if (nb === null) row('gateway over NATS', 'skipped: nats-server not installed');
else {
  const l = nb.intent_to_order_us;
  const l1 = nb.intent_to_order_us_server_gomaxprocs1;
  row(
    `gateway over NATS: intent -> order at venue (n=${l.n} after ${l.warm} not counted)`,
    `p50 ${l.p50} us   p99 ${l.p99} us`,
  );
  row('  the same, nats-server with GOMAXPROCS=1', `p50 ${l1.p50} us   p99 ${l1.p99} us`);
  row(
    'gateway over NATS: throughput, one gateway',
    `${nb.throughput_intents_per_s} intents/s (${nb.burst_cpu_us_per_intent} us CPU per intent, runner + gateway; nats-server ${nb.burst_server_cpu_us_per_intent ?? '-'} us)`,
  );
  row(
    'gateway over NATS: one intent of the burst, us',
    Object.entries(nb.burst_stage_us)
      .map(([k, v]) => `${k} ${v}`)
      .join(', '),
  );
  row(
    'gateway over NATS: failover (leader dies -> first order of the standby)',
    `${nb.failover_ms} ms (lease ttl ${nb.lease_ttl_ms} ms)`,
  );
}
const wq = await benchWorkQueue();
results.work_queue = wq;
if (wq === null) row('research work queue', 'skipped: nats-server not installed');
else {
  row(
    `work queue: overhead per item (${wq.overhead_items} empty items, one worker)`,
    `${wq.overhead_ms_per_item} ms`,
  );
  row(
    `work queue: ${wq.items} CPU items of ${wq.item_ms} ms on 1 -> 2 hft worker processes`,
    `${wq.wall_s.one} s -> ${wq.wall_s.two} s: speedup ${wq.speedup}x of ideal 2x (load ${wq.load_avg_1m})`,
  );
}
// In a fresh process with the V8 flags of `hft run live` (benchBinanceChild).
const bn = benchBinanceChild(root, dataDir);
results.binance_live = bn;
row(
  'binance live: depth frame parsed + synced + book, alone',
  `${bn.depth_alone_ns_per_level} ns/level wall, ${bn.depth_alone_cpu_ns_per_level} ns/level CPU (best of 3, load ${bn.load_avg_1m})`,
);
row(
  `binance live: depth frame in the system (${bn.depth_levels} levels)`,
  `${bn.depth_ns_per_level} ns/level wall, ${bn.depth_cpu_ns_per_level} ns/level CPU (LOB, features, strategy included)`,
);
const simLat = (results.loop as { event_to_intent_us: { p50: number; p99: number } }).event_to_intent_us;
row(
  `binance live: socket frame -> intent (n=${bn.frame_to_intent_us.count})`,
  `p50 ${bn.frame_to_intent_us.p50} us   p99 ${bn.frame_to_intent_us.p99} us   max ${bn.frame_to_intent_us.max} us; CPU p50 ${bn.frame_to_intent_cpu_us.p50} us   p99 ${bn.frame_to_intent_cpu_us.p99} us (frames of ${bn.intent_frame_levels_p50} levels at the median)`,
);
row(
  `binance live: book event -> intent (n=${bn.event_to_intent_us.count})`,
  `p50 ${bn.event_to_intent_us.p50} us   p99 ${bn.event_to_intent_us.p99} us   (sim loop: p50 ${simLat.p50} us   p99 ${simLat.p99} us)`,
);
row(
  `binance live: frame -> order request at the fake (n=${bn.frame_to_order_at_venue_us.count})`,
  `p50 ${bn.frame_to_order_at_venue_us.p50} us   p99 ${bn.frame_to_order_at_venue_us.p99} us`,
);
const dead = await benchDeadStream(root);
results.binance_dead_stream = dead;
row(
  `binance live: silent stream seen (stale_ms ${dead.stale_ms})`,
  `${dead.silent_ms.join(' / ')} ms after its last frame`,
);
row(
  'binance live: dropped connection seen / resynced',
  `${dead.dropped_ms.join(' / ')} ms / ${dead.resync_ms.join(' / ')} ms (reconnect backoff + fresh snapshot)`,
);
// Formula search: trials/s on the original's budget shape (target >= 100 trials/s).
const search = await benchSearch(root, dataDir);
results.alpha_search = search;
row(
  `alpha search: ${search.features} features x ${search.samples} bars, ${search.pool} pool`,
  `random ${search.random_trials_per_s} trials/s, genetic ${search.genetic_trials_per_s} trials/s; DSR+PBO over ${search.genetic_trials} trials ${search.genetic_analysis_s} s (load ${search.load_avg_1m})`,
);
const sq = await benchSearchQueue(root, dataDir);
results.alpha_search_queue = sq;
if (sq === null) row('alpha search --nats', 'skipped: nats-server not installed');
else
  row(
    `alpha search --nats: ${sq.trials} trials on ${sq.samples} bars, ${sq.chunk} per item; thread, 2 threads, 1 and 2 hft workers`,
    `${Object.values(sq.trials_per_s).join(' / ')} trials/s; CPU ${Object.values(sq.cpu_ms_per_trial).join(' / ')} ms/trial; queue +${sq.queue_cpu_ms_per_trial} ms CPU/trial on 1 worker (load ${sq.load_avg_1m})`,
  );
const rlb = await benchRl(root, dataDir);
results.rl_env = rlb;
for (const b of rlb.bars)
  row(
    `rl env: episode of ${rlb.file}, ${b.bar_ms} ms steps`,
    `${b.steps_per_s} steps/s (${b.steps} steps, ${b.trades} trades, ${b.wall_s} s; load ${rlb.load_avg_1m})`,
  );
const sj = await benchShioaji(root, dataDir);
results.shioaji_live = sj;
row(
  `shioaji live: SSE message -> intent (n=${sj.frame_to_intent_us.count})`,
  `p50 ${sj.frame_to_intent_us.p50} us   p99 ${sj.frame_to_intent_us.p99} us   max ${sj.frame_to_intent_us.max} us (load ${sj.load_avg_1m})`,
);
row(
  `shioaji live: quote -> intent (n=${sj.event_to_intent_us.count})`,
  `p50 ${sj.event_to_intent_us.p50} us   p99 ${sj.event_to_intent_us.p99} us`,
);
row(
  `shioaji live: SSE message -> place_order at the fake (n=${sj.frame_to_order_at_venue_us.count})`,
  `p50 ${sj.frame_to_order_at_venue_us.p50} us   p99 ${sj.frame_to_order_at_venue_us.p99} us`,
);
process.stdout.write(`BENCH_JSON ${JSON.stringify(results)}\n`);
