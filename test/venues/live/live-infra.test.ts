import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { inspect } from 'node:util';
import { Rng } from '../../../src/core/rng.ts';
import { Backoff } from '../../../src/venues/live/backoff.ts';
import { credentialEnvName, loadCredentials, Secret } from '../../../src/venues/live/credentials.ts';
import { checkEveryMs, StreamWatchdog } from '../../../src/venues/live/stream-watchdog.ts';
import { WindowLimit } from '../../../src/venues/live/window-limit.ts';
import { liveVenue } from '../../../src/venues/registry.ts';

const KEY = 'AK-7f3e9d1c2b';
const SECRET = 'SK-0a9b8c7d6e5f';

test('credentials: environment first, then a file outside the project; never printed', () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'hft-cred-root-'));
  const env = { [credentialEnvName('binance-usdm', 'api_key')]: KEY, HFT_BINANCE_USDM_API_SECRET: SECRET };
  assert.equal(credentialEnvName('binance-usdm', 'api_key'), 'HFT_BINANCE_USDM_API_KEY');
  const c = loadCredentials('binance-usdm', ['api_key', 'api_secret'], { root, env })!;
  assert.equal(c.get('api_key')!.reveal(), KEY);
  const printed = [
    String(c.get('api_secret')),
    JSON.stringify({ c: c.get('api_secret'), m: Object.fromEntries(c) }),
    inspect(c, { depth: 5 }),
    `${c.get('api_key')}`,
  ].join('\n');
  assert.ok(!printed.includes(SECRET) && !printed.includes(KEY), printed);
  assert.equal(loadCredentials('binance-usdm', ['api_key', 'api_secret'], { root, env: {} }), null);

  const outside = mkdtempSync(path.join(os.tmpdir(), 'hft-cred-out-'));
  const file = path.join(outside, 'keys.yaml');
  writeFileSync(file, `binance-usdm:\n  api_key: ${KEY}\n  api_secret: ${SECRET}\n`);
  const f = loadCredentials('binance-usdm', ['api_key', 'api_secret'], { root, env: {}, file })!;
  assert.equal(f.get('api_secret')!.reveal(), SECRET);
  mkdirSync(path.join(root, 'config'));
  const inside = path.join(root, 'config', 'keys.yaml');
  writeFileSync(inside, `api_key: ${KEY}\napi_secret: ${SECRET}\n`);
  assert.throws(
    () => loadCredentials('binance-usdm', ['api_key', 'api_secret'], { root, env: {}, file: inside }),
    (e: Error) => /inside the project/.test(e.message) && !e.message.includes(SECRET),
  );
  writeFileSync(file, `api_key: ${KEY}\n`);
  assert.throws(
    () => loadCredentials('binance-usdm', ['api_key', 'api_secret'], { root, env: {}, file }),
    (e: Error) => /no api_secret/.test(e.message) && !e.message.includes(KEY),
  );
  assert.ok(new Secret('x') instanceof Secret);
});

test('watchdog: a silent stream is reported once, within its limit plus one check period (a tenth of it)', () => {
  const seen: string[] = [];
  const w = new StreamWatchdog((s, ms) => seen.push(`${s}:${ms}`));
  const depth = w.add('depth', 2500, 0);
  const user = w.add('user', 10_000, 0);
  const every = checkEveryMs(w.minLimitMs);
  assert.equal(every, 250);
  for (let t = 0; t <= 2000; t += 500) w.beat(depth, t);
  // Silence past 2500 ms after the beat at 2000 is seen by the first check after 4500: 4750.
  for (let t = 0; t <= 4750; t += every) w.check(t);
  assert.deepEqual(seen, ['depth:2750']);
  w.check(6000);
  assert.equal(w.stale, 1, 'reported once per silence');
  w.beat(depth, 6100);
  w.check(8700);
  assert.deepEqual(seen, ['depth:2750', 'depth:2600']);
  w.beat(user, 9000);
  w.check(18_000);
  assert.equal(seen.length, 2);
  assert.equal(checkEveryMs(300), 50, 'never more often than every 50 ms');
});

test('backoff: doubling with jitter inside [d/2, d], capped, reset', () => {
  const b = new Backoff(250, 4000, new Rng(7));
  const d = Array.from({ length: 8 }, () => b.next());
  const caps = [250, 500, 1000, 2000, 4000, 4000, 4000, 4000];
  for (let i = 0; i < d.length; i++)
    assert.ok(d[i] >= caps[i] / 2 && d[i] <= caps[i], `attempt ${i}: ${d[i]}`);
  b.reset();
  assert.ok(b.next() <= 250);
  assert.throws(() => new Backoff(0, 10, new Rng(1)));
});

test('window limit: never past limit x (1 - headroom) in a window; venue headers only raise the count', () => {
  const w = new WindowLimit('orders-10s', 300, 10_000, 0.1);
  assert.equal(w.cap, 270);
  let ok = 0;
  for (let i = 0; i < 400; i++) if (w.tryTake(1, 1_000 + i)) ok++;
  assert.equal(ok, 270);
  assert.equal(w.throttled, 130);
  assert.equal(w.msToReset(5_000), 5_000);
  assert.equal(w.tryTake(1, 10_000), true, 'a new window');
  w.observe(200, 10_001);
  assert.equal(w.usedAt(10_002), 200);
  w.observe(5, 10_003);
  assert.equal(w.usedAt(10_004), 200, 'a lower venue count does not lower ours');
  assert.equal(w.tryTake(71, 10_005), false);
  assert.equal(w.tryTake(70, 10_005), true);
  assert.ok(w.peak <= 270);
});

test('registry: an unknown venue is a user error naming the known ones', async () => {
  await assert.rejects(liveVenue('nope'), /live venue 'nope' is unknown/);
});
