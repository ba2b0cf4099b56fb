/**
 * The module a worker thread starts from, for a worker module `name` next to `base` (the caller's
 * import.meta.url). Built code (dist/*.js) starts the worker's own `<name>.js`. The TypeScript
 * sources start `<name>-entry.mjs`, which registers tsx in the thread (a worker does not inherit a
 * loader the app registered with register()) and then imports `<name>.ts`.
 */
export function workerUrl(name: string, base: string): URL {
  return new URL(base.endsWith('.ts') ? `./${name}-entry.mjs` : `./${name}.js`, base);
}
