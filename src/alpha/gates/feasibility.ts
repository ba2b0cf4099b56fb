import { availableFields, resolveField } from '../fields.ts';
import type { ValidationContext } from '../validation-context.ts';
import type { Gate, GateResult } from './gate.ts';

const COMPLEXITIES = new Set(['O(1)', 'O(N)', 'ON', 'O1']);

/** A field that names a price level rather than a change of price (the original's test, with `px`). */
function rawPrice(field: string): boolean {
  const f = field.toLowerCase();
  return (f.includes('price') || /(^|_)px$/.test(f)) && !/diff|delta|return|spread|mid/.test(f);
}

/**
 * Gate A — feasibility: every field the manifest declares is in the data (directly or through the
 * original's aliases; features as `<set>.<feature>`), the complexity is declared and valid, and the
 * hypothesis is written (not the scaffold's TODO).
 * Fields that read a raw price level are warned about, never failed.
 */
export class FeasibilityGate implements Gate<ValidationContext> {
  readonly id = 'A';
  readonly name = 'Gate A';
  readonly reportFile = 'feasibility_report.json';

  async run(ctx: ValidationContext): Promise<GateResult> {
    const m = ctx.entry.manifest;
    const available = availableFields(ctx.content);
    const have = new Set(available);
    const resolved: Record<string, string | null> = {};
    const missing: string[] = [];
    for (const f of m.data_fields) {
      const r = resolveField(f);
      resolved[f] = r;
      if (r === null || !have.has(r)) missing.push(f);
    }
    const complexity = m.complexity;
    const complexityOk = COMPLEXITIES.has(complexity.replace(/\s+/g, '').toUpperCase());
    // An alpha goes on to the backtest only with its reason written down: the scaffold's TODO is not one.
    const hypothesisOk = !/^\s*TODO\b/i.test(m.hypothesis);
    const warnings = m.data_fields
      .filter(rawPrice)
      .map(
        (f) =>
          `${f}: a raw price level (scaled integer): build on its changes, spreads or returns, not its level`,
      );
    return {
      gate: this.name,
      passed: missing.length === 0 && complexityOk && hypothesisOk,
      details: {
        required_fields: m.data_fields,
        resolved_fields: resolved,
        missing_fields: missing,
        available_fields: available,
        complexity,
        complexity_ok: complexityOk,
        hypothesis_ok: hypothesisOk,
        precision_warnings: warnings,
      },
    };
  }
}
