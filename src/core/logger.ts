import { pino } from 'pino';

export type Logger = pino.Logger;

/** Where log lines go: stderr by default. */
export interface LineSink {
  write(s: string): void;
}

export interface LogOptions {
  /**
   * Repeats of one message (same logger, level, text, `reason` and `strategy`) within this window are not
   * written: the first is, then one line per window says how many more there were (default
   * 10 s; 0 writes every line). Counters in the run summaries stay exact; this only keeps
   * stderr readable when a strategy is refused thousands of times.
   */
  repeatWindowMs?: number;
  /** Wall time in ms for the repeat windows (tests inject their own). */
  now?: () => number;
  /** Destination of the lines (default: stderr, below which a status line may be kept). */
  sink?: LineSink;
}

/**
 * Structured JSON logs on stderr, so stdout stays for command output. Repeated messages are
 * summarised (LogOptions.repeatWindowMs); a status line (a progress bar, `statusLine`) stays
 * below the log lines instead of being overwritten by them.
 */
export function createLogger(level = process.env.HFT_LOG_LEVEL ?? 'info', opts: LogOptions = {}): Logger {
  const window = opts.repeatWindowMs ?? 10_000;
  const sink = opts.sink ?? statusLine;
  if (window <= 0) return pino({ level, base: undefined }, sink);
  const repeats = new Repeats(window, opts.now ?? (() => performance.now()));
  live.add(repeats);
  return pino(
    {
      level,
      base: undefined,
      hooks: {
        logMethod(args, method, lvl) {
          if (repeats.admit(this, lvl, args as unknown[], method)) method.apply(this, args);
        },
      },
    },
    sink,
  );
}

/** Writes the pending "N more" lines of every logger (also done at process exit). */
export function flushLogRepeats(): void {
  for (const r of live) r.flush();
}

type LogFn = (this: Logger, ...args: unknown[]) => void;

/** One repeated message of one logger. */
interface Repeat {
  logger: Logger;
  method: LogFn;
  msg: string;
  reason: string;
  strategy: string;
  /** Start of the current window (wall ms). */
  since: number;
  /** Occurrences in the current window not written. */
  suppressed: number;
}

/** The repeat windows of one logger tree (the root and its children). */
class Repeats {
  private readonly byLogger = new WeakMap<object, Map<string, Repeat>>();
  private readonly all: Repeat[] = [];

  constructor(
    private readonly windowMs: number,
    private readonly now: () => number,
  ) {}

  /** True when this call should be written; otherwise it is counted (or summarised now). */
  admit(logger: Logger, level: number, args: unknown[], method: unknown): boolean {
    const first = args[0];
    const obj = typeof first === 'object' && first !== null ? (first as Record<string, unknown>) : null;
    const text = obj === null ? first : args[1];
    const msg = typeof text === 'string' ? text : '';
    const reason = obj !== null && typeof obj.reason === 'string' ? obj.reason : '';
    const who = obj !== null && typeof obj.strategy === 'string' ? obj.strategy : '';
    let mine = this.byLogger.get(logger);
    if (mine === undefined) {
      mine = new Map();
      this.byLogger.set(logger, mine);
    }
    const key = `${level}\u0000${msg}\u0000${reason}\u0000${who}`;
    const t = this.now();
    const r = mine.get(key);
    if (r === undefined) {
      const rep = { logger, method: method as LogFn, msg, reason, strategy: who, since: t, suppressed: 0 };
      mine.set(key, rep);
      this.all.push(rep);
      return true;
    }
    if (t - r.since < this.windowMs) {
      r.suppressed++;
      return false;
    }
    // The window is over: a quiet message is written again in full, a busy one as a count.
    if (r.suppressed === 0) {
      r.since = t;
      return true;
    }
    r.suppressed++;
    this.summarise(r, t);
    return false;
  }

  flush(): void {
    const t = this.now();
    for (const r of this.all) if (r.suppressed > 0) this.summarise(r, t);
  }

  private summarise(r: Repeat, t: number): void {
    const s = Math.max(1, Math.round((t - r.since) / 1000));
    const n = r.suppressed;
    r.suppressed = 0;
    r.since = t;
    const obj: Record<string, unknown> = { repeated: r.msg, count: n, window_s: s };
    if (r.reason !== '') obj.reason = r.reason;
    if (r.strategy !== '') obj.strategy = r.strategy;
    r.method.call(r.logger, obj, `${r.msg}: ${n} more in the last ${s} s`);
  }
}

const live = new Set<Repeats>();
process.once('exit', flushLogRepeats);

/**
 * stderr with an optional status line kept at its bottom (the backtest progress bar): a log
 * line clears it, is written, and the status line is drawn again below it. On a terminal the
 * JSON lines are shown as `time LEVEL message key=value ...` (HFT_LOG_FORMAT=json keeps JSON).
 */
export class StatusLineSink implements LineSink {
  private status = '';

  constructor(
    private readonly out: LineSink = process.stderr,
    private readonly pretty = process.stderr.isTTY === true && process.env.HFT_LOG_FORMAT !== 'json',
  ) {}

  write(s: string): void {
    const line = this.pretty ? prettyLine(s) : s;
    this.out.write(this.status === '' ? line : `\r\x1b[K${line}${this.status}`);
  }

  /** Draws `text` as the status line (replacing the previous one). */
  set(text: string): void {
    this.status = text;
    this.out.write(`\r\x1b[K${text}`);
  }

  /** Ends the status line: it stays on screen, later lines go below it. */
  done(): void {
    if (this.status === '') return;
    this.status = '';
    this.out.write('\n');
  }
}

const LEVELS: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARN',
  50: 'ERROR',
  60: 'FATAL',
};

/** One JSON log line as `HH:MM:SS LEVEL message key=value ...` for a person at a terminal. */
export function prettyLine(json: string): string {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(json);
  } catch {
    return json;
  }
  const { level, time, msg, ...rest } = o;
  const t = typeof time === 'number' ? new Date(time).toTimeString().slice(0, 8) : '';
  const fields = Object.entries(rest)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
  return `${t} ${(LEVELS[level as number] ?? String(level)).padEnd(5)} ${String(msg ?? '')}${fields ? `  ${fields}` : ''}\n`;
}

/** The process's stderr, where loggers write by default and the progress bar is drawn. */
export const statusLine = new StatusLineSink();
