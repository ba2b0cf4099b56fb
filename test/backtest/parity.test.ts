import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { requireData } from '../venues/replay/data-dir.ts';
import { hft, readCsv, TXO, tmpDir, txoStrategies } from './helpers.ts';

/** Rows of a TSV query against a store folder. */
async function query(store: string, sql: string): Promise<string[][]> {
  const q = await hft(['db', 'query', sql, '--format', 'TSV', '--set', `store.path=${store}`]);
  assert.equal(q.code, 0, q.stderr);
  return q.stdout
    .trimEnd()
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => l.split('\t'));
}

/** Canonical order of order events: by time, order id, then lifecycle position. */
const RANK: Record<string, number> = {
  new: 0,
  ack: 1,
  reject: 1,
  partial: 2,
  fill: 3,
  canceled: 4,
  cancel_reject: 5,
};
function sortEvents(rows: (string | number)[][]): (string | number)[][] {
  return rows.sort(
    (a, b) =>
      (a[0] as number) - (b[0] as number) ||
      (a[1] as number) - (b[1] as number) ||
      RANK[a[2] as string] - RANK[b[2] as string] ||
      (a[6] as number) - (b[6] as number),
  );
}

describe('backtest / live-runtime parity', requireData(), () => {
  test('hft run sim --feed replay and hft backtest run give identical order and fill sequences', async () => {
    const dir = tmpDir('hft-parity-');
    const strategies = txoStrategies(dir);
    const store = path.join(dir, 'store');
    const sim = await hft([
      'run',
      'sim',
      '--feed',
      'replay',
      '--data',
      TXO,
      '--speed',
      'max',
      '--summary-json',
      path.join(dir, 'sim.json'),
      '--set',
      `strategies_file=${strategies}`,
      '--set',
      `store.path=${store}`,
      '--set',
      'ops.enabled=false',
    ]);
    assert.equal(sim.code, 0, sim.stderr);
    const out = path.join(dir, 'bt');
    const bt = await hft([
      'backtest',
      'run',
      '--strategy',
      'mm-txo',
      '--data',
      TXO,
      '--out',
      out,
      '--set',
      `strategies_file=${strategies}`,
    ]);
    assert.equal(bt.code, 0, bt.stderr);

    const simSummary = JSON.parse(readFileSync(path.join(dir, 'sim.json'), 'utf8'));
    const btSummary = JSON.parse(readFileSync(path.join(out, 'summary.json'), 'utf8'));
    assert.ok(btSummary.trades > 0, 'the run trades');
    assert.equal(simSummary.orders, btSummary.orders);
    assert.equal(simSummary.fills, btSummary.trades);
    assert.equal(simSummary.pnl.total, btSummary.pnl.net);

    // Every order event, as recorded by `hft run sim` and as written by the backtest.
    const recorded = (
      await query(
        store,
        'SELECT ts, order_id, event, side, price, qty, cum_qty, leaves_qty, reason FROM hft.orders',
      )
    ).map((r) => [
      Number(r[0]),
      Number(r[1]),
      r[2],
      Number(r[3]),
      Number(r[4]),
      Number(r[5]),
      Number(r[6]),
      Number(r[7]),
      r[8] ?? '',
    ]);
    const written = readCsv(path.join(out, 'orders.csv')).map((o) => [
      Number(o.ts),
      Number(o.order_id),
      o.event,
      o.side === 'buy' ? 1 : -1,
      Math.round(Number(o.price) * 100),
      Number(o.qty),
      Number(o.cum_qty),
      Number(o.leaves_qty),
      o.reason,
    ]);
    assert.equal(recorded.length, written.length, 'order events');
    assert.deepEqual(sortEvents(recorded), sortEvents(written));

    const recFills = (
      await query(
        store,
        'SELECT ts, ingest_ts, order_id, side, price, qty, fee, tax, taker FROM hft.trades ORDER BY ingest_ts, order_id, ts',
      )
    ).map((r) => r.map(Number));
    const btFills = readCsv(path.join(out, 'fills.csv')).map((f) => [
      Number(f.exch_ts),
      Number(f.local_ts),
      Number(f.order_id),
      f.side === 'buy' ? 1 : -1,
      Math.round(Number(f.price) * 100),
      Number(f.qty),
      Math.round(Number(f.fee) * 10_000),
      Math.round(Number(f.tax) * 10_000),
      f.liquidity === 'taker' ? 1 : 0,
    ]);
    assert.deepEqual(recFills, btFills);
  });

  test('a recorded hft run sim session replays through the backtester', async () => {
    const dir = tmpDir('hft-recorded-');
    const store = path.join(dir, 'store');
    const rec = await hft([
      'run',
      'sim',
      '--duration',
      '60',
      '--clock',
      'sim',
      '--set',
      `store.path=${store}`,
      '--set',
      'ops.enabled=false',
    ]);
    assert.equal(rec.code, 0, rec.stderr);
    const [[rows]] = await query(store, "SELECT count() FROM hft.market_data WHERE symbol = 'TXFD6'");
    assert.ok(Number(rows) > 100, `recorded ${rows} TXFD6 rows`);
    const out = path.join(dir, 'bt');
    const bt = await hft([
      'backtest',
      'run',
      '--strategy',
      'mm-txf',
      '--data',
      `store:${store}?symbols=TXFD6`,
      '--out',
      out,
    ]);
    assert.equal(bt.code, 0, bt.stderr);
    const s = JSON.parse(readFileSync(path.join(out, 'summary.json'), 'utf8'));
    assert.deepEqual(s.symbols, ['TXFD6']);
    assert.ok(s.period.data_s > 50 && s.period.data_s <= 61, `replayed ${s.period.data_s} s of the session`);
    assert.ok(s.orders > 0 && s.trades > 0, `orders ${s.orders} fills ${s.trades}`);
  });
});
