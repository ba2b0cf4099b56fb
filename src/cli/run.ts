import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../core/errors.ts';
import { createLogger } from '../core/logger.ts';
import { formatSummary } from '../services/summary.ts';
import { TradingSystem } from '../services/trading-system.ts';
import { type ConfigFlags, loadAll } from './context.ts';

export interface RunFlags extends ConfigFlags {
  duration?: string;
  summaryJson?: string;
  seed?: string;
  clock?: string;
  record?: boolean;
}

function num(flag: string, v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new UserError(`${flag} expects a non-negative number, got '${v}'`);
  return n;
}

/** `hft run sim`: the whole trading system on the simulated exchange. */
export async function runSim(flags: RunFlags): Promise<void> {
  const extra = [];
  if (flags.duration !== undefined)
    extra.push({
      key: 'run.duration_s',
      value: num('--duration', flags.duration),
      label: 'CLI flag --duration',
    });
  if (flags.seed !== undefined)
    extra.push({ key: 'sim.seed', value: num('--seed', flags.seed), label: 'CLI flag --seed' });
  if (flags.clock !== undefined)
    extra.push({ key: 'run.clock', value: flags.clock, label: 'CLI flag --clock' });
  const loaded = loadAll(flags, extra);
  const log = createLogger(process.env.HFT_LOG_LEVEL ?? loaded.settings.log_level);
  if (loaded.settings.run.clock === 'real')
    await TradingSystem.warmUp(
      { ...loaded, log: log.child({}, { level: 'error' }) },
      loaded.settings.run.warmup_s,
    );
  const sys = await TradingSystem.create({
    ...loaded,
    log,
    record: flags.record === false ? false : undefined,
  });
  const dur = loaded.settings.run.duration_s;
  log.info(
    {
      symbols: sys.symbols.map((s) => s.code),
      strategies: sys.runner.strategies.map((s) => s.id),
      clock: loaded.settings.run.clock,
      duration_s: dur || 'until Ctrl+C',
      store: sys.recorder ? path.resolve(loaded.settings.store.path) : 'off',
    },
    'hft run sim started',
  );
  let signals = 0;
  const onSignal = (sig: string) => {
    signals++;
    if (signals > 1) {
      log.error('second signal: exiting without a clean shutdown');
      process.exit(130);
    }
    log.info({ signal: sig }, 'stopping: flushing recorder and closing the store');
    sys.stop();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const summary = await sys.run(dur);
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  process.stdout.write(`${formatSummary(summary)}\n`);
  if (flags.summaryJson) {
    writeFileSync(flags.summaryJson, `${JSON.stringify(summary, null, 2)}\n`);
    process.stdout.write(`summary written to ${flags.summaryJson}\n`);
  }
}
