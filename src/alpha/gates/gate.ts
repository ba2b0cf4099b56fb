/**
 * A validation gate: one check of an alpha, behind the smallest interface that lets the pipeline
 * run, report and audit it alike. Gates A–C (validation) take a ValidationContext; the promotion
 * gates D–E take their own context through the same interface.
 */
export interface Gate<C> {
  /** The letter in audit.alpha_gate_log ('A'...'E'). */
  readonly id: string;
  /** 'Gate A' etc. */
  readonly name: string;
  /** The report file written into the alpha's folder (the original's artifact name). */
  readonly reportFile: string;
  run(ctx: C): Promise<GateResult>;
}

/** What a gate found. `details` is the gate's own report (JSON). */
export interface GateResult {
  gate: string;
  passed: boolean;
  /** The gate did not run (an earlier gate failed); `details.reason` says why. */
  skipped?: boolean;
  details: Record<string, unknown>;
}

/** A gate that did not run because an earlier one failed. */
export function skippedGate(name: string, reason: string, extra: Record<string, unknown> = {}): GateResult {
  return { gate: name, passed: false, skipped: true, details: { skipped: true, reason, ...extra } };
}
