import type { Epoch } from '../core/clock.ts';
import type { BacktestSummary } from './summary.ts';

/** Taipei is UTC+8 all year (no daylight saving since 1979). */
const TAIPEI_OFFSET_MS = 8 * 3_600_000;

/** `v` with `digits` decimals and thousands separators: 1234567.891 -> "1,234,567.89". */
export function grouped(v: number, digits = 2): string {
  const fixed = Math.abs(v).toFixed(digits);
  const dot = fixed.indexOf('.');
  const int = dot < 0 ? fixed : fixed.slice(0, dot);
  const frac = dot < 0 ? '' : fixed.slice(dot);
  const sign = v < 0 && Number(fixed) !== 0 ? '-' : '';
  return `${sign}${int.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}${frac}`;
}

/** Money in currency units, grouped, with the currency: "-1,234.50 TWD". */
export function money(v: number, currency: string): string {
  return currency === '' ? grouped(v) : `${grouped(v)} ${currency}`;
}

/** Run-clock time as Taipei wall time, "2026-04-08 13:45:01". */
export function taipei(epoch: Epoch, t: number): string {
  return new Date(Math.floor(epoch.toMs(t)) + TAIPEI_OFFSET_MS).toISOString().slice(0, 19).replace('T', ' ');
}

/** An ISO UTC time (from summary.json) as Taipei wall time. */
export function taipeiIso(iso: string): string {
  return new Date(Date.parse(iso) + TAIPEI_OFFSET_MS).toISOString().slice(0, 19).replace('T', ' ');
}

/** A duration in seconds as "45 s", "12.5 min", "3.2 h" or "240.0 d". */
export function duration(s: number): string {
  if (s < 120) return `${grouped(s, s < 10 ? 1 : 0)} s`;
  if (s < 7200) return `${(s / 60).toFixed(1)} min`;
  if (s < 172_800) return `${(s / 3600).toFixed(1)} h`;
  return `${grouped(s / 86_400, 1)} d`;
}

/**
 * What StormGuard did (mode on) or would have done (observe): its worst state, when it first
 * got there and why, how long it stayed. One line for the terminal, the report and the sweep.
 */
export function guardLine(g: BacktestSummary['guard']): string {
  if (g.mode === 'off') return 'StormGuard off (not evaluated)';
  const how = g.mode === 'on' ? 'on, applied' : 'observe: evaluated, not applied';
  if (g.transitions.length === 0) return `StormGuard (${how}): NORMAL throughout`;
  const worst = g.transitions.find((t) => t.to === g.worst);
  const verb = g.mode === 'on' ? 'went' : 'would have gone';
  const at = worst ? ` at ${taipeiIso(worst.time)} Taipei (${worst.reason})` : '';
  const held = g.worst === 'NORMAL' ? '' : `; ${duration(g.seconds_in[g.worst])} in ${g.worst}`;
  return `StormGuard (${how}): ${verb} ${g.worst}${at}${held}; ${g.transitions.length} state changes`;
}

/** Refused orders by reason: "5,033 (BROKER_RATE_LIMIT 5,033, SELF_TRADE 45)" or "none". */
export function refusedLine(r: BacktestSummary['refused']): string {
  if (r.total === 0) return 'none';
  const parts = Object.entries(r.by_reason).map(([k, v]) => `${k} ${grouped(v.count, 0)}`);
  return `${grouped(r.total, 0)} (${parts.join(', ')})`;
}
