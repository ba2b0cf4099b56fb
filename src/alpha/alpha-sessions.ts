import type { SqlReader } from '../recorder/query.ts';
import type { AlphaRunReport } from './alpha-monitor.ts';

/** One recorded run in which an alpha traded (or shadowed) as a strategy: its report and the store's rows. */
export interface AlphaSession {
  run: string;
  kind: string;
  start_ms: number;
  end_ms: number;
  strategy_id: string;
  report: AlphaRunReport;
  /** Orders and fills of the strategy in hft.orders / hft.trades for that run. */
  recorded_orders: number;
  recorded_fills: number;
}

/** Runs that trade: the sim, replays and live (not validations, not backtests). */
const SESSION_KINDS = ['sim', 'replay', 'live'];

function rows(text: string): Record<string, unknown>[] {
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

const q = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/**
 * The ended runs of the store in which alpha `alphaId` ran in `mode` (its report in the run's
 * summary), oldest first, from `sinceMs` (wall-clock start) on, with the orders and fills the
 * recorder stored for its strategy in each.
 */
export async function alphaSessions(
  db: SqlReader,
  alphaId: string,
  mode: 'shadow' | 'trade',
  sinceMs = 0,
): Promise<AlphaSession[]> {
  const runs = rows(
    await db.query(
      'SELECT run, argMax(kind, revision) AS kind, argMax(intDiv(start_ts, 1000000), revision) AS start_ms, ' +
        'argMax(intDiv(end_ts, 1000000), revision) AS end_ms, argMax(summary, revision) AS summary ' +
        `FROM hft.runs GROUP BY run HAVING end_ms > 0 AND start_ms >= ${Math.floor(sinceMs)} ` +
        `AND kind IN (${SESSION_KINDS.map(q).join(', ')}) AND position(summary, ${q(`"alpha_id":"${alphaId}"`)}) > 0 ` +
        'ORDER BY start_ms, run',
      'JSONEachRow',
    ),
  );
  const out: AlphaSession[] = [];
  for (const r of runs) {
    let reports: Record<string, AlphaRunReport>;
    try {
      reports =
        (JSON.parse(String(r.summary)) as { strategy_reports?: Record<string, AlphaRunReport> })
          .strategy_reports ?? {};
    } catch {
      continue;
    }
    for (const [sid, rep] of Object.entries(reports))
      if (rep?.kind === 'alpha' && rep.alpha_id === alphaId && rep.mode === mode)
        out.push({
          run: String(r.run),
          kind: String(r.kind),
          start_ms: Number(r.start_ms),
          end_ms: Number(r.end_ms),
          strategy_id: sid,
          report: rep,
          recorded_orders: 0,
          recorded_fills: 0,
        });
  }
  if (out.length === 0) return out;
  const runList = [...new Set(out.map((s) => q(s.run)))].join(', ');
  const count = async (table: string, where: string) => {
    const m = new Map<string, number>();
    for (const c of rows(
      await db.query(
        `SELECT run, strategy_id, count() AS n FROM ${table} WHERE run IN (${runList})${where} GROUP BY run, strategy_id`,
        'JSONEachRow',
      ),
    ))
      m.set(`${c.run}\t${c.strategy_id}`, Number(c.n));
    return m;
  };
  const orders = await count('hft.orders', " AND event = 'new'");
  const fills = await count('hft.trades', '');
  for (const s of out) {
    s.recorded_orders = orders.get(`${s.run}\t${s.strategy_id}`) ?? 0;
    s.recorded_fills = fills.get(`${s.run}\t${s.strategy_id}`) ?? 0;
  }
  return out;
}
