/**
 * The standard signal-to-position mapping of an alpha traded as a strategy: long `max` above the
 * threshold, short `max` below minus the threshold; inside the band the position is kept, or, with a
 * holding period, flattened once the signal has stayed inside it that long. The target is a number
 * of lots in [−max, max]; NaN (an alpha warming up) counts as inside the band.
 */
export class SignalToPosition {
  /** Target position (lots), sign of the last signal beyond the threshold times `max`, or 0. */
  target = 0;
  private lastStrongTs = Number.NEGATIVE_INFINITY;

  constructor(
    /** |signal| above which the position is taken. */
    readonly threshold: number,
    /** Lots held at full conviction (after any canary weight). */
    readonly max: number,
    /** ns inside the band after which the position is flattened; 0 = keep it until the opposite signal. */
    readonly holdNs: number,
  ) {}

  /** The target after signal `s` at time `now` (ns). */
  update(s: number, now: number): number {
    if (s > this.threshold) {
      this.target = this.max;
      this.lastStrongTs = now;
    } else if (s < -this.threshold) {
      this.target = -this.max;
      this.lastStrongTs = now;
    } else if (this.holdNs > 0 && this.target !== 0 && now - this.lastStrongTs >= this.holdNs) {
      this.target = 0;
    }
    return this.target;
  }

  reset(): void {
    this.target = 0;
    this.lastStrongTs = Number.NEGATIVE_INFINITY;
  }
}
