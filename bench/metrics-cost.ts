import { loadProject } from '../src/config/project.ts';
import { createLogger } from '../src/core/logger.ts';
import { TradingSystem } from '../src/services/trading-system.ts';

export interface MetricsCost {
  sim_seconds: number;
  rounds: number;
  on: { event_to_intent_p50_us: number; event_to_intent_p99_us: number; events_per_s: number };
  off: { event_to_intent_p50_us: number; event_to_intent_p99_us: number; events_per_s: number };
  p50_delta_us: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function runOnce(root: string, simSeconds: number, metrics: boolean) {
  const { settings, symbols, strategies } = loadProject({
    root,
    env: 'test',
    envVars: {},
    overrides: [{ key: 'metrics.enabled', value: metrics, label: 'bench' }],
  });
  const sys = await TradingSystem.create({
    settings,
    root,
    symbols,
    strategies,
    log: createLogger('silent'),
    record: false,
  });
  const s = await sys.run(simSeconds);
  return { p50: s.latency_us.p50, p99: s.latency_us.p99, eps: s.events / s.wall_s };
}

/** Event -> intent with metrics on vs off (a warm-up pair first, then `rounds` interleaved pairs). */
export async function benchMetricsCost(root: string, simSeconds = 600, rounds = 5): Promise<MetricsCost> {
  await runOnce(root, simSeconds / 4, false);
  await runOnce(root, simSeconds / 4, true);
  const on: Awaited<ReturnType<typeof runOnce>>[] = [];
  const off: Awaited<ReturnType<typeof runOnce>>[] = [];
  for (let i = 0; i < rounds; i++) {
    off.push(await runOnce(root, simSeconds, false));
    on.push(await runOnce(root, simSeconds, true));
  }
  const sum = (xs: typeof on) => ({
    event_to_intent_p50_us: median(xs.map((x) => x.p50)),
    event_to_intent_p99_us: median(xs.map((x) => x.p99)),
    events_per_s: Math.round(median(xs.map((x) => x.eps))),
  });
  const a = sum(on);
  const b = sum(off);
  return {
    sim_seconds: simSeconds,
    rounds,
    on: a,
    off: b,
    p50_delta_us: Math.round((a.event_to_intent_p50_us - b.event_to_intent_p50_us) * 100) / 100,
  };
}
