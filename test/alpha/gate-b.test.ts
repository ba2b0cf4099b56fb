import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { signalChecks, truncateColumns } from '../../src/alpha/gates/correctness.ts';
import { Alpha, type AlphaEvent, type AlphaManifestInput, EVENT_BOOK } from '../../src/alpha/sdk.ts';
import { computeSignals, type SignalSeries } from '../../src/alpha/signal-path.ts';
import { createAlpha } from '../../src/alpha/testing.ts';
import type { SymbolSpec } from '../../src/contracts/symbols.ts';
import { EV_LAST, type EventColumns } from '../../src/venues/replay/event-columns.ts';
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

/** Reads the feature plane: the 5-level OFI of the last second over the mean depth. */
class DepthOfiAlpha extends Alpha {
  static override readonly manifest = manifest('depth_ofi');
  override readonly featureSet = 'lob_core';
  private at = -1;
  update(ev: Readonly<AlphaEvent>): number {
    const f = ev.features!;
    if (this.at < 0) this.at = f.index('ofi_5');
    const depth = (ev.bidDepth + ev.askDepth) / 2;
    return depth > 0 ? f.at(this.at) / depth : 0;
  }
  reset(): void {}
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
    const { look_ahead: la, determinism } = signalChecks(ctx);
    assert.equal(la.passed, true, JSON.stringify(la));
    const cuts = la.cuts as { cut_event: number; rows: number }[];
    assert.equal(cuts.length, 3);
    // Each cut's alpha saw the events before its cut: as many rows as the reference has there.
    const full = ctx.signals();
    for (const c of cuts) {
      assert.ok(c.rows > 0 && c.rows < full.n, `cut at ${c.cut_event}`);
      assert.ok(full.source[c.rows - 1] < c.cut_event && full.source[c.rows] >= c.cut_event);
    }
    assert.equal(determinism.passed, true);
    assert.equal(determinism.rows, full.n);
  });

  test('one pass with a limit per alpha gives each alpha what it gives alone on the cut data', () => {
    // The checks feed every instance in one pass of the book and features; this is what makes that
    // the same as running each on its own copy of the data cut at its message end.
    let cut = Math.floor(columns.n * 0.37);
    while ((columns.flags[cut - 1] & EV_LAST) === 0) cut--;
    const [whole, part] = computeSignals(
      [createAlpha(DepthOfiAlpha), createAlpha(DepthOfiAlpha)],
      columns,
      symbol,
      [columns.n, cut],
    );
    const alone = computeSignals([createAlpha(DepthOfiAlpha)], truncateColumns(columns, cut), symbol)[0];
    assert.ok(alone.n > 1000 && alone.n < whole.n);
    assert.equal(part.n, alone.n);
    assert.deepEqual(part.exchTs, alone.exchTs);
    assert.deepEqual(part.source, alone.source);
    assert.deepEqual(part.signal, alone.signal);
    assert.deepEqual(part.mid, alone.mid);
    assert.ok(
      part.signal.some((v) => v !== 0),
      'the features reached the alpha',
    );
  });

  test('an alpha that reads the next event fails the look-ahead check', () => {
    PeekAlpha.data = columns;
    const ctx = ctxOf(() => createAlpha(PeekAlpha));
    const checks = signalChecks(ctx, (data) => {
      PeekAlpha.data = data;
      return createAlpha(PeekAlpha);
    });
    const la = checks.look_ahead;
    assert.equal(la.passed, false);
    const cuts = la.cuts as { cut_event: number; difference: { row: number } | null }[];
    // At every cut its last signals before the cut changed: it had read past them.
    for (const c of cuts) assert.notEqual(c.difference, null, `cut at ${c.cut_event}`);
    // It is deterministic: only the look-ahead check catches it.
    assert.equal(checks.determinism.passed, true);
  });

  test('alphas with shared or unseeded random state fail the determinism check', () => {
    for (const cls of [SharedStateAlpha, RandomAlpha]) {
      const d = signalChecks(ctxOf(() => createAlpha(cls))).determinism;
      assert.equal(d.passed, false, cls.name);
      assert.equal((d.difference as { row: number }).row, 0, cls.name);
    }
  });
});
