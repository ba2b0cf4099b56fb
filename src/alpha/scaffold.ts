import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../core/errors.ts';
import { ALPHAS_DIR } from './registry.ts';

/** The original's id rule: runs of characters outside [A-Za-z0-9_] become `_`, lower-case, no `_` at the ends. */
export function normalizeAlphaId(raw: string): string {
  const id = raw
    .replace(/[^A-Za-z0-9_]+/g, '_')
    .toLowerCase()
    .replace(/^_+|_+$/g, '');
  if (id === '') throw new UserError(`alpha id '${raw}' is empty once normalized (use letters, digits, _)`);
  if (!/^[a-z0-9]/.test(id)) throw new UserError(`alpha id '${id}' must start with a letter or a digit`);
  return id;
}

/** `O1` -> `O(1)`, `ON` -> `O(N)` (case and parentheses ignored); anything else as given. */
export function normalizeComplexity(raw: string): string {
  const c = raw.trim().toUpperCase().replace(/[()]/g, '');
  if (c === 'O1') return 'O(1)';
  if (c === 'ON') return 'O(N)';
  return raw.trim();
}

/** `ofi_mc_v2` -> `OfiMcV2Alpha`. */
export function alphaClassName(id: string): string {
  const name = id
    .split('_')
    .filter((p) => p !== '')
    .map((p) => p[0].toUpperCase() + p.slice(1))
    .join('');
  return `${/^[0-9]/.test(name) ? 'A' : ''}${name}Alpha`;
}

export interface ScaffoldOptions {
  root: string;
  id: string;
  papers?: string[];
  complexity?: string;
  force?: boolean;
}

export interface ScaffoldResult {
  alpha_id: string;
  class_name: string;
  dir: string;
  files: string[];
}

/**
 * Creates research/alphas/<id>/: a typed alpha class (a working starter: an EMA of the best level's
 * imbalance), README (hypothesis, formula, references), CHANGELOG and two node:test tests that can
 * fail (its logic; no look-ahead). An existing folder is an error unless `force`, which rewrites
 * the files.
 */
export function scaffoldAlpha(opts: ScaffoldOptions): ScaffoldResult {
  const id = normalizeAlphaId(opts.id);
  const complexity = normalizeComplexity(opts.complexity ?? 'O1');
  const papers = opts.papers ?? [];
  const cls = alphaClassName(id);
  const dir = path.join(opts.root, ALPHAS_DIR, id);
  if (existsSync(dir) && opts.force !== true)
    throw new UserError(`${path.relative(process.cwd(), dir) || dir} exists (--force rewrites its files)`);
  const files: Record<string, string> = {
    'impl.ts': implTs(id, cls, complexity, papers),
    'README.md': readme(id, complexity, papers),
    'CHANGELOG.md': `# Changelog: ${id}\n\n## Unreleased\n\n- Initial scaffold.\n`,
    'tests/logic.test.ts': logicTest(id, cls),
    'tests/no-lookahead.test.ts': lookaheadTest(cls),
  };
  mkdirSync(path.join(dir, 'tests'), { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return { alpha_id: id, class_name: cls, dir, files: Object.keys(files).map((f) => path.join(dir, f)) };
}

const q = (s: string) => JSON.stringify(s);

function implTs(id: string, cls: string, complexity: string, papers: string[]): string {
  return `import { Alpha, type AlphaEvent, type AlphaManifestInput, EVENT_BOOK, z } from 'hft-platform';

/** Parameters: validated by this schema before the alpha is built (\`hft alpha validate --param k=v\`). */
const params = z.strictObject({
  /** EMA span of the best level's imbalance, in book updates. */
  span: z.number().int().positive().default(50),
});

/**
 * ${id}: TODO one sentence on what it predicts and why.
 * Starter logic: an EMA of the best level's imbalance (q_bid - q_ask) / (q_bid + q_ask).
 */
export class ${cls} extends Alpha.withParams(params) {
  static override readonly manifest: AlphaManifestInput = {
    alpha_id: ${q(id)},
    hypothesis: 'TODO: why this signal predicts the next moves of the mid',
    formula: 'signal_t = EMA_span((q_bid - q_ask) / (q_bid + q_ask))',
    paper_refs: ${JSON.stringify(papers)},
    data_fields: ['bid_qty', 'ask_qty'],
    complexity: ${q(complexity)},
    status: 'DRAFT',
    tier: 'ENSEMBLE',
  };

  private ema = 0;

  update(ev: Readonly<AlphaEvent>): number {
    // Trades leave the signal as it is; book changes move it.
    if (ev.kind !== EVENT_BOOK) return this.ema;
    this.ema += (2 / (this.params.span + 1)) * (ev.imbalance - this.ema);
    return this.ema;
  }

  reset(): void {
    this.ema = 0;
  }
}

export const ALPHA_CLASS = ${cls};
`;
}

function readme(id: string, complexity: string, papers: string[]): string {
  return `# ${id}

## Hypothesis

TODO: what the signal predicts, over which horizon, and why (who is on the other side).

## Formula

    signal_t = EMA_span((q_bid - q_ask) / (q_bid + q_ask))

## Metadata

- alpha_id: ${id}
- paper_refs: ${papers.length > 0 ? papers.join(', ') : 'N/A'}
- complexity: ${complexity}

## Validate

    npx hft alpha validate ${id} --data $HFT_DATA_DIR/taifex-txf-20260408.parquet
`;
}

function logicTest(id: string, cls: string): string {
  return `import assert from 'node:assert/strict';
import { test } from 'node:test';
import { alphaSignals, createAlpha, syntheticMarket } from 'hft-platform';
import { ${cls} } from '../impl.ts';

test('the manifest names the alpha', () => {
  assert.equal(createAlpha(${cls}).manifest.alpha_id, ${q(id)});
});

test('the signal follows the imbalance of the best level', () => {
  const signals = alphaSignals(createAlpha(${cls}, { span: 1 }), syntheticMarket({ seed: 3 }));
  assert.ok(signals.length > 1000);
  assert.ok(signals.every((s) => s >= -1 && s <= 1), 'an imbalance EMA stays in [-1, 1]');
  assert.ok(signals.some((s) => s > 0.2) && signals.some((s) => s < -0.2), 'it moves both ways');
});
`;
}

/**
 * The no-lookahead test of a generated alpha (scaffold, promoted search formula, promoted RL
 * policy): its signals over a synthetic market of `messages` events, cut at four points, equal the
 * uncut run's; two instances agree. A scaffold uses a small market so a fresh alpha's tests run fast.
 */
export function lookaheadTest(cls: string, messages = 3000): string {
  const cuts = [2, Math.round(messages * 0.26), Math.round(messages * 0.75)];
  return `import assert from 'node:assert/strict';
import { test } from 'node:test';
import { alphaSignals, createAlpha, syntheticMarket } from 'hft-platform';
import { ${cls} } from '../impl.ts';

test('the signal at an event is the same whether or not later events exist', () => {
  const market = syntheticMarket({ seed: 11, messages: ${messages} });
  const full = alphaSignals(createAlpha(${cls}), market);
  for (const cut of [${cuts.join(', ')}, market.n - 1]) {
    const part = alphaSignals(createAlpha(${cls}), market, cut);
    assert.deepEqual(part, full.slice(0, part.length), \`cut at event \${cut}\`);
  }
});

test('two instances give the same signals', () => {
  const market = syntheticMarket({ seed: 5, messages: ${Math.min(messages, 5000)} });
  assert.deepEqual(alphaSignals(createAlpha(${cls}), market), alphaSignals(createAlpha(${cls}), market));
});
`;
}
