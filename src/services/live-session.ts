import type { SymbolSpec } from '../contracts/symbols.ts';
import { ConfigError, UserError } from '../core/errors.ts';
import { sessionAt } from '../core/session-calendar.ts';
import type { LiveSettings, LiveVenue } from '../venues/live/live-venue.ts';
import type { TradingSystem } from './trading-system.ts';

/**
 * Why a venue could not be opened, for the user: a UserError passes as it is; a network or HTTP
 * failure (refused connection, unknown host, timeout, a refused key or signature, a server that
 * is not the venue) becomes one line naming the venue, the endpoint and the likely cause.
 */
function openError(venue: string, endpoint: string, err: unknown): Error {
  if (err instanceof UserError || err instanceof ConfigError || !(err instanceof Error)) return err as Error;
  const m = err.message;
  const code = (err as { code?: unknown }).code;
  const at = endpoint === '' ? "the venue's default endpoint" : endpoint;
  const hint =
    code === 'ECONNREFUSED'
      ? 'nothing listens there'
      : code === 'ENOTFOUND' || code === 'EAI_AGAIN'
        ? 'the host name does not resolve (no network, or a wrong --endpoint)'
        : /timed out/.test(m)
          ? 'the server did not answer in time'
          : /-2015|-2014|HTTP 401/.test(m)
            ? 'the API key was refused: check the key variables or live.credentials_file (testnet keys with --paper)'
            : /-1022/.test(m)
              ? 'the request signature was refused: check the API secret'
              : /HTTP 404/.test(m)
                ? 'the server there does not serve this venue (HTTP 404)'
                : '';
  return new UserError(`${venue}: could not open at ${at}: ${hint === '' ? m : `${hint} (${m})`}`);
}

/** Owner of venue positions and orders no configured strategy trades. */
export const ACCOUNT_OWNER = 'account';

export interface StartupReport {
  positions: { symbol: string; qty: number; owner: string }[];
  adopted: number;
  canceled: number;
}

/**
 * The live run's edges around the trading system: startup reconciliation (the venue's positions
 * loaded, so no strategy believes it is flat while the venue holds a position; orders of an
 * earlier session adopted or cancelled, live.startup_orders) and end-of-session behaviour
 * (live.end_of_session: cancel every order, or also flatten, `end_of_session_lead_s` before
 * a session ends). Recovery after a dropped stream is the trading system's (onVenueState).
 */
export class LiveSession {
  private timer: NodeJS.Timeout | null = null;
  /** Session end (epoch ms) already acted on, per symbol. */
  private readonly handledEnd: number[];
  endOfSessionActions = 0;

  constructor(
    private readonly sys: TradingSystem,
    private readonly venue: LiveVenue,
    private readonly s: LiveSettings,
  ) {
    this.handledEnd = sys.symbols.map(() => 0);
  }

  /** Opens the venue and reconciles the account before the first strategy callback. */
  async start(): Promise<StartupReport> {
    const { sys, venue } = this;
    const log = sys.opts.log;
    const account = await venue.open().catch((err: unknown) => {
      throw openError(venue.name, this.s.endpoint, err);
    });
    const report: StartupReport = { positions: [], adopted: 0, canceled: 0 };
    const now = sys.clock.nowNs();
    for (const p of account.positions) {
      if (p.qty === 0) continue;
      const spec = sys.symbols[p.symbolId];
      const owner = this.ownerOf(spec);
      // Booked as a fill at the entry price without costs: the position and its average price.
      sys.positions.get(owner, spec.id).apply(p.qty > 0 ? 1 : -1, p.avgPrice, Math.abs(p.qty), 0);
      report.positions.push({ symbol: spec.code, qty: p.qty, owner });
    }
    for (const o of account.foreignOrders) {
      const spec = sys.symbols[o.symbolId];
      if (this.s.startup_orders === 'cancel') {
        await venue.cancelForeign(o);
        report.canceled++;
        continue;
      }
      const local = sys.orders.adopt(
        {
          intentId: 0,
          strategyId: this.ownerOf(spec),
          symbolId: o.symbolId,
          action: 'new',
          side: o.side,
          price: o.price,
          qty: o.qty,
          tif: 'GTC',
          targetOrderId: 0,
          ts: now,
        },
        o.leavesQty,
        o.venueOrderId,
      );
      venue.adopt(o, local.orderId);
      report.adopted++;
    }
    log.info(
      { venue: venue.name, positions: report.positions, adopted: report.adopted, canceled: report.canceled },
      'live startup reconciliation done',
    );
    if (this.s.end_of_session !== 'none') this.timer = setInterval(() => this.checkSessions(), 1000);
    return report;
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  /** The first enabled strategy trading `spec`, else ACCOUNT_OWNER. */
  private ownerOf(spec: SymbolSpec): string {
    for (const st of this.sys.runner.strategies) if (st.symbols.some((x) => x.id === spec.id)) return st.id;
    return ACCOUNT_OWNER;
  }

  /** Acts once per session end on the symbols whose session ends within the lead time. */
  checkSessions(nowMs = Date.now()): void {
    const leadMs = this.s.end_of_session_lead_s * 1000;
    for (const spec of this.sys.symbols) {
      const ses = sessionAt(spec.exchange, nowMs);
      if (ses === null || !Number.isFinite(ses.endMs) || ses.endMs - nowMs > leadMs) continue;
      if (this.handledEnd[spec.id] === ses.endMs) continue;
      this.handledEnd[spec.id] = ses.endMs;
      this.endOfSession(spec, ses.name);
    }
  }

  private endOfSession(spec: SymbolSpec, session: string): void {
    const { sys } = this;
    this.endOfSessionActions++;
    let canceled = 0;
    for (const o of [...sys.orders.allOpen()])
      if (o.symbolId === spec.id && sys.orders.cancel(o.orderId)) canceled++;
    let flattened = 0;
    if (this.s.end_of_session === 'flatten') {
      const st = sys.lob.stats(spec.id);
      for (const p of sys.positions.list) {
        if (p.spec.id !== spec.id || p.qty === 0) continue;
        const side = p.qty > 0 ? -1 : 1;
        const px = side === 1 ? st.bestAsk : st.bestBid;
        if (!(px > 0)) continue;
        // IOC at the opposite touch: what does not fill at once stays open and is logged.
        const id = sys.orders.send({
          intentId: 0,
          strategyId: p.strategyId,
          symbolId: spec.id,
          action: 'new',
          side,
          price: px,
          qty: Math.abs(p.qty),
          tif: 'IOC',
          targetOrderId: 0,
          ts: sys.clock.nowNs(),
        });
        if (id !== 0) flattened++;
      }
    }
    sys.opts.log.warn(
      { symbol: spec.code, session, action: this.s.end_of_session, canceled, flattened },
      'end of session',
    );
  }
}
