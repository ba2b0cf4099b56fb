import { existsSync } from 'node:fs';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { loadSettings } from '../../src/config/loader.ts';
import type { Settings } from '../../src/config/schema.ts';
import { loadStrategies } from '../../src/config/strategies.ts';
import { loadSymbols } from '../../src/config/symbols.ts';
import { createLogger, type Logger } from '../../src/core/logger.ts';
import { TradingSystem } from '../../src/services/trading-system.ts';
import { repoRoot } from '../helpers/symbols.ts';

export type Override = { key: string; value: unknown; label: string };
export const set = (key: string, value: unknown): Override => ({ key, value, label: 'test' });

/** Settings of the test environment (simulated clock) with overrides. */
export function testSettings(overrides: Override[] = []): Settings {
  return loadSettings({ root: repoRoot, env: 'test', envVars: {}, overrides }).settings;
}

/** A trading system built from the shipped config (no recorder unless asked). */
export async function buildSystem(settings: Settings, log: Logger = createLogger('silent'), record = false) {
  const symbols = loadSymbols(path.resolve(repoRoot, settings.symbols_file));
  const strategies = loadStrategies(
    path.resolve(repoRoot, settings.strategies_file),
    new Set(symbols.map((s) => s.code)),
  );
  return TradingSystem.create({ settings, root: repoRoot, symbols, strategies, log, record });
}

/** Prometheus text exposition -> samples keyed `name{label="v",...}` (labels sorted) and metric types. */
export function parseProm(text: string): { samples: Map<string, number>; types: Map<string, string> } {
  const samples = new Map<string, number>();
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line.startsWith('# TYPE ')) {
      const [, , name, type] = line.split(' ');
      types.set(name, type);
      continue;
    }
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (m === null) throw new Error(`unparsable metric line: ${line}`);
    const labels = (m[2] ?? '')
      .split(/,(?=[a-zA-Z_]\w*=")/)
      .filter((x) => x !== '')
      .sort();
    samples.set(`${m[1]}{${labels.join(',')}}`, Number(m[3]));
  }
  return { samples, types };
}

/**
 * Path of a system binary the test needs, or null after a visible skip notice; under CI=true a
 * missing binary fails the test instead.
 */
export function requireBinary(t: TestContext, file: string, pkg: string): string | null {
  if (existsSync(file)) return file;
  const msg = `${file} not found (Debian package ${pkg}): test skipped`;
  if (process.env.CI === 'true') throw new Error(`${msg} — not allowed under CI=true`);
  process.stderr.write(`NOTICE: ${msg}\n`);
  t.skip(msg);
  return null;
}
