/**
 * Child of the replay-memory bench: one backtest (market maker on TXF, StormGuard off) over the
 * files given, in a fresh process, then prints its events, wall time and peak RSS as JSON.
 *   node --import tsx bench/replay-memory-child.ts <root> <file...>
 */
import { DEFAULT_MODELS, runBacktest } from '../src/backtest/runner.ts';
import { loadProject } from '../src/config/project.ts';
import { createLogger } from '../src/core/logger.ts';

const [root, ...files] = process.argv.slice(2);
const { settings, symbols, strategies } = loadProject({ root, env: 'test', envVars: {} });
const r = await runBacktest(
  { settings, root, symbols, strategies },
  { strategyId: 'mm-txf', data: files, models: DEFAULT_MODELS, log: createLogger('silent'), guard: 'off' },
);
process.stdout.write(
  `${JSON.stringify({ events: r.run.events, wall_s: r.run.wall_s, peak_rss_mib: Math.round(process.resourceUsage().maxRSS / 1024) })}\n`,
);
