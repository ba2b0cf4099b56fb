/**
 * Queue-position models for own orders resting in an L2 book replayed from data (hftbacktest's
 * QueueModel). The data shows only each level's total quantity, so the quantity ahead of an own
 * order is an estimate: trades at the order's price always advance it, and what a decrease of the
 * level's quantity does depends on the model.
 */

/** Queue state of one resting own order. */
export interface QueuePos {
  /** Quantity estimated ahead of the order; negative: that much traded past it (it is fillable). */
  ahead: number;
  /** Quantity traded at the level since its last depth change (the probabilistic model uses it). */
  traded: number;
}

export interface QueueModel {
  readonly name: string;
  /** The order joins the back of a level that shows `levelQty`. */
  join(q: QueuePos, levelQty: number): void;
  /** A trade of `qty` printed at the order's price. */
  trade(q: QueuePos, qty: number): void;
  /** The level's displayed quantity changed from `prev` to `next`. */
  depth(q: QueuePos, prev: number, next: number): void;
}

/**
 * Conservative: only trades advance the order; every cancel is assumed to be behind it, except
 * that the quantity ahead can never exceed what the level still shows.
 */
export class RiskAverseQueue implements QueueModel {
  readonly name = 'risk_averse';

  join(q: QueuePos, levelQty: number): void {
    q.ahead = levelQty;
    q.traded = 0;
  }

  trade(q: QueuePos, qty: number): void {
    q.ahead -= qty;
  }

  depth(q: QueuePos, _prev: number, next: number): void {
    if (q.ahead > next) q.ahead = next;
  }
}

/** Probability that a decrease of the level happened behind the order, from the quantity in front and behind. */
export type BehindProbability = (front: number, back: number) => number;

/** The function families of hftbacktest's ProbQueueModel, by name; `n` is the exponent of the power ones. */
export const QUEUE_FUNCS = {
  /** f(back) / (f(back) + f(front)), f(x) = x^n. */
  power: (n: number): BehindProbability => {
    return (front, back) => {
      const b = back ** n;
      return b / (b + front ** n);
    };
  },
  /** f(back) / f(back + front), f(x) = x^n. */
  power2: (n: number): BehindProbability => {
    return (front, back) => back ** n / (back + front) ** n;
  },
  /** 1 - (front / (front + back))^n. */
  power3: (n: number): BehindProbability => {
    return (front, back) => 1 - (front / (front + back)) ** n;
  },
  /** f(back) / (f(back) + f(front)), f(x) = ln(1 + x). */
  log: (): BehindProbability => {
    return (front, back) => {
      const b = Math.log1p(back);
      return b / (b + Math.log1p(front));
    };
  },
  /** f(back) / f(back + front), f(x) = ln(1 + x). */
  log2: (): BehindProbability => {
    return (front, back) => Math.log1p(back) / Math.log1p(back + front);
  },
} as const;
export type QueueFunc = keyof typeof QUEUE_FUNCS;

/**
 * Probabilistic: a decrease of the level (net of the trades already counted) is ahead of the
 * order with probability 1 - p(front, back), and the order advances by that share of it.
 * Deterministic: the expected position is kept, nothing is drawn at random.
 */
export class ProbQueue implements QueueModel {
  readonly name: string;
  private readonly behind: BehindProbability;

  constructor(func: QueueFunc = 'power', n = 3) {
    if (!Object.hasOwn(QUEUE_FUNCS, func)) {
      throw new Error(`unknown queue function '${func}' (known: ${Object.keys(QUEUE_FUNCS).join(', ')})`);
    }
    if (!(n > 0 && Number.isFinite(n))) throw new Error(`queue function exponent must be > 0 (got ${n})`);
    this.behind = QUEUE_FUNCS[func](n);
    this.name = func.startsWith('power') ? `prob_${func}_${n}` : `prob_${func}`;
  }

  join(q: QueuePos, levelQty: number): void {
    q.ahead = levelQty;
    q.traded = 0;
  }

  trade(q: QueuePos, qty: number): void {
    q.ahead -= qty;
    q.traded += qty;
  }

  depth(q: QueuePos, prev: number, next: number): void {
    // Trades already moved the order; count only the rest of the change.
    const chg = prev - next - q.traded;
    q.traded = 0;
    if (chg <= 0) {
      if (q.ahead > next) q.ahead = next;
      return;
    }
    const front = q.ahead;
    const back = prev - front;
    let p = this.behind(front, back);
    // 0/0 (empty level) and x/0 edge cases: treat the decrease as behind.
    if (!Number.isFinite(p)) p = 1;
    let est = front - (1 - p) * chg + Math.min(back - p * chg, 0);
    if (est > next) est = next;
    // Cancels can bring the order to the front, never past it: only trades fill.
    q.ahead = Math.max(est, 0);
  }
}

/** Builds a queue model from its CLI/config name. */
export function createQueueModel(kind: 'risk_averse' | 'prob', func: QueueFunc = 'power', n = 3): QueueModel {
  return kind === 'risk_averse' ? new RiskAverseQueue() : new ProbQueue(func, n);
}
