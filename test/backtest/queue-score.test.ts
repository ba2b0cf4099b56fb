/**
 * hft backtest queue-score on a hand-made L3 file whose answer is known: the orders ahead of the bid
 * probe are cancelled, then a trade fills an order behind it. The L3 truth fills the probe; the
 * risk-averse model (cancels assumed behind) does not; prob power 1 (a cancel is ahead with
 * probability 5/8 here) does, at the same message. Then the CLI on the shared ESH4 day.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { parseScoredModel, queueScore } from '../../src/backtest/queue-score.ts';
import type { SymbolSpec } from '../../src/contracts/symbols.ts';
import { NS_PER_S } from '../../src/core/clock.ts';
import { EventColumnsBuilder } from '../../src/venues/replay/event-columns.ts';
import { parseDbn } from '../../src/venues/replay/read-dbn.ts';
import { dataFile, requireData } from '../venues/replay/data-dir.ts';
import { encodeMbo, type MboRecord } from '../venues/replay/dbn-file.ts';
import { hft, tmpDir } from './helpers.ts';

const T0 = 1_703_545_200_000_000_000n;
const S = 1_000_000_000n;
const px = (p: number) => BigInt(Math.round(p * 100)) * 10_000_000n;
const rec = (
  t: bigint,
  action: string,
  side: string,
  id: number,
  price: number,
  size: number,
  last = true,
): MboRecord => ({
  tsEvent: T0 + t,
  tsRecv: T0 + t,
  orderId: BigInt(id),
  price: px(price),
  size,
  flags: last ? 0x80 : 0,
  action,
  side,
});

/** bid 1 (5) and ask 9 (5); the probes join; bid 2 (3) behind; 1 cancelled; a trade fills 2. */
const RECORDS = [
  rec(0n, 'A', 'B', 1, 4800, 5, false),
  rec(0n, 'A', 'A', 9, 4800.25, 5),
  rec(S / 2n, 'A', 'B', 2, 4800, 3),
  rec(2n * S, 'C', 'B', 1, 4800, 5),
  rec(3n * S, 'T', 'A', 0, 4800, 3, false),
  rec(3n * S, 'F', 'B', 2, 4800, 3, false),
  rec(3n * S, 'C', 'B', 2, 4800, 3),
];

const ES: SymbolSpec = {
  id: 0,
  code: 'ESH4',
  name: 'E-mini',
  exchange: 'CME',
  type: 'future',
  priceScale: 100,
  ticks: [{ below: Number.POSITIVE_INFINITY, tick: 25 }],
  qtyScale: 1,
  lotSize: 1,
  multiplier: 50,
  currency: 'USD',
  fees: { commission_per_contract: 0 },
} as unknown as SymbolSpec;

describe('queue-score on a hand-made L3 file', () => {
  const c = parseDbn(new Uint8Array(encodeMbo('ESH4', RECORDS)), 'hand.dbn').columns;
  const r = queueScore('hand.dbn', c, ES, {
    every: 1000,
    lots: 1,
    horizonNs: 60 * Number(NS_PER_S),
    orderLatencyNs: 0,
    checkpointsNs: [1, 2.5].map((s) => s * Number(NS_PER_S)),
    models: ['risk_averse', 'prob:power:1'].map(parseScoredModel),
  });
  const [ra, p1] = r.models;

  test('one probe pair after the first two-sided message; the truth fills the bid probe only', () => {
    assert.equal(r.messages, 4);
    assert.equal(r.probes, 2);
    assert.equal(r.truthFilled, 1);
  });

  test('risk-averse: cancels assumed behind, the queue ahead is 3 when the trade of 3 comes: no fill', () => {
    assert.equal(ra.matches, 1);
    assert.equal(ra.matchShare, 0.5);
    assert.equal(ra.filled, 0);
    assert.equal(ra.missedFills, 1);
    assert.equal(ra.falseFills, 0);
    assert.equal(ra.fillTimeErrorMs, null);
    assert.deepEqual(ra.queueError, [
      { ageS: 1, probes: 2, meanAbs: 0, meanSigned: 0 },
      { ageS: 2.5, probes: 2, meanAbs: 1.5, meanSigned: 1.5 },
    ]);
  });

  test('prob power 1: 5/8 of the cancel counted ahead (1.875 left), the trade fills it at the true time', () => {
    assert.equal(p1.matchShare, 1);
    assert.equal(p1.filled, 1);
    assert.deepEqual(p1.fillTimeErrorMs, { probes: 1, median: 0, p90: 0, signedMedian: 0 });
    assert.equal(p1.queueError[1].meanAbs, 1.875 / 2);
  });

  test('refuses L2 data and unknown model names', () => {
    const b = new EventColumnsBuilder();
    assert.throws(
      () =>
        queueScore('x.parquet', b.finish(), ES, {
          every: 1,
          lots: 1,
          horizonNs: 1,
          orderLatencyNs: 0,
          checkpointsNs: [],
          models: [],
        }),
      /no order-level records; queue-score needs L3 data/,
    );
    assert.throws(() => parseScoredModel('prob:cubic'), /queue model 'prob:cubic': unknown queue function/);
    assert.throws(() => parseScoredModel('fifo'), /expected risk_averse or prob:<func>\[:<n>\]/);
  });
});

describe('hft backtest queue-score on the shared L3 files', requireData(), () => {
  test('ESH4: a table per model; the JSON has every model with its scores', async () => {
    const esh4 = dataFile('esh4-glbx-mdp3-20231225.mbo.dbn.zst');
    const r = await hft(['backtest', 'queue-score', '--data', esh4, '--every', '1000']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^queue-score esh4-glbx-mdp3-20231225\.mbo\.dbn\.zst \(ESH4\): \d+ probes/);
    assert.match(r.stdout, /^risk_averse +\d+\.\d%/m);
    assert.match(r.stdout, /^prob:log2 +\d+\.\d%/m);
    const dir = tmpDir('hft-qs-');
    const j = await hft([
      'backtest',
      'queue-score',
      '--data',
      esh4,
      '--every',
      '1000',
      '--models',
      'risk_averse,prob:power:2',
      '--json',
    ]);
    assert.equal(j.code, 0, j.stderr);
    writeFileSync(path.join(dir, 'qs.json'), j.stdout);
    const [res] = JSON.parse(j.stdout);
    assert.deepEqual(
      res.models.map((m: { model: string }) => m.model),
      ['risk_averse', 'prob:power:2'],
    );
    assert.ok(
      res.probes > 50 && res.truthFilled > 0 && res.truthFilled < res.probes,
      JSON.stringify(res).slice(0, 300),
    );
    const bad = await hft([
      'backtest',
      'queue-score',
      '--data',
      dataFile('taifex-txo35000q6-20260417.parquet'),
    ]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /queue-score needs L3 data/);
  });
});
