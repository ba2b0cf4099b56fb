import type { Clock, Nanos } from '../../core/clock.ts';

/**
 * Wall-clock pacing of recorded data: reads data time, advancing `speed` times as fast as the wall
 * clock from `startNs` (data time at construction). speed 1 replays in real time.
 */
export class PacedClock implements Clock {
  readonly simulated = false;
  private readonly wall0 = performance.now();

  constructor(
    private readonly startNs: Nanos,
    private readonly speed: number,
  ) {
    if (!(speed > 0 && Number.isFinite(speed)))
      throw new Error(`PacedClock: speed must be > 0, got ${speed}`);
  }

  nowNs(): Nanos {
    return this.startNs + (performance.now() - this.wall0) * 1e6 * this.speed;
  }
}
