const POW10 = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12];

/**
 * Parses a non-negative decimal string ("61837.63000000") into an integer scaled by 10^decimals,
 * by walking the digits (no float rounding). NaN when malformed, when a non-zero digit lies beyond
 * `decimals`, or when the result is not a safe integer.
 */
export function parseScaledDecimal(s: string, decimals: number): number {
  let v = 0;
  let frac = -1; // digits seen after '.', -1 before it
  let digits = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) {
      if (frac >= 0) return Number.NaN;
      frac = 0;
      continue;
    }
    const d = c - 48;
    if (d < 0 || d > 9) return Number.NaN;
    digits++;
    if (frac >= 0) {
      if (frac >= decimals) {
        if (d !== 0) return Number.NaN;
        continue;
      }
      frac++;
    }
    v = v * 10 + d;
  }
  if (digits === 0) return Number.NaN;
  v *= POW10[decimals - Math.max(frac, 0)];
  return Number.isSafeInteger(v) ? v : Number.NaN;
}

/** Parses "34200.004241176" (seconds, up to 9 decimals) into integer nanoseconds, exactly. */
export function parseSecondsToNs(s: string): number {
  return parseScaledDecimal(s, 9);
}
