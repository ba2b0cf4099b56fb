import type { AuditRows } from '../recorder/rows.ts';
import type { Store } from '../recorder/store.ts';
import type { GateRow } from './store-rows.ts';

/** A row as the recorder writes it, with ts (ns since 1970) as an exact decimal string instead of a number. */
type ExactTs<T> = Omit<T, 'ts'> & { ts: string };

/** A row of audit.alpha_promotion_log. */
export type PromotionRow = ExactTs<AuditRows['alpha_promotion_log']>;

/** A row of audit.alpha_canary_log. */
export type CanaryRow = ExactTs<AuditRows['alpha_canary_log']>;

const str = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
const f64 = (x: number) => (Number.isFinite(x) ? String(x) : '0');

/** Inserts audit rows of Gates D–E, promotions and canary actions into an open store. */
export async function insertAudit(
  store: Store,
  rows: { gates?: GateRow[]; promotions?: PromotionRow[]; canary?: CanaryRow[] },
): Promise<void> {
  if (rows.gates !== undefined && rows.gates.length > 0)
    await store.exec(
      `INSERT INTO audit.alpha_gate_log (ts, alpha_id, run_id, gate, passed, config_hash, details, run) VALUES ${rows.gates
        .map(
          (g) =>
            `(${BigInt(g.ts)}, ${str(g.alpha_id)}, ${str(g.run_id)}, ${str(g.gate)}, ${g.passed ? 1 : 0}, ${str(g.config_hash)}, ${str(g.details)}, ${str(g.run_id)})`,
        )
        .join(', ')}`,
    );
  if (rows.promotions !== undefined && rows.promotions.length > 0)
    await store.exec(
      'INSERT INTO audit.alpha_promotion_log (ts, alpha_id, run_id, approved, forced, gate_d_passed, gate_e_passed, canary_weight, config_hash, reasons, scorecard) VALUES ' +
        rows.promotions
          .map(
            (p) =>
              `(${BigInt(p.ts)}, ${str(p.alpha_id)}, ${str(p.run_id)}, ${p.approved ? 1 : 0}, ${p.forced ? 1 : 0}, ${p.gate_d_passed ? 1 : 0}, ${p.gate_e_passed ? 1 : 0}, ${f64(p.canary_weight)}, ${str(p.config_hash)}, ${str(p.reasons)}, ${str(p.scorecard)})`,
          )
          .join(', '),
    );
  if (rows.canary !== undefined && rows.canary.length > 0)
    await store.exec(
      'INSERT INTO audit.alpha_canary_log (ts, alpha_id, action, old_weight, new_weight, reason, checks) VALUES ' +
        rows.canary
          .map(
            (c) =>
              `(${BigInt(c.ts)}, ${str(c.alpha_id)}, ${str(c.action)}, ${f64(c.old_weight)}, ${f64(c.new_weight)}, ${str(c.reason)}, ${str(c.checks)})`,
          )
          .join(', '),
    );
}
