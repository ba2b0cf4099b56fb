import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { loadSettings } from '../../src/config/loader.ts';
import { loadStrategies } from '../../src/config/strategies.ts';
import { loadSymbols } from '../../src/config/symbols.ts';
import { ConfigError } from '../../src/core/errors.ts';
import { tickAt } from '../../src/core/ticks.ts';
import { repoRoot, symbolByCode } from '../helpers/symbols.ts';

/** A scratch copy of config/ so tests can write broken files. */
function scratch(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hft-cfg-'));
  cpSync(path.join(repoRoot, 'config'), path.join(dir, 'config'), { recursive: true });
  return dir;
}

test('layers apply in order: base < env < file < HFT_* env vars < CLI flags', () => {
  const dir = scratch();
  const file = path.join(dir, 'settings.yaml');
  writeFileSync(file, 'risk: { max_position: 7, max_order_qty: 3 }\nsim: { seed: 9 }\n');
  const base = loadSettings({ root: dir, envVars: {} }).settings;
  assert.equal(base.run.clock, 'real');
  assert.equal(base.risk.max_position, 20);

  const test_ = loadSettings({ root: dir, env: 'test', envVars: {} }).settings;
  assert.equal(test_.run.clock, 'sim', 'env file overrides base');

  const withFile = loadSettings({ root: dir, env: 'test', configFile: file, envVars: {} });
  assert.equal(withFile.settings.risk.max_position, 7);
  assert.equal(withFile.settings.risk.price_band_ticks, 50, 'untouched keys keep lower layers');
  assert.match(withFile.sources.get('risk.max_position')!, /settings\.yaml/);

  const withEnv = loadSettings({
    root: dir,
    env: 'test',
    configFile: file,
    envVars: { HFT_RISK__MAX_POSITION: '11', HFT_SIM__SEED: '5', HFT_UNRELATED_THING: 'x' },
  });
  assert.equal(withEnv.settings.risk.max_position, 11);
  assert.equal(withEnv.settings.risk.max_order_qty, 3);

  const withCli = loadSettings({
    root: dir,
    env: 'test',
    configFile: file,
    envVars: { HFT_RISK__MAX_POSITION: '11', HFT_SIM__SEED: '5' },
    overrides: [{ key: 'sim.seed', value: 77, label: '--seed' }],
  });
  assert.equal(withCli.settings.sim.seed, 77);
  assert.equal(withCli.settings.risk.max_position, 11);
  assert.equal(withCli.sources.get('sim.seed'), '--seed');
});

test('HFT_ENV picks the environment file', () => {
  assert.equal(loadSettings({ root: repoRoot, envVars: { HFT_ENV: 'test' } }).settings.run.clock, 'sim');
});

function expectConfigError(fn: () => unknown, source: RegExp, key: string, reason: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ConfigError, `expected ConfigError, got ${e}`);
    assert.match(e.source, source);
    assert.equal(e.key, key);
    assert.match(e.reason, reason);
    return true;
  });
}

test('a wrong type names the file, the key and the reason', () => {
  const dir = scratch();
  writeFileSync(path.join(dir, 'config/env/dev.yaml'), 'env: dev\nrisk:\n  max_position: lots\n');
  expectConfigError(
    () => loadSettings({ root: dir, envVars: {} }),
    /env\/dev\.yaml/,
    'risk.max_position',
    /number/,
  );
});

test('an unknown key is an error (typos fail at start)', () => {
  const dir = scratch();
  const f = path.join(dir, 'mine.yaml');
  writeFileSync(f, 'recorder:\n  flush_intervl_ms: 5\n');
  expectConfigError(
    () => loadSettings({ root: dir, configFile: f, envVars: {} }),
    /mine\.yaml/,
    'recorder.flush_intervl_ms',
    /unknown key/,
  );
});

test('__proto__ and empty keys are refused where they are written, and nothing reaches Object.prototype', () => {
  const dir = scratch();
  const f = path.join(dir, 'mine.yaml');
  writeFileSync(f, 'risk:\n  __proto__:\n    path: x\n');
  expectConfigError(
    () => loadSettings({ root: dir, configFile: f, envVars: {} }),
    /mine\.yaml/,
    'risk.__proto__',
    /not a configuration key/,
  );
  expectConfigError(
    () =>
      loadSettings({
        root: repoRoot,
        envVars: {},
        overrides: [{ key: '__proto__.path', value: 'x', label: '--set' }],
      }),
    /--set/,
    '__proto__.path',
    /not a configuration key/,
  );
  expectConfigError(
    () => loadSettings({ root: repoRoot, envVars: { HFT_RISK____PROTO__: '1' } }),
    /environment variable HFT_RISK____PROTO__/,
    'risk..proto.',
    /an empty key/,
  );
  assert.equal(({} as Record<string, unknown>).path, undefined);
});

test('replay speed, run length and simulated latencies are bounded (1e300 crashed the guard, 1e-300 and 1e308 never ended, 1e18 us timed every order out)', () => {
  for (const [key, value, reason] of [
    ['feed.speed', 1e300, /at most 100000/],
    ['feed.speed', 1e-300, /at least 0.001/],
    ['run.duration_s', 1e308, /at most a year/],
    ['sim.latency.order_us', 1e18, /at most 60,000,000 us/],
    ['feed.latency_us', 1e15, /at most 60,000,000 us/],
  ] as const)
    expectConfigError(
      () => loadSettings({ root: repoRoot, envVars: {}, overrides: [{ key, value, label: '--flag' }] }),
      /--flag/,
      key,
      reason,
    );
});

test('an ordering broken by one layer names that layer too, not only the key the check fell on', () => {
  expectConfigError(
    () =>
      loadSettings({
        root: repoRoot,
        envVars: {},
        overrides: [{ key: 'storm_guard.drawdown_warm_bps', value: 300, label: '--set warm' }],
      }),
    /base\.yaml/,
    'storm_guard.drawdown_storm_bps',
    /not above drawdown_warm_bps \(300\).*\(drawdown_warm_bps set in --set warm\)$/,
  );
});

test('a bad env var and a bad CLI flag are named as such', () => {
  expectConfigError(
    () => loadSettings({ root: repoRoot, envVars: { HFT_BUS__CAPACITY: '1000' } }),
    /environment variable HFT_BUS__CAPACITY/,
    'bus.capacity',
    /power of two/,
  );
  expectConfigError(
    () =>
      loadSettings({
        root: repoRoot,
        envVars: {},
        overrides: [{ key: 'run.clock', value: 'fast', label: '--clock' }],
      }),
    /--clock/,
    'run.clock',
    /real|sim/,
  );
});

test('YAML syntax errors and missing files name the file', () => {
  const dir = scratch();
  writeFileSync(path.join(dir, 'config/base.yaml'), 'risk: [unclosed\n');
  assert.throws(() => loadSettings({ root: dir, envVars: {} }), /base\.yaml/);
  assert.throws(
    () => loadSettings({ root: repoRoot, env: 'nope', envVars: {} }),
    /no config for environment 'nope'/,
  );
});

test('symbols: TXF ticks 1 point, 2330 follows the TWSE ladder, fees scaled', () => {
  const txf = symbolByCode('TXFD6');
  assert.equal(tickAt(txf, 3_300_000), 100);
  const tsmc = symbolByCode('2330');
  assert.equal(tsmc.lotSize, 1000);
  assert.equal(tickAt(tsmc, 999_00), 100, '1.00 below 1000');
  assert.equal(tickAt(tsmc, 1850_00), 500, '5.00 from 1000 up');
  assert.equal(tickAt(tsmc, 499_50), 50);
  assert.equal(tickAt(tsmc, 9_99), 1);
  assert.equal(tsmc.fees.taxRateSell, 30_000, '0.3% in 1e-7 units');
  assert.equal(txf.fees.taxRateBuy, 200, '0.002% in 1e-7 units');
});

test('symbols: inexact tick and bad bands are rejected with the key', () => {
  const dir = scratch();
  const f = path.join(dir, 'config/symbols.yaml');
  writeFileSync(
    f,
    'symbols:\n  - { code: X, exchange: TWSE, type: stock, price_scale: 100, ticks: [{ below: null, tick: 0.001 }], lot_size: 1, multiplier: 1 }\n',
  );
  expectConfigError(() => loadSymbols(f), /symbols\.yaml/, 'symbols[0].ticks[0].tick', /not a multiple/);
  writeFileSync(
    f,
    'symbols:\n  - { code: X, exchange: TWSE, type: stock, price_scale: 100, ticks: [{ below: 10, tick: 0.01 }], lot_size: 1, multiplier: 1 }\n',
  );
  expectConfigError(() => loadSymbols(f), /symbols\.yaml/, 'symbols[0].ticks', /below: null/);
});

test('strategies: unknown symbol and duplicate id are errors', () => {
  const dir = scratch();
  const f = path.join(dir, 'config/strategies.yaml');
  const known = new Set(['TXFD6']);
  writeFileSync(f, 'strategies:\n  - { id: a, class: market_maker, symbols: [NOPE] }\n');
  expectConfigError(
    () => loadStrategies(f, known),
    /strategies\.yaml/,
    'strategies[0].symbols[0]',
    /unknown symbol/,
  );
  writeFileSync(
    f,
    'strategies:\n  - { id: a, class: x, symbols: [TXFD6] }\n  - { id: a, class: x, symbols: [TXFD6] }\n',
  );
  expectConfigError(() => loadStrategies(f, known), /strategies\.yaml/, 'strategies[1].id', /duplicate/);
});
