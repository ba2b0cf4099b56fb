import { UserError } from '../core/errors.ts';
import type { LiveVenueFactory } from './live/live-venue.ts';

/**
 * Live venues by name. A venue module registers itself (`registerLiveVenue` at import); the
 * composition root asks `liveVenue(name)` and has no branch per venue. Modules are loaded on
 * demand so a run that does not trade Binance never loads its code.
 */
const factories = new Map<string, LiveVenueFactory>();
const loaders = new Map<string, () => Promise<unknown>>();

/** Registers a factory under `name` (a venue module calls this when imported). */
export function registerLiveVenue(name: string, factory: LiveVenueFactory): void {
  factories.set(name, factory);
}

/** Declares where venue `name` is implemented: imported by liveVenue(name) when first asked. */
export function declareLiveVenue(name: string, load: () => Promise<unknown>): void {
  loaders.set(name, load);
}

/** Names of the live venues this build knows. */
export function liveVenueNames(): string[] {
  return [...new Set([...loaders.keys(), ...factories.keys()])].sort();
}

/** The factory of live venue `name`; a UserError naming the known ones when there is none. */
export async function liveVenue(name: string): Promise<LiveVenueFactory> {
  if (!factories.has(name)) await loaders.get(name)?.();
  const f = factories.get(name);
  if (f === undefined)
    throw new UserError(`live venue '${name}' is unknown; known: ${liveVenueNames().join(', ') || 'none'}`);
  return f;
}

// The shipped venues (each module registers its names when loaded).
declareLiveVenue('binance-usdm', () => import('./binance/binance-venue.ts'));
declareLiveVenue('binance-spot', () => import('./binance/binance-venue.ts'));
declareLiveVenue('shioaji', () => import('./shioaji/factory.ts'));
