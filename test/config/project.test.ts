import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { loadSettings } from '../../src/config/loader.ts';
import { findProjectRoot, loadProject } from '../../src/config/project.ts';
import { tmpDir } from '../backtest/helpers.ts';
import { repoRoot } from '../helpers/symbols.ts';

/** A project folder with only these config files (relative path -> content). */
function project(files: Record<string, string>): string {
  const root = tmpDir('hft-project-');
  for (const [f, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, f)), { recursive: true });
    writeFileSync(path.join(root, f), text);
  }
  return root;
}

test("a project's settings are layered over the platform's: package base < package env < project base < project env", () => {
  const root = project({
    'config/base.yaml': 'risk: { max_position: 3 }\nlog_level: debug\n',
    'config/env/test.yaml': 'risk: { max_order_qty: 2 }\n',
  });
  const dev = loadSettings({ root, envVars: {} });
  assert.equal(dev.settings.risk.max_position, 3, 'the project sets what differs');
  assert.equal(dev.settings.risk.price_band_ticks, 50, "the platform's defaults apply underneath");
  assert.equal(dev.settings.bus.capacity, 4096);
  assert.match(
    dev.sources.get('risk.max_position')!,
    new RegExp(`${path.basename(root)}/config/base\\.yaml$`),
  );
  assert.match(dev.sources.get('bus.capacity')!, /config\/base\.yaml$/);

  const t = loadSettings({ root, env: 'test', envVars: {} }).settings;
  assert.equal(t.run.clock, 'sim', "the platform's env file");
  assert.equal(t.log_level, 'debug', "the project's base wins over the platform's env file");
  assert.equal(t.risk.max_order_qty, 2, "the project's env file wins over its base");
  assert.throws(
    () => loadSettings({ root, env: 'staging', envVars: {} }),
    /no config for environment 'staging'/,
  );
  const staging = project({ 'config/env/staging.yaml': 'sim: { seed: 5 }\n' });
  assert.equal(loadSettings({ root: staging, env: 'staging', envVars: {} }).settings.sim.seed, 5);
});

test("config files the project lacks are the platform's; the ones it has are its own", () => {
  const root = project({
    'config/strategies.yaml':
      'strategies:\n  - { id: mine, class: ./strategies/x.ts#X, symbols: [TXFD6], params: { qty: 1 } }\n',
  });
  const p = loadProject({ root, envVars: {} });
  assert.equal(p.settings.strategies_file, path.join(root, 'config/strategies.yaml'));
  assert.equal(p.settings.symbols_file, path.join(repoRoot, 'config/symbols.yaml'));
  assert.equal(p.settings.strategy_limits_file, path.join(repoRoot, 'config/strategy_limits.yaml'));
  assert.deepEqual(
    p.strategies.map((s) => [s.id, s.class]),
    [['mine', './strategies/x.ts#X']],
  );
  assert.ok(
    p.symbols.some((s) => s.code === '2330'),
    "the platform's instrument table",
  );
  // Without the platform's layer (defaults: null) the project alone must be complete.
  assert.throws(() => loadSettings({ root, defaults: null, envVars: {} }), /base\.yaml.*file not found/);
});

test('the project is found upwards from the working directory, as git finds a repository', () => {
  const root = project({ 'config/base.yaml': '{}\n', 'strategies/deep/x.ts': '' });
  assert.equal(findProjectRoot(path.join(root, 'strategies/deep')), root);
  assert.equal(findProjectRoot(root), root);
  const none = tmpDir('hft-noproject-');
  assert.equal(findProjectRoot(none), none, 'no project: the working directory, platform defaults only');
});
