import { UserError } from '../core/errors.ts';

/** Number-valued CLI flags: a bad value is a one-line user error naming the flag and the value. */

/** An integer >= `min`. */
export function intFlag(flag: string, v: string, min: number): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min)
    throw new UserError(`${flag} expects an integer >= ${min}, got '${v}'`);
  return n;
}

/** A finite number (any sign). */
export function numberFlag(flag: string, v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n)) throw new UserError(`${flag} expects a number, got '${v}'`);
  return n;
}

/** A finite number >= 0. */
export function nonNegativeFlag(flag: string, v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new UserError(`${flag} expects a non-negative number, got '${v}'`);
  return n;
}

/** A finite number > 0, whole when `integer`. */
export function positiveFlag(flag: string, v: string, integer: boolean): number {
  const n = Number(v);
  if (!(n > 0 && Number.isFinite(n)) || (integer && !Number.isInteger(n)))
    throw new UserError(`${flag} expects a positive ${integer ? 'integer' : 'number'}, got '${v}'`);
  return n;
}

/** A finite number, or undefined when the flag was not given. */
export function optionalNumberFlag(flag: string, v: string | undefined): number | undefined {
  return v === undefined ? undefined : numberFlag(flag, v);
}

/** A number in [0, 1], or in (0, 1] when `openLow` (a probability, a weight, a correlation). */
export function unitFlag(flag: string, v: string, openLow: boolean): number {
  const n = Number(v);
  if (v.trim() === '' || !((openLow ? n > 0 : n >= 0) && n <= 1))
    throw new UserError(`${flag} expects a number in ${openLow ? '(0, 1]' : '[0, 1]'}, got '${v}'`);
  return n;
}

/** A NATS server URL (nats:// or tls://); the same pattern as the config's gateway.nats.url. */
export function natsUrlFlag(flag: string, v: string): string {
  if (!/^(nats|tls):\/\/[^\s]+$/.test(v))
    throw new UserError(`${flag} expects a nats://host:port URL, got '${v}'`);
  return v;
}

/**
 * A work queue's name (`--work-queue`), checked before connecting (the queue's own check in
 * gateway/work-queue.ts runs only once a server answers).
 */
export function workQueueFlag(v: string): string {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(v))
    throw new UserError(`--work-queue ${JSON.stringify(v)}: use letters, digits, _ and -`);
  return v;
}
