import assert from 'node:assert/strict';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { chromium } from 'playwright-core';
import { createLogger } from '../../src/core/logger.ts';
import { startOps } from '../../src/services/ops-server.ts';
import { buildSystem, requireBinary, set, testSettings } from '../observability/helpers.ts';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Bound of every wait: generous, it only fires on a real hang (the machine may run several suites). */
const WAIT = 120_000;

/** Polls `fn` until it is true (or fails after `ms`). */
async function until(fn: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('dashboard in headless Chromium: book, PnL, positions per symbol and price with fills update live; HALT and strategy controls need the token', async (t) => {
  const executablePath = requireBinary(t, CHROMIUM, 'chromium');
  if (executablePath === null) return;
  const settings = testSettings([
    set('run.clock', 'real'),
    set('ops.port', 0),
    // a loaded test machine must not trip loop-lag STORM and block the orders this test counts
    set('supervisor.loop_lag_storm_ms', 5000),
    // nor StormGuard's timer-lag / feed-gap inputs (STORM is reduce-only)
    set('storm_guard.latency_warm_us', 1_000_000),
    set('storm_guard.latency_storm_us', 2_000_000),
    set('storm_guard.feed_gap_storm_s', 30),
  ]);
  const log = createLogger('silent');
  const sys = await buildSystem(settings, log);
  const ops = await startOps(sys, settings, log);
  assert.ok(ops.tokenGenerated);
  const running = sys.run(0);
  const browser = await chromium.launch({ executablePath, args: ARGS });
  const pageErrors: string[] = [];
  try {
    const page = await browser.newPage({ viewport: { width: 1500, height: 1250 } });
    page.setDefaultTimeout(WAIT);
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('console', (m) => {
      // The refused HALT below is an expected 401.
      if (m.type() === 'error' && !m.text().includes('status of 401')) pageErrors.push(m.text());
    });
    await page.goto(ops.url!);
    await page.waitForSelector('#conn.up', { timeout: WAIT });

    // The ladder fills and changes as quotes arrive.
    await page.waitForFunction(() => document.querySelectorAll('#ladder tbody td.px').length >= 6, null, {
      timeout: WAIT,
    });
    const ladder0 = await page.textContent('#ladder tbody');
    await page.waitForFunction(
      (prev) => document.querySelector('#ladder tbody')!.textContent !== prev,
      ladder0,
      { timeout: WAIT },
    );
    // PnL: after the first fill the net PnL moves off zero, the positions table and the chart fill.
    await page.waitForFunction(() => document.querySelector('#pnl-total')!.textContent !== '0.00', null, {
      timeout: WAIT,
    });
    await page.waitForFunction(() => document.querySelectorAll('#positions tbody tr').length > 0);
    await page.waitForFunction(
      () => Number((document.querySelector('#chart-legend') as HTMLElement).dataset.points) >= 3,
      null,
      { timeout: WAIT },
    );
    await page.waitForFunction(() => document.querySelectorAll('#latency tbody tr').length === 9);

    // Positions: one chart per symbol, each on its own axis, in the symbol's own unit.
    await page.waitForFunction(
      (n) => document.querySelectorAll('#pos-charts figure canvas[data-hi]').length === n,
      sys.symbols.length,
    );
    const captions = await page.$$eval('#pos-charts figcaption', (els) => els.map((e) => e.textContent));
    assert.deepEqual(
      captions,
      sys.symbols.map((x) => `${x.code} · net position (${x.type === 'stock' ? 'shares' : 'contracts'})`),
    );
    assert.ok(captions.includes('2330 · net position (shares)'));
    // Once 2330 holds shares, its axis spans thousands while TXFD6's stays within its contracts.
    await page.waitForFunction(
      () => {
        const c = document.querySelector<HTMLCanvasElement>('#pos-charts figure[data-symbol="2330"] canvas')!;
        return Math.max(Math.abs(Number(c.dataset.hi)), Math.abs(Number(c.dataset.lo))) >= 1000;
      },
      null,
      { timeout: WAIT },
    );
    const txfAxis = await page.$eval('#pos-charts figure[data-symbol="TXFD6"] canvas', (c) => [
      Number((c as HTMLCanvasElement).dataset.lo),
      Number((c as HTMLCanvasElement).dataset.hi),
    ]);
    assert.ok(Math.max(...txfAxis.map(Math.abs)) <= 40, `TXFD6 axis in contracts: ${txfAxis}`);
    assert.match((await page.textContent('#positions tbody')) ?? '', /2330[\s\S]*\d sh/);
    // Price: the selected symbol's mid over time with our own fills marked on it.
    await page.waitForFunction(
      () => {
        const c = document.querySelector<HTMLCanvasElement>('#price-chart')!;
        return c.dataset.symbol === 'TXFD6' && Number(c.dataset.points) >= 3 && Number(c.dataset.fills) >= 1;
      },
      null,
      { timeout: WAIT },
    );
    assert.match(
      (await page.textContent('#price-legend')) ?? '',
      /TXFD6 mid · ▲ \d+ own buys · ▼ \d+ own sells/,
    );
    await page.screenshot({ path: path.join(os.tmpdir(), 'hft-dashboard-running.png'), fullPage: true });

    // A page that falls behind (its main thread busy for 3 s while updates queue up) catches up
    // with one render of the latest snapshot, not one render per queued update.
    const counts = () =>
      page.evaluate(() => [Number(document.body.dataset.updates), Number(document.body.dataset.renders)]);
    const [u0, r0] = await counts();
    await page.evaluate(() => {
      const end = Date.now() + 3000;
      while (Date.now() < end) {
        // busy: the page's main thread takes no update
      }
    });
    await page.waitForFunction((u) => Number(document.body.dataset.updates) >= u + 6, u0, { timeout: WAIT });
    const [u1, r1] = await counts();
    assert.ok(r1 - r0 < u1 - u0, `${u1 - u0} updates caught up with ${r1 - r0} renders`);

    // HALT without the token is refused, and trading goes on.
    await page.fill('#token', '');
    await page.click('#btn-halt');
    await page.waitForFunction(() =>
      /refused/.test(document.querySelector('#control-msg')!.textContent ?? ''),
    );
    assert.match(
      (await page.textContent('#control-msg')) ?? '',
      /HALT refused: control token required \(401\)/,
    );
    assert.notEqual(await page.getAttribute('#state', 'data-level'), 'HALT');
    assert.equal(ops.control.requests['halt:refused'], 1);
    const before = sys.orders.counters.sent;
    await until(() => sys.orders.counters.sent > before, WAIT, 'orders after the refused HALT');

    // With the token HALT takes effect: the state shows HALT and the orders counter stops.
    await page.fill('#token', ops.token);
    await page.click('#btn-halt');
    await page.waitForSelector('#state[data-level="HALT"]', { timeout: WAIT });
    const halted = sys.orders.counters.sent;
    const events = sys.marketData.events;
    await until(() => sys.marketData.events > events + 60, WAIT, 'market data during HALT');
    await page.waitForFunction(
      (n) => document.querySelector('#c-orders')!.textContent === n.toLocaleString('en-US'),
      halted,
      { timeout: WAIT },
    );
    await page.waitForTimeout(600); // a few more pushes: the counter must not move
    assert.equal(await page.textContent('#c-orders'), halted.toLocaleString('en-US'));
    assert.equal(sys.orders.counters.sent, halted, 'no order left while HALTED');
    assert.match((await page.textContent('#guard-history tbody tr')) ?? '', /NORMAL|WARM/);
    assert.match((await page.textContent('#guard-history tbody tr')) ?? '', /HALT/);
    await page.waitForFunction(() => document.querySelector('#c-open')!.textContent === '0', null, {
      timeout: WAIT,
    });
    await page.screenshot({ path: path.join(os.tmpdir(), 'hft-dashboard-halted.png'), fullPage: true });

    // Resume brings orders back.
    await page.click('#btn-resume');
    await page.waitForFunction(() => document.querySelector('#state')!.getAttribute('data-level') !== 'HALT');
    await until(() => sys.orders.counters.sent > halted, WAIT, 'orders after resume');

    // Per-strategy controls: disable, enable, flatten with the token; nothing without it.
    const row = (id: string) => `#strategies tr[data-strategy="${id}"]`;
    const msg = async (re: RegExp) => {
      await page.waitForFunction(
        (src) => new RegExp(src).test(document.querySelector('#control-msg')!.textContent ?? ''),
        re.source,
        { timeout: WAIT },
      );
    };
    await page.click(`${row('mm-txf')} button[data-action="disable"]`);
    await msg(/mm-txf disable accepted/);
    assert.equal(sys.runner.isEnabled('mm-txf'), false);
    await page.waitForFunction(
      (sel) => document.querySelector(sel)!.textContent!.includes('disabled'),
      row('mm-txf'),
    );
    await page.click(`${row('mm-txf')} button[data-action="enable"]`);
    await msg(/mm-txf enable accepted/);
    assert.equal(sys.runner.isEnabled('mm-txf'), true);
    await page.click(`${row('mm-txf')} button[data-action="flatten"]`);
    await msg(/mm-txf flatten accepted/);
    assert.equal(sys.runner.isEnabled('mm-txf'), false, 'flatten turns the strategy off');
    await page.fill('#token', '');
    await page.click(`${row('mm-2330')} button[data-action="disable"]`);
    await msg(/mm-2330 disable refused: control token required \(401\)/);
    assert.equal(sys.runner.isEnabled('mm-2330'), true);
    await page.screenshot({ path: path.join(os.tmpdir(), 'hft-dashboard-strategies.png'), fullPage: true });
    assert.deepEqual(pageErrors, [], 'no errors in the page');
  } finally {
    await browser.close();
    sys.stop();
    await running;
    await ops.close();
  }
});
