import type { AlphaRunReport } from './alpha-monitor.ts';

/**
 * Bytes of JSON the alpha reports' drift samples may take in one run summary together. The run row
 * (hft.runs) is capped by the recorder (256 KB: above it the whole summary is replaced by a note,
 * and every alpha's session would be lost to Gate E and the canary); one alpha's 1,024 samples take
 * about 20 KB, so a dozen alphas used to reach the cap. 128 KB leaves room for the rest.
 */
export const SAMPLES_BUDGET_BYTES = 128 * 1024;

function isAlphaReport(r: unknown): r is AlphaRunReport {
  return (
    typeof r === 'object' &&
    r !== null &&
    (r as { kind?: unknown }).kind === 'alpha' &&
    typeof (r as { samples?: unknown }).samples === 'object'
  );
}

const samplesBytes = (r: AlphaRunReport) =>
  JSON.stringify(r.samples.signal).length + JSON.stringify(r.samples.mid_return).length;

/**
 * The strategy reports of a run with the alpha reports' samples thinned together until they fit
 * `budget`: every alpha keeps every k-th sample (k a power of 2, the same for all, `step_s` × k),
 * so each still covers the whole run and no alpha is dropped. Other reports are left as they are.
 */
export function fitAlphaReports(
  reports: Record<string, unknown>,
  budget = SAMPLES_BUDGET_BYTES,
): Record<string, unknown> {
  const alphas = Object.entries(reports).filter((e): e is [string, AlphaRunReport] => isAlphaReport(e[1]));
  let bytes = 0;
  for (const [, r] of alphas) bytes += samplesBytes(r);
  if (bytes <= budget) return reports;
  let k = 2;
  // Thinning by k divides the bytes by about k.
  while (bytes / k > budget && k < 1 << 20) k *= 2;
  const out: Record<string, unknown> = { ...reports };
  for (const [id, r] of alphas) {
    const keep = (xs: number[]) => xs.filter((_, i) => i % k === 0);
    out[id] = {
      ...r,
      samples: {
        step_s: r.samples.step_s * k,
        signal: keep(r.samples.signal),
        mid_return: keep(r.samples.mid_return),
      },
    };
  }
  return out;
}
