import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLogger, flushLogRepeats, StatusLineSink } from '../../src/core/logger.ts';

function capture() {
  const lines: string[] = [];
  return { lines, sink: { write: (s: string) => lines.push(s) } };
}

test('repeated warnings: the first is written, then one "N more in the last T s" line per window', () => {
  const { lines, sink } = capture();
  let now = 0;
  const root = createLogger('info', { sink, repeatWindowMs: 10_000, now: () => now });
  const log = root.child({ strategy: 'ofi-txf' });
  // 45,693 self-trade refusals and 7,814 rate-limit refusals over 30 s of wall time.
  for (let i = 1; i <= 45_693; i++) {
    now = (i / 45_693) * 30_000;
    log.warn({ reason: 'SELF_TRADE', count: i }, 'risk rejected intent');
    if (i % 5 === 0 && i / 5 <= 7_814)
      log.warn({ reason: 'BROKER_RATE_LIMIT' }, 'order adapter refused intent');
  }
  root.info('another message is not held back');
  flushLogRepeats();
  const rows = lines.map((l) => JSON.parse(l));
  assert.ok(rows.length <= 10, `${rows.length} lines instead of 53,507:\n${lines.join('')}`);
  const selfTrade = rows.filter((r) => r.reason === 'SELF_TRADE');
  assert.equal(selfTrade[0].msg, 'risk rejected intent');
  assert.equal(selfTrade[0].strategy, 'ofi-txf', 'the child logger bindings are kept');
  assert.match(selfTrade[1].msg, /^risk rejected intent: \d+ more in the last 10 s$/);
  // Counts are exact: the first line plus every summary make up every call.
  const total = (rs: { count: number }[]) => 1 + rs.slice(1).reduce((n, r) => n + r.count, 0);
  assert.equal(total(selfTrade), 45_693);
  assert.equal(total(rows.filter((r) => r.reason === 'BROKER_RATE_LIMIT')), 7_814);
  assert.ok(rows.some((r) => r.msg === 'another message is not held back'));
});

test('a message repeated after a quiet window is written in full again; the window 0 writes every line', () => {
  const { lines, sink } = capture();
  let now = 0;
  const log = createLogger('info', { sink, repeatWindowMs: 1000, now: () => now });
  log.warn({ reason: 'X' }, 'm');
  now = 5000;
  log.warn({ reason: 'X' }, 'm');
  assert.equal(lines.length, 2);
  const all = capture();
  const raw = createLogger('info', { sink: all.sink, repeatWindowMs: 0 });
  for (let i = 0; i < 5; i++) raw.warn('m');
  assert.equal(all.lines.length, 5);
});

test('log lines are written above a status line (the progress bar), which is drawn again below them', () => {
  const out: string[] = [];
  const status = new StatusLineSink({ write: (s) => out.push(s) });
  const log = createLogger('info', { sink: status });
  status.set('[###---]  50%');
  log.warn('StormGuard NORMAL -> WARM');
  status.set('[######] 100%');
  status.done();
  log.warn('after the bar');
  const screen = out.join('');
  const CLEAR = '\r\x1b[K';
  const [drawn, logged] = screen.split('\n');
  assert.ok(drawn.startsWith(`${CLEAR}[###---]  50%${CLEAR}{`), JSON.stringify(drawn));
  assert.equal(JSON.parse(drawn.slice(drawn.indexOf('{'))).msg, 'StormGuard NORMAL -> WARM');
  assert.ok(logged.startsWith('[###---]  50%'), 'the bar is drawn again below the log line');
  const tail = screen.slice(screen.indexOf('[######] 100%\n') + '[######] 100%\n'.length);
  assert.equal(JSON.parse(tail).msg, 'after the bar', 'after done() lines go below the finished bar');
  assert.ok(tail.endsWith('}\n'), 'and the bar is not drawn again');
});

test('on a terminal a log line reads as time, level, message and fields', () => {
  const out: string[] = [];
  const status = new StatusLineSink({ write: (s) => out.push(s) }, true);
  createLogger('info', { sink: status })
    .child({ strategy: 'mm-txf' })
    .warn({ reason: 'REDUCE_ONLY', count: 3 }, 'risk rejected intent');
  assert.equal(
    out[0].replace(/^\d\d:\d\d:\d\d /, 'hh:mm:ss '),
    'hh:mm:ss WARN  risk rejected intent  strategy=mm-txf reason=REDUCE_ONLY count=3\n',
  );
});
