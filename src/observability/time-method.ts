import type { LatencyStages, StageId } from './latency-stages.ts';

/**
 * Times every call of a method of `target` (one or two arguments: the order adapter's `send`
 * and `replace` take the client order id second) into `stage`. The wrapper is
 * installed on the instance once at wiring time; per call it costs two performance.now()
 * and a histogram increment, and allocates nothing. The time is also added to
 * `stages.nestedMs`, so the enclosing strategy stage can exclude it.
 */
export function timeMethod<T extends object>(
  target: T,
  method: keyof T & string,
  stages: LatencyStages,
  stage: StageId,
): void {
  const orig = target[method];
  if (typeof orig !== 'function') throw new Error(`timeMethod: ${method} is not a method`);
  const fn = orig as (this: T, a: unknown, b: unknown) => unknown;
  Object.defineProperty(target, method, {
    configurable: true,
    writable: true,
    value: function timed(this: T, a: unknown, b: unknown): unknown {
      const t0 = performance.now();
      const out = fn.call(this, a, b);
      const ms = performance.now() - t0;
      stages.nestedMs += ms;
      stages.recordMs(stage, ms);
      return out;
    },
  });
}
