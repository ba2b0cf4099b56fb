import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { z } from 'zod';
import type { StrategyConfig } from '../../src/config/strategies.ts';
import { UserError } from '../../src/core/errors.ts';
import {
  buildStrategy,
  prepareStrategy,
  SHIPPED_STRATEGIES,
  strategyClass,
} from '../../src/services/strategy-registry.ts';
import { parseParams } from '../../src/strategy/params.ts';
import { Strategy } from '../../src/strategy/sdk.ts';
import { tmpDir } from '../backtest/helpers.ts';
import { symbolByCode } from '../helpers/symbols.ts';

const txf = { ...symbolByCode('TXFD6'), id: 0 };

/** A project folder outside src/ with these files (path relative to it -> content). */
function project(files: Record<string, string>): string {
  const root = tmpDir('hft-plugin-');
  for (const [f, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, f)), { recursive: true });
    writeFileSync(path.join(root, f), text);
  }
  return root;
}

const conf = (cls: string, params: Record<string, unknown> = {}, id = 's1'): StrategyConfig => ({
  id,
  class: cls,
  enabled: true,
  symbols: ['TXFD6'],
  params,
  risk: {},
});

const PLUGIN = `import { Strategy, z } from 'hft-platform';
const params = z.object({ qty: z.number().int().positive(), side: z.enum(['buy', 'sell']).default('buy') });
export class Pinger extends Strategy.withParams(params) {
  describe(): string { return this.id + ' ' + this.params.side + ' ' + this.params.qty; }
}
export default class Quiet extends Strategy {}
export const notAClass = 42;
`;

/** A user-facing error: a UserError whose single-line message matches. */
function oneLine(re: RegExp) {
  return (e: unknown) => {
    assert.ok(e instanceof UserError, `a UserError, got ${e}`);
    assert.doesNotMatch(e.message, /\n/);
    assert.match(e.message, re);
    return true;
  };
}

test('a plugin strategy loads from a TypeScript file outside src/, by path relative to the project root', async () => {
  const root = project({ 'strategies/pinger.ts': PLUGIN });
  const p = await prepareStrategy(conf('./strategies/pinger.ts#Pinger', { qty: 3 }), root);
  const s = buildStrategy(p, [txf]);
  assert.ok(s instanceof Strategy, 'extends the platform’s own Strategy (one copy of the SDK)');
  assert.equal(
    (s as unknown as { describe(): string }).describe(),
    's1 buy 3',
    'params validated, defaults filled',
  );
  // The same file by absolute path; without #Name the default export.
  const abs = await strategyClass(conf(`${path.join(root, 'strategies/pinger.ts')}#Pinger`), root);
  assert.equal(abs, p.cls);
  assert.equal((await strategyClass(conf('./strategies/pinger.ts'), root)).name, 'Quiet');
});

test('a plugin strategy loads from a package installed in the project (an ES module importing hft-platform)', async () => {
  const root = project({
    'node_modules/desk-alphas/package.json': JSON.stringify({
      name: 'desk-alphas',
      type: 'module',
      exports: { '.': { import: './index.js' } },
    }),
    'node_modules/desk-alphas/index.js': `import { Strategy, z } from 'hft-platform';
export class Fast extends Strategy.withParams(z.strictObject({ k: z.number() })) {}
`,
  });
  const p = await prepareStrategy(conf('desk-alphas#Fast', { k: 2 }), root);
  assert.equal(p.cls.name, 'Fast');
  assert.deepEqual(p.params, { k: 2 });
  await assert.rejects(
    prepareStrategy(conf('missing-pkg#X'), root),
    oneLine(/^strategy s1: class missing-pkg#X: cannot load missing-pkg: /),
  );
});

test('a plugin that is missing, lacks the export or is not a strategy: one line naming it', async () => {
  const root = project({ 'strategies/pinger.ts': PLUGIN, 'strategies/broken.ts': 'export class {' });
  await assert.rejects(
    strategyClass(conf('./strategies/nope.ts#X'), root),
    oneLine(/^strategy s1: class \.\/strategies\/nope\.ts#X: file not found: .*strategies\/nope\.ts$/),
  );
  await assert.rejects(
    strategyClass(conf('./strategies/pinger.ts#Pong'), root),
    oneLine(/has no export 'Pong' \(it exports: Pinger, default\)/),
  );
  await assert.rejects(
    strategyClass(conf('./strategies/pinger.ts#notAClass'), root),
    oneLine(/'notAClass' is not a class extending Strategy/),
  );
  await assert.rejects(
    strategyClass(conf('./strategies/broken.ts#X'), root),
    // The reason names the line and what is wrong (esbuild's error, not only its "failed" header).
    oneLine(
      /^strategy s1: class \.\/strategies\/broken\.ts#X: cannot load \.\/strategies\/broken\.ts: Transform failed with 1 error: \S*broken\.ts:1:\d+: ERROR: /,
    ),
  );
  await assert.rejects(
    strategyClass(conf('market_makr'), root),
    oneLine(/unknown class 'market_makr' \(shipped: market_maker, ofi_taker, twap; a plugin is/),
  );
});

class Probe extends Strategy.withParams(
  z.object({ order_qty: z.number().int().positive(), band: z.number().default(2) }),
) {}

test('an unknown parameter is an error naming the strategy and the key, even with a non-strict z.object', () => {
  assert.throws(
    () => parseParams(Probe, 'probe-1', { order_qty: 1, bnad: 3 }),
    oneLine(/^strategy probe-1: unknown parameter 'bnad' \(Probe takes: order_qty, band\)$/),
  );
  assert.deepEqual(parseParams(Probe, 'probe-1', { order_qty: 1 }), { order_qty: 1, band: 2 });
});

test('an invalid or missing parameter: the key, the value and the reason, on one line', () => {
  assert.throws(
    () => parseParams(Probe, 'probe-1', { order_qty: -1 }),
    oneLine(/^strategy probe-1: parameter 'order_qty' = -1: Too small: expected number to be >0$/),
  );
  assert.throws(
    () => parseParams(Probe, 'probe-1', { order_qty: 'lots' }),
    oneLine(/^strategy probe-1: parameter 'order_qty' = 'lots': Invalid input: expected number/),
  );
  assert.throws(
    () => parseParams(Probe, 'probe-1', {}),
    oneLine(/^strategy probe-1: parameter 'order_qty' is required \(number\)$/),
  );
  class NoParams extends Strategy {}
  assert.deepEqual(parseParams(NoParams, 'n', {}), {});
  assert.throws(
    () => parseParams(NoParams, 'n', { qty: 1 }),
    oneLine(/^strategy n: unknown parameter 'qty': NoParams declares no parameters/),
  );
});

test('the shipped strategies declare their parameters the same way', async () => {
  for (const [name, cls] of Object.entries(SHIPPED_STRATEGIES)) {
    assert.ok(cls.params !== undefined, `${name} has a schema`);
    assert.throws(
      () => parseParams(cls, 'x', { not_a_param: 1 }),
      oneLine(/unknown parameter 'not_a_param'/),
    );
  }
  const root = project({});
  await assert.rejects(
    prepareStrategy(
      conf('market_maker', {
        order_qty: 1,
        half_spread_ticks: 0.5,
        max_inventory: 5,
        skew_ticks_per_unit: 0.5,
        requote_ticks: 1,
      }),
      root,
      {},
      { half_spred_ticks: 1 },
    ),
    oneLine(
      /^strategy s1: unknown parameter 'half_spred_ticks' \(MarketMaker takes: order_qty, half_spread_ticks/,
    ),
  );
});

test('a constructor refusing a setting is one line naming the strategy; a bug keeps its stack', async () => {
  const root = project({});
  const ofi = await prepareStrategy(
    conf('ofi_taker', {
      order_qty: 1,
      entry_threshold: 1,
      exit_threshold: 0.5,
      max_position: 2,
      hold_ms: 1000,
    }),
    root,
  );
  const lot3 = { ...txf, lotSize: 3 };
  assert.throws(
    () => buildStrategy(ofi, [lot3]),
    oneLine(/^strategy s1: order_qty 1 is not a multiple of TXFD6's lot 3$/),
  );
  class Buggy extends Strategy {
    constructor(id: string, symbols: readonly (typeof txf)[], params: unknown) {
      super(id, symbols, params);
      (undefined as unknown as { x: number }).x = 1;
    }
  }
  assert.throws(
    () => buildStrategy({ config: conf('buggy'), cls: Buggy, params: {} }, [txf]),
    (e: unknown) => e instanceof TypeError,
  );
});
