import type { Side } from '../contracts/market.ts';
import type { OrderCommand } from '../contracts/orders.ts';
import type { SymbolSpec } from '../contracts/symbols.ts';
import type { VenueExecEvent } from '../contracts/venue.ts';
import { type Nanos, NS_PER_MS, NS_PER_S, SimClock } from '../core/clock.ts';
import { UserError } from '../core/errors.ts';
import { Scheduler } from '../core/scheduler.ts';
import { applyMbo } from '../lob/mbo-actions.ts';
import { OrderBookL3 } from '../lob/order-book-l3.ts';
import { EV_INDICATIVE, EV_LAST, type EventColumns } from '../venues/replay/event-columns.ts';
import type { ExchangeModel } from '../venues/replay/replay-venue.ts';
import { L2Exchange } from '../venues/sim/l2-exchange.ts';
import { L3Exchange } from '../venues/sim/l3-exchange.ts';
import { ConstantLatency } from '../venues/sim/latency-model.ts';
import { createQueueModel, type QueueFunc } from '../venues/sim/queue-model.ts';

/** An L2 queue model to score, by its CLI name: risk_averse, prob:<func>[:<n>]. */
export interface ScoredModel {
  name: string;
  kind: 'risk_averse' | 'prob';
  func: QueueFunc;
  n: number;
}

/** The models scored by default: the risk-averse one and the probabilistic families with several n. */
export const DEFAULT_SCORED = [
  'risk_averse',
  'prob:power:1',
  'prob:power:2',
  'prob:power:3',
  'prob:power2:2',
  'prob:power3:3',
  'prob:log',
  'prob:log2',
];

/** Parses `risk_averse` or `prob:<func>[:<n>]` (n default 3); a bad name is a UserError. */
export function parseScoredModel(name: string): ScoredModel {
  if (name === 'risk_averse') return { name, kind: 'risk_averse', func: 'power', n: 3 };
  const [kind, func = 'power', n = '3', ...rest] = name.split(':');
  const exp = Number(n);
  if (kind !== 'prob' || rest.length > 0 || !(exp > 0 && Number.isFinite(exp))) {
    throw new UserError(
      `queue model '${name}': expected risk_averse or prob:<func>[:<n>] (e.g. prob:power:2)`,
    );
  }
  try {
    createQueueModel('prob', func as QueueFunc, exp);
  } catch (e) {
    throw new UserError(`queue model '${name}': ${(e as Error).message}`);
  }
  return { name, kind: 'prob', func: func as QueueFunc, n: exp };
}

export interface QueueScoreOptions {
  /** A probe pair (one at the best bid, one at the best ask) every this many messages. */
  every: number;
  /** Probe size in lots. */
  lots: number;
  /** A probe not filled this long after it was placed is cancelled and counts as not filled. */
  horizonNs: Nanos;
  /** Order latency to the exchange (0: the probe joins right after the message it was placed at). */
  orderLatencyNs: Nanos;
  /** Probe ages at which queue positions are compared. */
  checkpointsNs: Nanos[];
  models: ScoredModel[];
}

/** Scores of one L2 queue model against the L3 truth. */
export interface ModelScore {
  model: string;
  /** Probes whose fill / no-fill within the horizon agrees with the truth, and their share. */
  matches: number;
  matchShare: number;
  filled: number;
  /** Filled by the model, not in truth; filled in truth, not by the model. */
  falseFills: number;
  missedFills: number;
  /** Over probes filled by both: |model fill time - true fill time|, ms; signed median (model later: +). */
  fillTimeErrorMs: { probes: number; median: number; p90: number; signedMedian: number } | null;
  /** Per checkpoint: probes resting in both, mean |estimated - true quantity ahead| and mean signed error, lots. */
  queueError: { ageS: number; probes: number; meanAbs: number; meanSigned: number }[];
}

export interface QueueScoreResult {
  file: string;
  symbol: string;
  messages: number;
  probes: number;
  /** Sets of exchanges the probes were spread over so that no two live probes share one. */
  lanes: number;
  every: number;
  lots: number;
  horizonS: number;
  orderLatencyUs: number;
  /** Probes the L3 truth filled within the horizon. */
  truthFilled: number;
  truthFillRate: number;
  models: ModelScore[];
}

interface Probe {
  side: Side;
  price: number;
  placedTs: Nanos;
  /** Next checkpoint to record. */
  nextCheck: number;
  done: boolean;
}

/**
 * Scores the L2 queue models against the L3 truth on one stream of order-level data: a probe
 * pair (1 bid at the best bid, 1 ask at the best ask, `lots` each) after message 1, 1 + every,
 * 1 + 2 × every, ... of the two-sided, uncrossed book, each sent at the same moment to the L3
 * exchange (exact FIFO position from the order ids) and to one L2 exchange per queue model (fed
 * the L2 events of the same messages), with the order latency given and no response latency.
 * A probe lives `horizon` of data time, then is cancelled. Probes never meet: pairs whose lives
 * overlap go to separate lanes (each a set of the same exchanges, fed the same messages).
 */
export function queueScore(
  file: string,
  c: EventColumns,
  spec: SymbolSpec,
  opts: QueueScoreOptions,
): QueueScoreResult {
  if (c.l3 === undefined) {
    throw new UserError(`${file}: no order-level records; queue-score needs L3 data (DBN MBO, LOBSTER)`);
  }
  if (!(opts.every >= 1 && Number.isInteger(opts.every)))
    throw new UserError('--every expects a positive integer');
  const symbols = [{ ...spec, id: 0 }];
  const l3c = c.l3;
  // The schedule first, on the data's own book (probes never change it): message, time, bid, ask.
  const plan: { msg: number; ts: Nanos; bid: number; ask: number }[] = [];
  {
    const book = new OrderBookL3();
    let j = 0;
    let twoSided = 0;
    for (let i = 0; i < c.n; i++) {
      if ((c.flags[i] & EV_LAST) === 0) continue;
      for (; j < l3c.n && l3c.msgEnd[j] <= i; j++)
        applyMbo(book, l3c.action[j], l3c.id[j], l3c.side[j] as 1 | -1 | 0, l3c.price[j], l3c.size[j]);
      const bid = book.bestBid;
      const ask = book.bestAsk;
      if ((c.flags[i] & EV_INDICATIVE) !== 0 || bid === 0 || ask === 0 || bid >= ask) continue;
      if (twoSided++ % opts.every === 0) plan.push({ msg: i, ts: c.exchTs[i], bid, ask });
    }
  }
  // Lanes: a probe pair goes to the first lane whose previous pair's horizon has passed, so probes
  // never share an exchange (in an L2 model an own order waits behind another at its price).
  const laneOf: number[] = [];
  const laneFree: number[] = [];
  for (const pl of plan) {
    let lane = laneFree.findIndex((t) => pl.ts > t);
    if (lane < 0) lane = laneFree.push(0) - 1;
    laneFree[lane] = pl.ts + opts.horizonNs;
    laneOf.push(lane);
  }
  const clock = new SimClock(c.n > 0 ? c.exchTs[0] : 0);
  const sched = new Scheduler(clock);
  const latency = new ConstantLatency(opts.orderLatencyNs, 0);
  // lanes[l][0]: the truth, lanes[l][k]: model k - 1.
  const lanes: ExchangeModel[][] = laneFree.map(() => [
    new L3Exchange({ symbols, scheduler: sched, latency }),
    ...opts.models.map(
      (m) =>
        new L2Exchange({ symbols, scheduler: sched, latency, queue: createQueueModel(m.kind, m.func, m.n) }),
    ),
  ]);
  const all = lanes.flat();
  // fillTs[k][p]: when exchange k (0: truth) filled probe p (NaN: not yet).
  const fillTs: number[][] = [[], ...opts.models.map(() => [])];
  for (const lane of lanes) {
    lane.forEach((ex, k) => {
      ex.connect((e: VenueExecEvent) => {
        if (e.type === 'fill' && Number.isNaN(fillTs[k][e.orderId - 1] ?? Number.NaN))
          fillTs[k][e.orderId - 1] = e.exchTs;
      });
    });
  }
  const probes: (Probe & { lane: number })[] = [];
  const live: number[] = [];
  const nCheck = opts.checkpointsNs.length;
  // err[k-1][checkpoint]: sums over probes resting in truth and model k.
  const errAbs = opts.models.map(() => new Float64Array(nCheck));
  const errSigned = opts.models.map(() => new Float64Array(nCheck));
  const errN = opts.models.map(() => new Float64Array(nCheck));
  const lot = spec.lotSize;
  const qty = opts.lots * lot;

  const run = (ts: Nanos) => {
    while (sched.nextTs() <= ts) {
      clock.set(sched.nextTs());
      sched.runNext(ts);
    }
    if (clock.nowNs() < ts) clock.set(ts);
  };
  const send = (id: number, side: Side, price: number, ts: Nanos, lane: ExchangeModel[]) => {
    const cmd: OrderCommand = {
      orderId: id,
      ts,
      intent: {
        intentId: id,
        strategyId: 'queue-score',
        symbolId: 0,
        action: 'new',
        side,
        price,
        qty,
        tif: 'GTC',
        targetOrderId: 0,
        ts,
      },
    };
    for (const ex of lane) ex.submit(cmd);
  };
  /** Records the queue positions of probes whose age passed a checkpoint before `ts`; retires old ones. */
  const observe = (ts: Nanos) => {
    let w = 0;
    for (let r = 0; r < live.length; r++) {
      const p = live[r];
      const pr = probes[p];
      const lane = lanes[pr.lane];
      while (pr.nextCheck < nCheck && pr.placedTs + opts.checkpointsNs[pr.nextCheck] <= ts) {
        const t = (lane[0] as L3Exchange).queueAhead(p + 1);
        if (t >= 0) {
          for (let k = 1; k < lane.length; k++) {
            // Resting in the model: not filled (probes are never cancelled before this point).
            if (!Number.isNaN(fillTs[k][p] ?? Number.NaN)) continue;
            // A negative estimate is quantity traded past the order: nothing is ahead of it.
            const e = Math.max((lane[k] as L2Exchange).queueAhead(p + 1), 0) - t;
            errAbs[k - 1][pr.nextCheck] += Math.abs(e) / lot;
            errSigned[k - 1][pr.nextCheck] += e / lot;
            errN[k - 1][pr.nextCheck]++;
          }
        }
        pr.nextCheck++;
      }
      if (ts - pr.placedTs > opts.horizonNs) {
        pr.done = true;
        for (const ex of lane) ex.cancel(p + 1);
      } else live[w++] = p;
    }
    live.length = w;
  };

  let start = 0;
  let messages = 0;
  let next = 0;
  for (let i = 0; i < c.n; i++) {
    if ((c.flags[i] & EV_LAST) === 0) continue;
    const ts = c.exchTs[i];
    observe(ts);
    run(ts);
    for (const ex of all) ex.onMessage(0, c, start, i);
    start = i + 1;
    messages++;
    run(ts);
    if (next >= plan.length || plan[next].msg !== i) continue;
    const pl = plan[next];
    const lane = laneOf[next++];
    for (const [side, price] of [
      [1, pl.bid],
      [-1, pl.ask],
    ] as const) {
      probes.push({ side, price, placedTs: ts, nextCheck: 0, done: false, lane });
      live.push(probes.length - 1);
      send(probes.length, side, price, ts, lanes[lane]);
    }
    run(ts);
  }
  const end = c.n > 0 ? c.exchTs[c.n - 1] : 0;
  run(end);

  // A fill counts when it came within the horizon; a probe whose horizon passes the end of the data counts as it stands.
  const filledIn = (k: number, p: number) => {
    const f = fillTs[k][p];
    return f !== undefined && !Number.isNaN(f) && f - probes[p].placedTs <= opts.horizonNs;
  };
  let truthFilled = 0;
  for (let p = 0; p < probes.length; p++) if (filledIn(0, p)) truthFilled++;
  const models: ModelScore[] = opts.models.map((m, mk) => {
    const k = mk + 1;
    let matches = 0;
    let filled = 0;
    let falseFills = 0;
    let missed = 0;
    const dt: number[] = [];
    for (let p = 0; p < probes.length; p++) {
      const a = filledIn(k, p);
      const b = filledIn(0, p);
      if (a) filled++;
      if (a === b) matches++;
      else if (a) falseFills++;
      else missed++;
      if (a && b) dt.push((fillTs[k][p] - fillTs[0][p]) / NS_PER_MS);
    }
    const abs = dt.map(Math.abs).sort((x, y) => x - y);
    const signed = [...dt].sort((x, y) => x - y);
    return {
      model: m.name,
      matches,
      matchShare: probes.length > 0 ? matches / probes.length : 0,
      filled,
      falseFills,
      missedFills: missed,
      fillTimeErrorMs:
        dt.length === 0
          ? null
          : {
              probes: dt.length,
              median: quantile(abs, 0.5),
              p90: quantile(abs, 0.9),
              signedMedian: quantile(signed, 0.5),
            },
      queueError: opts.checkpointsNs.map((ns, j) => ({
        ageS: ns / NS_PER_S,
        probes: errN[mk][j],
        meanAbs: errN[mk][j] > 0 ? errAbs[mk][j] / errN[mk][j] : 0,
        meanSigned: errN[mk][j] > 0 ? errSigned[mk][j] / errN[mk][j] : 0,
      })),
    };
  });
  return {
    file,
    symbol: spec.code,
    messages,
    probes: probes.length,
    lanes: lanes.length,
    every: opts.every,
    lots: opts.lots,
    horizonS: opts.horizonNs / NS_PER_S,
    orderLatencyUs: opts.orderLatencyNs / 1000,
    truthFilled,
    truthFillRate: probes.length > 0 ? truthFilled / probes.length : 0,
    models,
  };
}

/** Linear-interpolated quantile of sorted values. */
function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  const x = (sorted.length - 1) * q;
  const lo = Math.floor(x);
  const hi = Math.ceil(x);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (x - lo);
}

/** The result as a table: one line per model. */
export function formatQueueScore(r: QueueScoreResult): string {
  const pct = (v: number) => `${(v * 100).toFixed(1)}%`;
  const f1 = (v: number) => v.toFixed(1);
  const ages = r.models[0]?.queueError.map((q) => `${q.ageS}s`) ?? [];
  const lines = [
    `queue-score ${r.file} (${r.symbol}): ${r.probes} probes of ${r.lots} lot (a bid and an ask at the touch every ${r.every} messages of ${r.messages}; ${r.lanes} lanes), horizon ${r.horizonS} s, order latency ${r.orderLatencyUs} us`,
    `L3 truth (FIFO position from the order ids): ${r.truthFilled} of ${r.probes} filled (${pct(r.truthFillRate)})`,
    '',
    `${'model'.padEnd(14)} ${'match'.padStart(7)} ${'filled'.padStart(7)} ${'false'.padStart(6)} ${'missed'.padStart(7)}  ${'fill-time error ms: median p90 (signed median)'.padEnd(46)}  queue error, lots, mean |est-true| (signed) at age ${ages.join(' / ')}`,
  ];
  for (const m of r.models) {
    const ft = m.fillTimeErrorMs;
    const fte = ft
      ? `${f1(ft.median)} ${f1(ft.p90)} (${ft.signedMedian >= 0 ? '+' : ''}${f1(ft.signedMedian)}) over ${ft.probes}`
      : '-';
    const qe = m.queueError
      .map((q) =>
        q.probes > 0
          ? `${q.meanAbs.toFixed(2)} (${q.meanSigned >= 0 ? '+' : ''}${q.meanSigned.toFixed(2)})`
          : '-',
      )
      .join(' / ');
    lines.push(
      `${m.model.padEnd(14)} ${pct(m.matchShare).padStart(7)} ${String(m.filled).padStart(7)} ${String(m.falseFills).padStart(6)} ${String(m.missedFills).padStart(7)}  ${fte.padEnd(46)}  ${qe}`,
    );
  }
  lines.push(
    '',
    'match: fill / no-fill within the horizon agrees with the truth; false: filled by the model only; missed: by the truth only;',
    'fill-time error over the probes both filled (signed: + the model fills later); queue error over the probes resting in both at that age.',
  );
  return lines.join('\n');
}
