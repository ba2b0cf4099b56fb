/**
 * Incremental Server-Sent Events parser (WHATWG rules as far as a Shioaji stream needs them):
 * `event:` and `data:` fields with or without the space after the colon, several `data:` lines
 * joined by '\n', comments (`:`) ignored, LF, CRLF or CR line ends, a dispatch per blank line.
 * Chunks may split anywhere, including inside a UTF-8 sequence (the decoder keeps the tail).
 * `id:`/`retry:` are ignored: no replay of market data is documented (reference §7.2).
 */
export class SseParser {
  private readonly decoder = new TextDecoder('utf-8');
  private buf = '';
  private event = '';
  private data = '';
  private hasData = false;
  /** A CR ended the last chunk: a LF starting the next one belongs to it. */
  private pendingCr = false;
  /** Messages dispatched. */
  messages = 0;

  constructor(private readonly onMessage: (event: string, data: string) => void) {}

  push(chunk: Uint8Array): void {
    let text = this.decoder.decode(chunk, { stream: true });
    if (this.pendingCr && text.charCodeAt(0) === 10) text = text.slice(1);
    this.pendingCr = false;
    const s = this.buf.length > 0 ? this.buf + text : text;
    let start = 0;
    const n = s.length;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c !== 10 && c !== 13) continue;
      this.line(s, start, i);
      if (c === 13) {
        if (i + 1 < n) {
          if (s.charCodeAt(i + 1) === 10) i++;
        } else this.pendingCr = true;
      }
      start = i + 1;
    }
    this.buf = start < n ? s.slice(start) : '';
  }

  /** Forgets a partial message (the connection it came from is gone). */
  reset(): void {
    this.buf = '';
    this.event = '';
    this.data = '';
    this.hasData = false;
    this.pendingCr = false;
  }

  private line(s: string, a: number, b: number): void {
    if (a === b) {
      if (this.hasData) {
        this.messages++;
        this.onMessage(this.event === '' ? 'message' : this.event, this.data);
      }
      this.event = '';
      this.data = '';
      this.hasData = false;
      return;
    }
    if (s.charCodeAt(a) === 58) return; // ':' comment
    let colon = s.indexOf(':', a);
    if (colon < 0 || colon > b) colon = b;
    let v = colon + 1;
    if (v < b && s.charCodeAt(v) === 32) v++;
    // Field names compared in place: no substring for the field name.
    if (colon - a === 4 && s.startsWith('data', a)) {
      const value = v <= b ? s.slice(v, b) : '';
      this.data = this.hasData ? `${this.data}\n${value}` : value;
      this.hasData = true;
    } else if (colon - a === 5 && s.startsWith('event', a)) {
      this.event = v <= b ? s.slice(v, b) : '';
    }
  }
}
