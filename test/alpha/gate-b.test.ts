import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { determinismCheck, lookAheadCheck } from '../../src/alpha/gates/correctness.ts';
import { Alpha, type AlphaEvent, type AlphaManifestInput, EVENT_BOOK } from '../../src/alpha/sdk.ts';
import { computeSignals, type SignalSeries } from '../../src/alpha/signal-path.ts';
import { createAlpha } from '../../src/alpha/testing.ts';
import type { SymbolSpec } from '../../src/contracts/symbols.ts';
import type { EventColumns } from '../../src/venues/replay/event-columns.ts';
import { readAny } from '../../src/venues/replay/read-any.ts';
import { symbolByCode } from '../helpers/symbols.ts';
import { dataFile, requireData } from '../venues/replay/data-dir.ts';

const manifest = (id: string): AlphaManifestInput => ({
  alpha_id: id,
  hypothesis: 'h',
  formula: 'f',
  data_fields: ['bid_qty', 'ask_qty'],
  complexity: 'O(1)',
});

/** An honest alpha: an EMA of the best level's imbalance. */
class LeanAlpha extends Alpha {
  static override readonly manifest = manifest('lean');
  private ema = 0;
  update(ev: Readonly<AlphaEvent>): number {
    if (ev.kind === EVENT_BOOK) this.ema += 0.1 * (ev.imbalance - this.ema);
    return this.ema;
  }
  reset(): void {
    this.ema = 0;
  }
}

/** Reads the next event of the data it was given: the price of the first event after now, minus the mid. */
class PeekAlpha extends Alpha {
  static override readonly manifest = manifest('peek');
  static data: EventColumns | null = null;
  private readonly data = PeekAlpha.data!;
  private p = 0;
  update(ev: Readonly<AlphaEvent>): number {
    const d = this.data;
    while (this.p < d.exchTs.length && d.exchTs[this.p] <= ev.exchTs) this.p++;
    return this.p < d.price.length ? Math.sign(d.price[this.p] - ev.mid) : 0;
  }
  reset(): void {
    this.p = 0;
  }
}

/** Shares a counter between its instances (state outside the instance). */
class SharedStateAlpha extends Alpha {
  static override readonly manifest = manifest('shared');
  static calls = 0;
  update(ev: Readonly<AlphaEvent>): number {
    return ev.imbalance + (SharedStateAlpha.calls++ % 2) * 1e-6;
  }
  reset(): void {}
}

/** Draws from an unseeded generator. */
class RandomAlpha extends Alpha {
  static override readonly manifest = manifest('random');
  update(ev: Readonly<AlphaEvent>): number {
    return ev.imbalance + (Math.random() - 0.5) * 1e-9;
  }
  reset(): void {}
}

describe('Gate B on a real TAIFEX day', requireData(), () => {
  let columns: EventColumns;
  let symbol: SymbolSpec;
  const ctxOf = (make: () => Alpha) => {
    let reference: SignalSeries | null = null;
    return {
      columns,
      symbol,
      config: { seed: 42, lookaheadCuts: 3 } as never,
      newAlpha: make,
      signals() {
        reference ??= computeSignals([make()], columns, symbol)[0];
        return reference;
      },
    };
  };

  test('read the day', async () => {
    const data = await readAny(dataFile('taifex-txf-20260408.parquet'));
    columns = data.columns;
    symbol = symbolByCode('TXFD6');
    assert.ok(columns.n > 100_000);
  });

  test('an honest alpha passes the look-ahead and determinism checks', () => {
    const ctx = ctxOf(() => createAlpha(LeanAlpha));
    const la = lookAheadCheck(ctx);
    assert.equal(la.passed, true, JSON.stringify(la));
    assert.equal((la.cuts as unknown[]).length, 3);
    assert.equal(determinismCheck(ctx).passed, true);
  });

  test('an alpha that reads the next event fails the look-ahead check', () => {
    PeekAlpha.data = columns;
    const ctx = ctxOf(() => createAlpha(PeekAlpha));
    const la = lookAheadCheck(ctx, (data) => {
      PeekAlpha.data = data;
      return createAlpha(PeekAlpha);
    });
    assert.equal(la.passed, false);
    const cuts = la.cuts as { cut_event: number; difference: { row: number } | null }[];
    // At every cut its last signals before the cut changed: it had read past them.
    for (const c of cuts) assert.notEqual(c.difference, null, `cut at ${c.cut_event}`);
    // It is deterministic: only the look-ahead check catches it.
    PeekAlpha.data = columns;
    assert.equal(determinismCheck(ctx).passed, true);
  });

  test('alphas with shared or unseeded random state fail the determinism check', () => {
    for (const cls of [SharedStateAlpha, RandomAlpha]) {
      const d = determinismCheck(ctxOf(() => createAlpha(cls)));
      assert.equal(d.passed, false, cls.name);
      assert.equal((d.difference as { row: number }).row, 0, cls.name);
    }
  });
});
