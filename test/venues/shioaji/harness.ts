import { fileURLToPath } from 'node:url';
import { loadSymbols } from '../../../src/config/symbols.ts';
import type { SymbolSpec } from '../../../src/contracts/symbols.ts';
import type { RawQuote, VenueExecEvent } from '../../../src/contracts/venue.ts';
import { Epoch, RealClock } from '../../../src/core/clock.ts';
import { createLogger, type Logger } from '../../../src/core/logger.ts';
import { Normalizer } from '../../../src/feed/normalizer.ts';
import { LobEngine } from '../../../src/lob/lob-engine.ts';
import type { EventColumns } from '../../../src/venues/replay/event-columns.ts';
import { readTaifex } from '../../../src/venues/replay/read-taifex.ts';
import { ShioajiVenue, type ShioajiVenueOptions } from '../../../src/venues/shioaji/shioaji-venue.ts';
import { dataFile } from '../replay/data-dir.ts';
import { type FakeInstrument, type FakeOptions, FakeShioaji } from './fake-server.ts';

const SYMBOLS_FILE = fileURLToPath(new URL('../../../config/symbols.yaml', import.meta.url));

/** Symbols of config/symbols.yaml by code, with dense ids in the order given. */
export function symbols(...codes: string[]): SymbolSpec[] {
  const all = loadSymbols(SYMBOLS_FILE);
  return codes.map((c, id) => {
    const s = all.find((x) => x.code === c);
    if (s === undefined) throw new Error(`no symbol ${c}`);
    return { ...s, id };
  });
}

const cache = new Map<string, EventColumns>();

/** Columns of a recorded TAIFEX file (read once per test process). */
export async function taifex(file: string): Promise<EventColumns> {
  let c = cache.get(file);
  if (c === undefined) {
    c = (await readTaifex(dataFile(file))).columns;
    cache.set(file, c);
  }
  return c;
}

/** Log lines written by a logger, kept for assertions (credentials grep). */
export function capturingLogger(level = 'debug'): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  const log = createLogger(level, { repeatWindowMs: 0, sink: { write: (s: string) => void lines.push(s) } });
  return { log, lines };
}

/** The platform's feed path (normalizer -> LOB) behind a venue, and every exec event. */
export class Pipeline {
  readonly normalizer: Normalizer;
  readonly lob: LobEngine;
  readonly execs: VenueExecEvent[] = [];
  readonly states: { ready: boolean; reason: string }[] = [];
  quotes = 0;
  bidasks = 0;
  onBidAsk: ((symbolId: number) => void) | null = null;

  constructor(
    readonly specs: SymbolSpec[],
    clock: RealClock,
  ) {
    this.normalizer = new Normalizer(specs, 5, () => clock.nowNs());
    this.lob = new LobEngine(specs.length);
    for (const s of specs) this.lob.setRepair(s.id, false);
  }

  readonly handlers = {
    onQuote: (q: RawQuote) => {
      this.quotes++;
      const ev = this.normalizer.normalize(q);
      if (ev === null) return;
      this.lob.apply(ev, true);
      if (q.type === 'bidask') {
        this.bidasks++;
        this.onBidAsk?.(ev.symbolId);
      }
    },
    onMarketEvent: () => {},
    onExec: (e: VenueExecEvent) => void this.execs.push({ ...e }),
    onVenueState: (ready: boolean, reason: string) => void this.states.push({ ready, reason }),
  };

  /** Top-5 of a symbol's book: [bidPx, bidQty, askPx, askQty] (scaled). */
  top(symbolId: number): number[][] {
    const b = this.lob.book(symbolId);
    const out: number[][] = [[], [], [], []];
    for (let k = 0; k < 5; k++) {
      out[0].push(b.price(1, k));
      out[1].push(b.qty(1, k));
      out[2].push(b.price(-1, k));
      out[3].push(b.qty(-1, k));
    }
    return out;
  }
}

export interface Rig {
  fake: FakeShioaji;
  venue: ShioajiVenue;
  pipe: Pipeline;
  specs: SymbolSpec[];
  lines: string[];
  close(): Promise<void>;
}

/** A fake server with these instruments and a venue opened on it, quotes flowing into a Pipeline. */
export async function rig(
  instruments: FakeInstrument[],
  venueOpts: Partial<ShioajiVenueOptions> = {},
  fakeOpts: Partial<FakeOptions> = {},
): Promise<Rig> {
  const specs = instruments.map((x) => x.spec);
  const fake = new FakeShioaji({ instruments, heartbeatMs: 100, ...fakeOpts });
  const endpoint = await fake.listen();
  const { log, lines } = capturingLogger();
  // The fake's recorded days end now; an epoch days back keeps every time of them positive.
  const clock = new RealClock(undefined, 1, Epoch.midnightBeforeMs(Date.now() - 3 * 86_400_000));
  const venue = new ShioajiVenue({
    endpoint,
    symbols: specs,
    clock,
    log,
    production: false,
    credentials: null,
    pollMs: 200,
    heartbeatTimeoutMs: 5_000,
    reconnectInitialMs: 20,
    ...venueOpts,
  });
  const pipe = new Pipeline(specs, clock);
  venue.connect(pipe.handlers);
  try {
    await venue.open();
  } catch (e) {
    await venue.close();
    await fake.close();
    throw e;
  }
  venue.start();
  return {
    fake,
    venue,
    pipe,
    specs,
    lines,
    close: async () => {
      await venue.close();
      await fake.close();
    },
  };
}

/** Polls `cond` every 5 ms; fails after a generous limit that only a real hang reaches. */
export async function until(cond: () => boolean, what: string, limitMs = 60_000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > limitMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
