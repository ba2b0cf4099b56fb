import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { envKey, loadSettings } from '../../src/config/loader.ts';
import { loadProject } from '../../src/config/project.ts';
import { ConfigError } from '../../src/core/errors.ts';
import { repoRoot } from '../helpers/symbols.ts';

/** A scratch copy of config/ so tests can write broken files. */
function scratch(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hft-val-'));
  cpSync(path.join(repoRoot, 'config'), path.join(dir, 'config'), { recursive: true });
  return dir;
}

/** Loads with `--set` overrides; expects a one-line ConfigError matching `msg`. */
function refused(
  msg: RegExp,
  opts: Parameters<typeof loadSettings>[0] = {},
  sets: Record<string, unknown> = {},
) {
  const overrides = Object.entries(sets).map(([key, value]) => ({
    key,
    value,
    label: `CLI flag --set ${key}`,
  }));
  assert.throws(
    () => loadProject({ root: repoRoot, defaults: null, env: 'test', envVars: {}, ...opts, overrides }),
    (e: unknown) => {
      assert.ok(e instanceof ConfigError, `expected a ConfigError, got ${e}`);
      assert.ok(!e.message.includes('\n'), e.message);
      assert.match(e.message, msg);
      return true;
    },
  );
}

describe('bad configuration is one line naming the file or key and the reason', () => {
  test('--config naming a directory, a device, a missing file', () => {
    refused(/^config error in \/tmp: is a directory, expected a YAML file$/, { configFile: '/tmp' });
    refused(/^config error in \/dev\/zero: not a regular file/, { configFile: '/dev/zero' });
    refused(/^config error in \/nope\.yaml: file not found$/, { configFile: '/nope.yaml' });
  });

  test('a YAML alias bomb is the YAML library’s refusal, named, not a stack', () => {
    const dir = scratch();
    const bomb = path.join(dir, 'bomb.yaml');
    const lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (const [k, prev] of ['ba', 'cb', 'dc', 'ed', 'fe', 'gf'])
      lines.push(`${k}: &${k} [${Array(9).fill(`*${prev}`).join(',')}]`);
    writeFileSync(bomb, `${lines.join('\n')}\n`);
    refused(/^config error in .*bomb\.yaml: not valid YAML: Excessive alias count/, { configFile: bomb });
  });

  test('symbols_file and friends naming the wrong file: the file, the setting, where it was set', () => {
    refused(
      /^config error in \/etc\/passwd \(symbols_file, set in CLI flag --set symbols_file\): not a symbol table: expected a mapping with 'symbols:'$/,
      {},
      { symbols_file: '/etc/passwd' },
    );
    refused(
      /^config error in \/etc\/passwd \(strategies_file, .*not a strategies file/,
      {},
      { strategies_file: '/etc/passwd' },
    );
    refused(
      /^config error in \/missing\.yaml \(strategy_limits_file, .*: file not found$/,
      {},
      { strategy_limits_file: '/missing.yaml' },
    );
  });

  test('directory settings naming a file (the recorder’s WAL at /etc/passwd)', () => {
    refused(
      /^config error in CLI flag --set recorder\.wal\.dir at 'recorder\.wal\.dir': \/etc\/passwd is not a directory$/,
      {},
      {
        'recorder.wal.dir': '/etc/passwd',
      },
    );
    refused(
      /at 'store\.path': \/etc\/passwd\/data cannot be created: \/etc\/passwd is not a directory$/,
      {},
      {
        'store.path': '/etc/passwd/data',
      },
    );
    refused(/at 'orders\.dlq_dir'/, {}, { 'orders.dlq_dir': '/etc/hostname' });
  });

  test('keys that size memory are bounded', () => {
    refused(
      /at 'recorder\.ring_mb': Too big: expected number to be <=1024$/,
      {},
      { 'recorder.ring_mb': 100_000 },
    );
    refused(/at 'bus\.capacity': Too big/, {}, { 'bus.capacity': 2 ** 24 });
    refused(/at 'orders\.dlq_capacity': Too big/, {}, { 'orders.dlq_capacity': 1e9 });
    refused(/at 'recorder\.wal\.segment_mb': Too big/, {}, { 'recorder.wal.segment_mb': 1e6 });
  });

  test('thresholds that escalate must ascend (0 turns one off)', () => {
    refused(
      /at 'storm_guard\.drawdown_storm_bps': 200 is not above drawdown_warm_bps \(300\): drawdown_warm_bps < drawdown_storm_bps < drawdown_halt_bps must ascend/,
      {},
      {
        'storm_guard.drawdown_warm_bps': 300,
        'storm_guard.drawdown_storm_bps': 200,
        'storm_guard.drawdown_halt_bps': 100,
      },
    );
    refused(/at 'storm_guard\.reject_rate_storm'/, {}, { 'storm_guard.reject_rate_warm': 0.6 });
    refused(/at 'storm_guard\.latency_storm_us'/, {}, { 'storm_guard.latency_warm_us': 30_000 });
    refused(/at 'supervisor\.loop_lag_storm_ms'/, {}, { 'supervisor.loop_lag_warn_ms': 50 });
    refused(/at 'recorder\.wal\.retry_max_ms'/, {}, { 'recorder.wal.retry_base_ms': 60_000 });
    // A threshold at 0 is off: the others still ascend.
    const ok = loadSettings({
      root: repoRoot,
      defaults: null,
      env: 'test',
      envVars: {},
      overrides: [{ key: 'storm_guard.drawdown_warm_bps', value: 0, label: 'x' }],
    });
    assert.equal(ok.settings.storm_guard.drawdown_warm_bps, 0);
  });

  test('HFT_* variables: an unknown section or a single underscore is refused, others are not ours', () => {
    refused(
      /^config error in environment variable HFT_RISKK__MAX_POSITION: no config section 'riskk' \(did you mean HFT_RISK__…\?\)$/,
      {
        envVars: { HFT_RISKK__MAX_POSITION: '5' },
      },
    );
    refused(
      /HFT_RISK_MAX_POSITION: a config override separates the section with a double underscore: HFT_RISK__MAX_POSITION$/,
      {
        envVars: { HFT_RISK_MAX_POSITION: '5' },
      },
    );
    assert.equal(envKey('HFT_RISK__MAX_POSITION'), 'risk.max_position');
    assert.equal(envKey('HFT_LOG_LEVEL'), 'log_level');
    for (const other of [
      'HFT_ENV',
      'HFT_DATA_DIR',
      'HFT_RECORDER_MODE',
      'HFT_CLICKHOUSE_URL',
      'HFT_UNRELATED_THING',
      'PATH',
    ])
      assert.equal(envKey(other), null, other);
  });

  test('a missing directory setting that can be created is fine', () => {
    const dir = scratch();
    mkdirSync(path.join(dir, 'elsewhere'));
    const s = loadSettings({
      root: dir,
      defaults: null,
      envVars: {},
      overrides: [{ key: 'recorder.wal.dir', value: path.join(dir, 'elsewhere/not/yet'), label: 'x' }],
    });
    assert.equal(s.settings.recorder.wal.dir, path.join(dir, 'elsewhere/not/yet'));
  });
});
