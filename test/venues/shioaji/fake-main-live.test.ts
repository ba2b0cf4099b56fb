import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { sessionAt } from '../../../src/core/session-calendar.ts';
import type { RunSummary } from '../../../src/services/summary.ts';
import { ROOT, startNode, stopProc } from '../../gateway/processes.ts';
import { requireData } from '../replay/data-dir.ts';
import { until } from './harness.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const WALL_CLOCK = path.join(here, 'wall-clock.mjs');

/** The value of an unlabelled Prometheus counter in a /metrics page (0 when absent). */
function metric(page: string, name: string): number {
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(page);
  return m === null ? 0 : Number(m[1]);
}

describe('docs/live.md: hft run live against test/venues/shioaji/fake-main.ts', requireData(), () => {
  test('the documented commands: quotes applied, orders placed, the feed never reported down', async () => {
    // Both processes' wall clocks read a Wednesday 20:30 Taipei (TAIFEX night session), so the
    // session calendar lets orders out whatever day the test runs. The fake's recorded day is moved
    // to end then: its stream starts at the day open 13 h earlier, the previous UTC day, before the
    // run's epoch (the UTC midnight before it started), as any Taipei quote from before 08:00 is.
    const wallMs = Date.UTC(2026, 11, 9, 12, 30);
    assert.ok(sessionAt('TAIFEX', wallMs) !== null && sessionAt('TAIFEX', wallMs + 600_000) !== null);
    const env = { HFT_TEST_WALL_MS: String(wallMs) };
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hft-sj-main-'));
    const summaryFile = path.join(dir, 'summary.json');
    // `node --import tsx test/venues/shioaji/fake-main.ts 20`
    const fake = startNode('fake-main', ['--import', WALL_CLOCK, path.join(here, 'fake-main.ts'), '20'], env);
    let run: ReturnType<typeof startNode> | null = null;
    try {
      const url = (await fake.waitFor(/fake shioaji server: (http:\/\/127\.0\.0\.1:\d+)/))[1];
      // `hft run live --venue shioaji --paper --endpoint <url> --symbols TXFD6`, no store, the
      // dashboard on a free port (its /metrics says when the run has done what is checked).
      run = startNode(
        'hft run live',
        [
          '--import',
          WALL_CLOCK,
          path.join(ROOT, 'bin/hft.mjs'),
          'run',
          'live',
          '--venue',
          'shioaji',
          '--paper',
          '--endpoint',
          url,
          '--symbols',
          'TXFD6',
          '--no-record',
          '--set',
          'ops.port=0',
          '--summary-json',
          summaryFile,
        ],
        env,
        false,
      );
      const dashboard = (await run.waitFor(/metrics: +(http:\/\/\S+\/metrics)/))[1];
      let page = '';
      let polling = false;
      const poll = () => {
        if (!polling) {
          polling = true;
          void fetch(dashboard)
            .then((r) => r.text())
            .then((t) => void (page = t))
            .catch(() => {})
            .finally(() => void (polling = false));
        }
        return metric(page, 'hft_md_events_total') > 0 && metric(page, 'hft_orders_sent_total') > 0;
      };
      await until(poll, 'quotes applied and an order sent', 90_000).catch(async (err: Error) => {
        if (run !== null) await stopProc(run);
        throw new Error(`${err.message}:\n${run?.out().slice(-3000)}`);
      });
      assert.equal(await stopProc(run), 0, run.out().slice(-3000));
      const s = JSON.parse(readFileSync(summaryFile, 'utf8')) as RunSummary;
      assert.ok(s.events > 0, `events ${s.events}`);
      assert.ok(s.orders > 0, `orders ${s.orders}`);
      assert.equal(s.feed.malformed, 0, JSON.stringify(s.feed));
      assert.equal(s.feed.bad_time, 0, JSON.stringify(s.feed));
      assert.doesNotMatch(run.out(), /service is down/);
    } finally {
      if (run !== null) await stopProc(run);
      await stopProc(fake);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
