import assert from 'node:assert/strict';
import { test } from 'node:test';
import { availableFields, resolveField } from '../../src/alpha/fields.ts';
import { FeasibilityGate } from '../../src/alpha/gates/feasibility.ts';
import { manifestSchema } from '../../src/alpha/sdk.ts';
import type { ValidationContext } from '../../src/alpha/validation-context.ts';

/** Gate A reads only the manifest and what the data contains. */
function ctx(
  fields: string[],
  content: ValidationContext['content'],
  complexity = 'O(1)',
): ValidationContext {
  const manifest = manifestSchema.parse({
    alpha_id: 'x',
    hypothesis: 'h',
    formula: 'f',
    data_fields: fields,
    complexity,
  });
  return { entry: { manifest }, content } as unknown as ValidationContext;
}

const FULL = { book: true, trades: true, tradeSides: true };

test("the original's aliases resolve to our fields", () => {
  assert.equal(resolveField('best_bid'), 'bid_px');
  assert.equal(resolveField('ask_size'), 'ask_qty');
  assert.equal(resolveField('volume'), 'trade_vol');
  assert.equal(resolveField('price'), 'current_mid');
  assert.equal(resolveField('lob_core.ofi_5'), 'lob_core.ofi_5');
  assert.equal(resolveField('lob_core.nope'), null);
  assert.equal(resolveField('vwap'), null);
});

test('Gate A passes with aliased fields on data that has them', async () => {
  const r = await new FeasibilityGate().run(
    ctx(['best_bid', 'bid_size', 'qty', 'mid', 'lob_core.ofi_5'], FULL),
  );
  assert.equal(r.passed, true);
  assert.deepEqual(r.details.missing_fields, []);
  assert.deepEqual(r.details.resolved_fields, {
    best_bid: 'bid_px',
    bid_size: 'bid_qty',
    qty: 'trade_vol',
    mid: 'current_mid',
    'lob_core.ofi_5': 'lob_core.ofi_5',
  });
  // best_bid names a price level: a warning, not a failure.
  assert.equal((r.details.precision_warnings as string[]).length, 0);
  const w = await new FeasibilityGate().run(ctx(['bid_price', 'bid_px', 'mid_price'], FULL));
  assert.equal(w.passed, true);
  assert.deepEqual(
    (w.details.precision_warnings as string[]).map((x) => x.split(':')[0]),
    ['bid_price', 'bid_px'],
  );
});

test('Gate A fails on a field the data lacks, an unknown field, or an invalid complexity', async () => {
  // Trades without their aggressor side (no trade_side), no book at all (a trades-only file).
  const tradesOnly = { book: false, trades: true, tradeSides: false };
  const r = await new FeasibilityGate().run(
    ctx(['trade_vol', 'trade_side', 'bid_qty', 'vwap', 'lob_core.trade_imbalance_5s'], tradesOnly),
  );
  assert.equal(r.passed, false);
  assert.deepEqual(r.details.missing_fields, [
    'trade_side',
    'bid_qty',
    'vwap',
    'lob_core.trade_imbalance_5s',
  ]);
  assert.ok(!(r.details.available_fields as string[]).includes('bid_px'));
  const c = await new FeasibilityGate().run(ctx(['bid_qty'], FULL, 'O(N^2)'));
  assert.equal(c.passed, false);
  assert.equal(c.details.complexity_ok, false);
  const ok = await new FeasibilityGate().run(ctx(['bid_qty'], FULL, 'o n'));
  assert.equal(ok.details.complexity_ok, true);
  assert.ok(availableFields(FULL).includes('lob_core.entropy_5'));
});

test("Gate A fails while the hypothesis is still the scaffold's TODO", async () => {
  const c = ctx(['mid'], FULL);
  c.entry.manifest.hypothesis = 'TODO: why this signal predicts the next moves of the mid';
  const r = await new FeasibilityGate().run(c);
  assert.equal(r.passed, false);
  assert.equal(r.details.hypothesis_ok, false);
  c.entry.manifest.hypothesis = 'Resting size at the touch leads the mid: the thin side is consumed first.';
  assert.equal((await new FeasibilityGate().run(c)).passed, true);
});
