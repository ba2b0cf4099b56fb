import type { DepthDiff } from './depth-sync.ts';

/**
 * A hand-written reader of Binance combined-stream frames ({"stream":..., "data":{...}}) for the
 * three market streams the live adapter takes: depthUpdate, bookTicker and trade. It reads the
 * update ids, times, and prices/quantities as scaled integers straight from the frame's bytes: no
 * JSON.parse, no string and no array per level (the levels land in reused Float64Arrays). A JSON
 * object per frame with ~30-500 levels was most of a depth frame's cost and its garbage.
 *
 * It takes only what it fully understands and otherwise answers FALLBACK, leaving the frame to the
 * JSON.parse path: anything it accepts must be valid JSON whose JSON.parse reading is the same
 * (test/venues/binance/frame-scanner.test.ts compares the two on the recording and on mutated
 * frames). So: keys and read values without escapes, ids and times plain integers within 2^53,
 * decimals that parseScaledDecimal accepts, no repeated key, "stream" before "data".
 */

export const SCAN_FALLBACK = -1;
export const SCAN_DEPTH = 0;
export const SCAN_TICKER = 1;
export const SCAN_TRADE = 2;

/** A stream the scanner recognises: its name, what it carries and its decimals. */
export interface ScanRoute {
  stream: string;
  kind: 0 | 1 | 2;
  priceDecimals: number;
  qtyDecimals: number;
}

const POW10 = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12];

// Byte values.
const QUOTE = 34;
const COMMA = 44;
const COLON = 58;
const LBRACKET = 91;
const RBRACKET = 93;
const LBRACE = 123;
const RBRACE = 125;
const BACKSLASH = 92;

// Keys of `data` read per kind, as bits (a repeated one is left to JSON.parse: it keeps the last).
const K_U = 1;
const K_u = 2;
const K_pu = 4;
const K_T = 8;
const K_E = 16;
const K_b = 32;
const K_a = 64;
const K_B = 128;
const K_A = 256;
const K_p = 512;
const K_q = 1024;
const K_m = 2048;

export class FrameScanner {
  /** Index into the routes of the last frame's stream. */
  route = -1;
  /** Depth: the diff read (reused: DepthSync copies what it keeps). */
  readonly diff: DepthDiff = {
    U: 0,
    u: 0,
    pu: -1,
    exchMs: 0,
    bids: new Float64Array(256),
    asks: new Float64Array(256),
    bidN: 0,
    askN: 0,
  };
  /** bookTicker: u, best bid, bid qty, best ask, ask qty. Trade: price (bidPx), qty (bidQty), T, m. */
  u = 0;
  bidPx = 0;
  bidQty = 0;
  askPx = 0;
  askQty = 0;
  T = 0;
  m = false;

  private readonly names: Uint8Array[];
  private buf: Uint8Array = new Uint8Array(0);
  private end = 0;
  /** Frames given as strings are encoded here (tests, the bench's recorded lines). */
  private scratch = Buffer.alloc(4096);

  constructor(private readonly routes: readonly ScanRoute[]) {
    this.names = routes.map((r) => Buffer.from(r.stream, 'utf8'));
  }

  /** A frame given as text. */
  scanString(s: string): number {
    const n = Buffer.byteLength(s, 'utf8');
    if (n > this.scratch.length) this.scratch = Buffer.alloc(Math.max(n, 2 * this.scratch.length));
    this.scratch.write(s, 0, 'utf8');
    return this.scan(this.scratch, n);
  }

  /** The frame in `buf[0, len)`: SCAN_DEPTH / SCAN_TICKER / SCAN_TRADE with the fields set, or SCAN_FALLBACK. */
  scan(buf: Uint8Array, len: number): number {
    this.buf = buf;
    this.end = len;
    let i = this.ws(0);
    if (buf[i] !== LBRACE) return SCAN_FALLBACK;
    i = this.ws(i + 1);
    // "stream" first: the route (and its decimals) is known before the data is read.
    if (!this.isKey(i, 'stream')) return SCAN_FALLBACK;
    i = this.colon(i + 8);
    if (i < 0 || buf[i] !== QUOTE) return SCAN_FALLBACK;
    const s0 = i + 1;
    const s1 = this.plainString(s0);
    if (s1 < 0) return SCAN_FALLBACK;
    const route = this.findRoute(s0, s1);
    if (route < 0) return SCAN_FALLBACK;
    this.route = route;
    const r = this.routes[route];
    i = this.ws(s1 + 1);
    let kind = SCAN_FALLBACK;
    // The rest of the envelope: "data" once, other keys skipped, then the end of the frame.
    while (buf[i] === COMMA) {
      i = this.ws(i + 1);
      if (buf[i] !== QUOTE) return SCAN_FALLBACK;
      const k1 = this.plainString(i + 1);
      if (k1 < 0) return SCAN_FALLBACK;
      const isData = k1 - i - 1 === 4 && this.isKey(i, 'data');
      if (!isData && k1 - i - 1 === 6 && this.isKey(i, 'stream')) return SCAN_FALLBACK;
      i = this.colon(k1 + 1);
      if (i < 0) return SCAN_FALLBACK;
      if (isData) {
        if (kind !== SCAN_FALLBACK) return SCAN_FALLBACK;
        i = r.kind === 0 ? this.depth(i, r) : r.kind === 1 ? this.ticker(i, r) : this.trade(i, r);
        kind = r.kind;
      } else i = this.skipValue(i);
      if (i < 0) return SCAN_FALLBACK;
      i = this.ws(i);
    }
    if (buf[i] !== RBRACE || this.ws(i + 1) !== len) return SCAN_FALLBACK;
    return kind;
  }

  // ---- the three payloads --------------------------------------------------------------------

  private depth(i: number, r: ScanRoute): number {
    const buf = this.buf;
    const d = this.diff;
    if (buf[i] !== LBRACE) return -1;
    let seen = 0;
    d.pu = -1;
    i = this.ws(i + 1);
    if (buf[i] === RBRACE) return -1;
    for (;;) {
      if (buf[i] !== QUOTE) return -1;
      const k1 = this.plainString(i + 1);
      if (k1 < 0) return -1;
      const kl = k1 - i - 1;
      const c = buf[i + 1];
      const bit =
        kl === 1
          ? c === 85
            ? K_U
            : c === 117
              ? K_u
              : c === 84
                ? K_T
                : c === 69
                  ? K_E
                  : c === 98
                    ? K_b
                    : c === 97
                      ? K_a
                      : 0
          : kl === 2 && c === 112 && buf[i + 2] === 117
            ? K_pu
            : 0;
      if ((seen & bit) !== 0) return -1;
      seen |= bit;
      i = this.colon(k1 + 1);
      if (i < 0) return -1;
      switch (bit) {
        case K_U:
          i = this.int(i);
          d.U = this.num;
          break;
        case K_u:
          i = this.int(i);
          d.u = this.num;
          break;
        case K_pu:
          i = this.int(i);
          d.pu = this.num;
          break;
        case K_T:
          i = this.int(i);
          this.T = this.num;
          break;
        case K_E:
          i = this.int(i);
          d.exchMs = this.num;
          break;
        case K_b:
          i = this.levels(i, r, true);
          break;
        case K_a:
          i = this.levels(i, r, false);
          break;
        default:
          i = this.skipValue(i);
      }
      if (i < 0) return -1;
      i = this.ws(i);
      if (buf[i] === RBRACE) break;
      if (buf[i] !== COMMA) return -1;
      i = this.ws(i + 1);
    }
    // As the JSON path: U, u and both sides required; the time is T, else E.
    if ((seen & (K_U | K_u | K_b | K_a)) !== (K_U | K_u | K_b | K_a) || (seen & (K_T | K_E)) === 0) return -1;
    if ((seen & K_T) !== 0) d.exchMs = this.T;
    return i + 1;
  }

  private ticker(i: number, r: ScanRoute): number {
    const buf = this.buf;
    if (buf[i] !== LBRACE) return -1;
    let seen = 0;
    i = this.ws(i + 1);
    if (buf[i] === RBRACE) return -1;
    for (;;) {
      if (buf[i] !== QUOTE) return -1;
      const k1 = this.plainString(i + 1);
      if (k1 < 0) return -1;
      const c = buf[i + 1];
      const bit =
        k1 - i - 1 === 1
          ? c === 117
            ? K_u
            : c === 98
              ? K_b
              : c === 66
                ? K_B
                : c === 97
                  ? K_a
                  : c === 65
                    ? K_A
                    : 0
          : 0;
      if ((seen & bit) !== 0) return -1;
      seen |= bit;
      i = this.colon(k1 + 1);
      if (i < 0) return -1;
      if (bit === K_u) {
        i = this.int(i);
        this.u = this.num;
      } else if (bit === 0) i = this.skipValue(i);
      else {
        const dec = bit === K_b || bit === K_a ? r.priceDecimals : r.qtyDecimals;
        i = this.decimal(i, dec);
        if (bit === K_b) this.bidPx = this.num;
        else if (bit === K_B) this.bidQty = this.num;
        else if (bit === K_a) this.askPx = this.num;
        else this.askQty = this.num;
      }
      if (i < 0) return -1;
      i = this.ws(i);
      if (buf[i] === RBRACE) break;
      if (buf[i] !== COMMA) return -1;
      i = this.ws(i + 1);
    }
    const all = K_u | K_b | K_B | K_a | K_A;
    return (seen & all) === all ? i + 1 : -1;
  }

  private trade(i: number, r: ScanRoute): number {
    const buf = this.buf;
    if (buf[i] !== LBRACE) return -1;
    let seen = 0;
    this.m = false;
    i = this.ws(i + 1);
    if (buf[i] === RBRACE) return -1;
    for (;;) {
      if (buf[i] !== QUOTE) return -1;
      const k1 = this.plainString(i + 1);
      if (k1 < 0) return -1;
      const c = buf[i + 1];
      const bit =
        k1 - i - 1 === 1 ? (c === 112 ? K_p : c === 113 ? K_q : c === 84 ? K_T : c === 109 ? K_m : 0) : 0;
      if ((seen & bit) !== 0) return -1;
      seen |= bit;
      i = this.colon(k1 + 1);
      if (i < 0) return -1;
      if (bit === K_p) {
        i = this.decimal(i, r.priceDecimals);
        this.bidPx = this.num;
      } else if (bit === K_q) {
        i = this.decimal(i, r.qtyDecimals);
        this.bidQty = this.num;
      } else if (bit === K_T) {
        i = this.int(i);
        this.T = this.num;
      } else {
        // m: only the literal true is a sell-side aggressor (the JSON path's `m === true`).
        if (bit === K_m) this.m = this.isLiteral(i, 'true');
        i = this.skipValue(i);
      }
      if (i < 0) return -1;
      i = this.ws(i);
      if (buf[i] === RBRACE) break;
      if (buf[i] !== COMMA) return -1;
      i = this.ws(i + 1);
    }
    const all = K_p | K_q | K_T;
    return (seen & all) === all ? i + 1 : -1;
  }

  /** [["price","qty"], ...] into the diff's bids or asks. */
  private levels(i: number, r: ScanRoute, bids: boolean): number {
    const buf = this.buf;
    const d = this.diff;
    if (buf[i] !== LBRACKET) return -1;
    let out = bids ? d.bids : d.asks;
    let n = 0;
    i = this.ws(i + 1);
    if (buf[i] !== RBRACKET) {
      for (;;) {
        if (buf[i] !== LBRACKET) return -1;
        i = this.decimal(this.ws(i + 1), r.priceDecimals);
        if (i < 0) return -1;
        const px = this.num;
        i = this.ws(i);
        if (buf[i] !== COMMA) return -1;
        i = this.decimal(this.ws(i + 1), r.qtyDecimals);
        if (i < 0) return -1;
        i = this.ws(i);
        if (buf[i] !== RBRACKET) return -1;
        if (n + 2 > out.length) {
          const grown = new Float64Array(2 * out.length);
          grown.set(out);
          out = grown;
          if (bids) d.bids = out;
          else d.asks = out;
        }
        out[n] = px;
        out[n + 1] = this.num;
        n += 2;
        i = this.ws(i + 1);
        if (buf[i] === RBRACKET) break;
        if (buf[i] !== COMMA) return -1;
        i = this.ws(i + 1);
      }
    }
    if (bids) d.bidN = n;
    else d.askN = n;
    return i + 1;
  }

  // ---- tokens ---------------------------------------------------------------------------------

  /** The value read by int() or decimal(). */
  private num = 0;

  /** A plain non-negative JSON integer (no sign, fraction, exponent or leading zero) within 2^53. */
  private int(i: number): number {
    const buf = this.buf;
    const end = this.end;
    let v = 0;
    const start = i;
    while (i < end) {
      const d = buf[i] - 48;
      if (d < 0 || d > 9) break;
      v = v * 10 + d;
      i++;
    }
    const n = i - start;
    if (n === 0 || (n > 1 && buf[start] === 48) || v > Number.MAX_SAFE_INTEGER) return -1;
    // A fraction or exponent makes it another number: left to JSON.parse.
    const c = buf[i];
    if (c === 46 || c === 101 || c === 69) return -1;
    this.num = v;
    return i;
  }

  /**
   * A quoted decimal scaled by 10^decimals, exactly as parseScaledDecimal reads it (digits and one
   * '.', non-zero digits beyond `decimals` refused, a safe integer); anything else is -1.
   */
  private decimal(i: number, decimals: number): number {
    const buf = this.buf;
    const end = this.end;
    if (buf[i] !== QUOTE) return -1;
    i++;
    let v = 0;
    let frac = -1;
    let digits = 0;
    for (; i < end; i++) {
      const c = buf[i];
      if (c === QUOTE) break;
      if (c === 46) {
        if (frac >= 0) return -1;
        frac = 0;
        continue;
      }
      const d = c - 48;
      if (d < 0 || d > 9) return -1;
      digits++;
      if (frac >= 0) {
        if (frac >= decimals) {
          if (d !== 0) return -1;
          continue;
        }
        frac++;
      }
      v = v * 10 + d;
    }
    if (i >= end || digits === 0) return -1;
    v *= POW10[decimals - Math.max(frac, 0)];
    if (!Number.isSafeInteger(v)) return -1;
    this.num = v;
    return i + 1;
  }

  /** End (index of the closing quote) of a string opened before `i`, without escapes; -1 otherwise. */
  private plainString(i: number): number {
    const buf = this.buf;
    const end = this.end;
    for (; i < end; i++) {
      const c = buf[i];
      if (c === QUOTE) return i;
      // Escapes are left to JSON.parse; a raw control character makes the frame invalid JSON.
      if (c === BACKSLASH || c < 32) return -1;
    }
    return -1;
  }

  /** After a key's closing quote at i - 1: the value's first byte past ':' and whitespace. */
  private colon(i: number): number {
    i = this.ws(i);
    return this.buf[i] === COLON ? this.ws(i + 1) : -1;
  }

  private ws(i: number): number {
    const buf = this.buf;
    const end = this.end;
    while (i < end) {
      const c = buf[i];
      if (c !== 32 && c !== 10 && c !== 13 && c !== 9) break;
      i++;
    }
    return i;
  }

  /** Whether a string at `i` (its opening quote) is exactly `key`. */
  private isKey(i: number, key: string): boolean {
    const buf = this.buf;
    if (buf[i] !== QUOTE || i + key.length + 1 >= this.end) return false;
    for (let k = 0; k < key.length; k++) if (buf[i + 1 + k] !== key.charCodeAt(k)) return false;
    return buf[i + 1 + key.length] === QUOTE;
  }

  private isLiteral(i: number, lit: string): boolean {
    const buf = this.buf;
    if (i + lit.length > this.end) return false;
    for (let k = 0; k < lit.length; k++) if (buf[i + k] !== lit.charCodeAt(k)) return false;
    return true;
  }

  private findRoute(s0: number, s1: number): number {
    const buf = this.buf;
    const len = s1 - s0;
    for (let r = 0; r < this.names.length; r++) {
      const name = this.names[r];
      if (name.length !== len) continue;
      let k = 0;
      while (k < len && buf[s0 + k] === name[k]) k++;
      if (k === len) return r;
    }
    return -1;
  }

  /**
   * Past one JSON value that is not read (it must still be valid JSON: the frame is accepted as a
   * whole). Strings with escapes, and nesting deeper than 32, are left to JSON.parse.
   */
  private skipValue(i: number, depth = 0): number {
    const buf = this.buf;
    const c = buf[i];
    if (c === QUOTE) {
      const e = this.plainString(i + 1);
      return e < 0 ? -1 : e + 1;
    }
    if (c === LBRACE || c === LBRACKET) {
      if (depth >= 32) return -1;
      const obj = c === LBRACE;
      const close = obj ? RBRACE : RBRACKET;
      i = this.ws(i + 1);
      if (buf[i] === close) return i + 1;
      for (;;) {
        if (obj) {
          if (buf[i] !== QUOTE) return -1;
          const k1 = this.plainString(i + 1);
          if (k1 < 0) return -1;
          i = this.colon(k1 + 1);
          if (i < 0) return -1;
        }
        i = this.skipValue(i, depth + 1);
        if (i < 0) return -1;
        i = this.ws(i);
        if (buf[i] === close) return i + 1;
        if (buf[i] !== COMMA) return -1;
        i = this.ws(i + 1);
      }
    }
    if (c === 116) return this.isLiteral(i, 'true') ? i + 4 : -1;
    if (c === 102) return this.isLiteral(i, 'false') ? i + 5 : -1;
    if (c === 110) return this.isLiteral(i, 'null') ? i + 4 : -1;
    return this.number(i);
  }

  /** Past a JSON number (the full grammar: sign, fraction, exponent). */
  private number(i: number): number {
    const buf = this.buf;
    if (buf[i] === 45) i++;
    if (buf[i] === 48) i++;
    else {
      const j = this.digits(i);
      if (j === i) return -1;
      i = j;
    }
    if (buf[i] === 46) {
      const j = this.digits(i + 1);
      if (j === i + 1) return -1;
      i = j;
    }
    if (buf[i] === 101 || buf[i] === 69) {
      i++;
      if (buf[i] === 43 || buf[i] === 45) i++;
      const j = this.digits(i);
      if (j === i) return -1;
      i = j;
    }
    return i;
  }

  /** Past a run of digits. */
  private digits(i: number): number {
    const buf = this.buf;
    const end = this.end;
    while (i < end && buf[i] >= 48 && buf[i] <= 57) i++;
    return i;
  }
}
