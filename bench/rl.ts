/**
 * The RL environment's speed: steps per second of one episode (the tick backtest of a whole TAIFEX
 * day with its latency, queue and fee models) under random actions, at a 1 s and a 5 s decision
 * bar; and one CEM candidate's episode time (what training costs per evaluation).
 */
import os from 'node:os';
import path from 'node:path';
import { loadProject } from '../src/config/project.ts';
import { createLogger } from '../src/core/logger.ts';
import { randomActions } from '../src/research/rl/env.ts';
import { basePolicy, envOver, type RlSetup } from '../src/research/rl/train.ts';

export interface RlBench {
  file: string;
  /** Per decision bar (ms): steps, trades, wall seconds, steps/s (best of 3). */
  bars: { bar_ms: number; steps: number; trades: number; wall_s: number; steps_per_s: number }[];
  load_avg_1m: number;
}

export async function benchRl(root: string, dataDir: string): Promise<RlBench> {
  const file = 'taifex-txf-20260408.parquet';
  const data = [path.join(dataDir, file)];
  const cfg = loadProject({ root, env: 'test', envVars: {} });
  const bars: RlBench['bars'] = [];
  for (const barMs of [1000, 5000]) {
    const setup: RlSetup = { cfg, barMs, maxPosition: 1, inventoryPenalty: 0, log: createLogger('error') };
    const spec = await basePolicy(setup, data);
    const env = await envOver(setup, data);
    let best = Number.POSITIVE_INFINITY;
    let steps = 0;
    let trades = 0;
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      const e = await env.episode(spec, randomActions(1));
      best = Math.min(best, (performance.now() - t0) / 1000);
      steps = e.steps;
      trades = e.trades;
    }
    bars.push({
      bar_ms: barMs,
      steps,
      trades,
      wall_s: Number(best.toFixed(3)),
      steps_per_s: Math.round(steps / best),
    });
  }
  return { file, bars, load_avg_1m: Number(os.loadavg()[0].toFixed(1)) };
}
