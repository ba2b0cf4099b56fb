// V8 flags of a live trading process: `hft run live` sets them (bin/hft.mjs), and the bench's
// live rows run with them (bench/binance.ts).
// --no-lazy: every function is compiled to bytecode when its module loads instead of on its first
// call. A live session's first orders otherwise pay for compiling the decision path (strategy
// SDK, risk, order adapter, venue): its first intents took about twice as long (docs/live.md).
// Loading costs ~4x the bytecode (2.4 vs 0.6 MB for the trading system), not measurable in the
// start-up time.
export const LIVE_V8_FLAGS = ['--no-lazy'];

/** True for the arguments of `hft run live ...` (options anywhere). */
export function isLiveRun(args) {
  const words = args.filter((a) => !a.startsWith('-'));
  return words[0] === 'run' && words[1] === 'live';
}
