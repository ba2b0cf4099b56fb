import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Epoch, RealClock, SimClock } from '../../src/core/clock.ts';

/** Seeded 32-bit generator (mulberry32): deterministic draws. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An absolute time ~2024 with every nanosecond digit significant (not representable as a double). */
const ABS = 1_703_541_600_123_456_789n;

describe('Epoch: exact absolute time around a float64 relative clock', () => {
  test('a float64 of absolute ns is not exact, relative to a midnight epoch it is', () => {
    assert.notEqual(BigInt(Number(ABS)), ABS, 'the premise: 1.7e18 ns rounds as a double');
    const e = Epoch.midnightBefore(ABS);
    assert.equal(e.ns, 1_703_462_400_000_000_000n, '2023-12-25T00:00:00Z');
    const t = e.fromAbs(ABS);
    assert.equal(t, 79_200_123_456_789);
    assert.equal(e.toAbs(t), ABS);
    assert.equal(e.toIso(t), '2023-12-25T22:00:00.123Z');
  });

  test('midnightBefore: at, after and before 1970', () => {
    assert.equal(Epoch.midnightBefore(0n).ns, 0n);
    assert.equal(Epoch.midnightBefore(86_400_000_000_000n).ns, 86_400_000_000_000n);
    assert.equal(Epoch.midnightBefore(86_399_999_999_999n).ns, 0n);
    assert.equal(Epoch.midnightBefore(-1n).ns, -86_400_000_000_000n);
    assert.equal(Epoch.midnightBeforeMs(Date.parse('2026-04-08T05:00:00.5Z')).ns, 1_775_606_400_000_000_000n);
  });

  test('fromParts and writeInt64LE are exact over ±2^53 ns without BigInt', () => {
    const e = Epoch.midnightBefore(ABS);
    const next = rng(7);
    const buf = Buffer.alloc(8);
    for (let i = 0; i < 20_000; i++) {
      // Offsets of every magnitude up to ±2^53, plus the edges.
      const mag = 2 ** Math.floor(next() * 53);
      let off = Math.floor(next() * mag) * (next() < 0.5 ? -1 : 1) + 0;
      if (i === 0) off = 2 ** 53 - 1;
      if (i === 1) off = -(2 ** 53) + 1;
      if (i === 2) off = 0;
      const abs = e.ns + BigInt(off);
      e.writeInt64LE(buf, 0, off);
      assert.equal(buf.readBigInt64LE(0), abs, `writeInt64LE(${off})`);
      const u = BigInt.asUintN(64, abs);
      assert.equal(e.fromParts(Number(u >> 32n), Number(u & 0xffffffffn)), off, `fromParts(${abs})`);
      assert.equal(e.toAbs(off), abs);
    }
  });

  test('fractional Nanos are rounded to the ns when leaving the process', () => {
    const e = new Epoch(1_000n);
    const buf = Buffer.alloc(8);
    e.writeInt64LE(buf, 0, 2.6);
    assert.equal(buf.readBigInt64LE(0), 1_003n);
    assert.equal(e.toAbs(-2.6), 997n);
  });

  test('fromMs: exchange milliseconds to Nanos exactly', () => {
    const e = Epoch.midnightBeforeMs(1_723_161_256_108);
    assert.equal(e.toAbs(e.fromMs(1_723_161_256_108)), 1_723_161_256_108_000_000n);
  });

  test('clocks carry their epoch; the zero epoch keeps absolute times', () => {
    assert.equal(new SimClock(5).epoch, Epoch.ZERO);
    const e = Epoch.midnightBefore(ABS);
    assert.equal(new SimClock(5, e).epoch.toAbs(5), e.ns + 5n);
    const real = new RealClock();
    const wallNs = BigInt(Date.now()) * 1_000_000n;
    const off = real.epoch.toAbs(real.nowNs()) - wallNs;
    assert.ok(
      off > -10_000_000_000n && off < 10_000_000_000n,
      `real clock reads the wall time (${off} ns off)`,
    );
    assert.equal(real.epoch.ns % 86_400_000_000_000n, 0n, 'real-clock epoch is a UTC midnight');
  });
});
