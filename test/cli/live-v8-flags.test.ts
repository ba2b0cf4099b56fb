import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { isLiveRun, LIVE_V8_FLAGS } from '../../bin/live-v8-flags.mjs';

test('hft run live is recognised wherever its options stand; other commands are not', () => {
  assert.ok(isLiveRun(['run', 'live', '--venue', 'binance-usdm']));
  assert.ok(isLiveRun(['--paper', 'run', 'live']));
  assert.ok(!isLiveRun(['run', 'sim', '--duration', '5']));
  assert.ok(!isLiveRun(['record', '--venue', 'binance-usdm']));
  assert.ok(!isLiveRun(['backtest', 'run', 'live']));
  assert.ok(!isLiveRun([]));
});

test('the live flags are ones this Node accepts, and they compile eagerly', () => {
  // A flag V8 does not know is an error on the command line (setFlagsFromString would ignore it).
  const size = (flags: readonly string[]) =>
    Number(
      execFileSync(
        process.execPath,
        [
          ...flags,
          '-e',
          'function f(){return 1}function g(){return 2}console.log(require("v8").getHeapCodeStatistics().bytecode_and_metadata_size)',
        ],
        { encoding: 'utf8' },
      ).trim(),
    );
  assert.ok(size(LIVE_V8_FLAGS) > size([]), 'more bytecode compiled at load with the live flags');
});
