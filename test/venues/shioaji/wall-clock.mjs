/**
 * Preload for child processes of a test (`node --import <this file>`): the process's wall clock
 * reads HFT_TEST_WALL_MS (ms since 1970) at start and runs on from there at real speed. Date and
 * performance.timeOrigin move together, so the run's clock, its epoch, the session calendar and a
 * fake server's "now" all see the same chosen moment (a TAIFEX session on a weekday), whatever day
 * the test runs on. Timers are untouched.
 */
const wall = Number(process.env.HFT_TEST_WALL_MS);
if (Number.isFinite(wall)) {
  const RealDate = Date;
  const offset = wall - RealDate.now();
  const now = () => RealDate.now() + offset;
  class ShiftedDate extends RealDate {
    constructor(...args) {
      if (args.length === 0) super(now());
      else super(...args);
    }
    static now() {
      return now();
    }
  }
  globalThis.Date = ShiftedDate;
  const origin = performance.timeOrigin + offset;
  Object.defineProperty(performance, 'timeOrigin', { value: origin, configurable: true });
}
