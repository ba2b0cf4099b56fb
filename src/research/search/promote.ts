import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ALPHAS_DIR } from '../../alpha/registry.ts';
import { alphaClassName, lookaheadTest } from '../../alpha/scaffold.ts';
import { RET_1 } from './bar-sampler.ts';
import { parseExpr } from './expr.ts';
import type { SearchOutcome, SearchResultRow } from './search.ts';

export interface PromotedAlpha {
  alpha_id: string;
  class_name: string;
  expression: string;
  dir: string;
  /** False when the folder existed already (left as it was). */
  created: boolean;
}

/** The alpha id of a formula: `expr_` and the first 10 hex digits of its SHA-256 (stable across searches). */
export function expressionAlphaId(expression: string): string {
  return `expr_${createHash('sha256').update(expression).digest('hex').slice(0, 10)}`;
}

/**
 * Scaffolds search results as alphas in research/alphas/<id>/ (an ExpressionAlpha subclass with the
 * formula, bar and feature set it was searched on; README with the search's figures; CHANGELOG; two
 * tests), so that the validation gates apply to them like to any alpha. A folder that exists is left
 * as it is (its validations may already be in the ledger).
 */
export function promoteResults(
  root: string,
  outcome: SearchOutcome,
  rows: readonly SearchResultRow[],
  featureSetId: string,
  dataFiles: readonly string[],
): PromotedAlpha[] {
  return rows.map((r) => {
    const id = expressionAlphaId(r.expression);
    const cls = alphaClassName(id);
    const dir = path.join(root, ALPHAS_DIR, id);
    if (existsSync(dir))
      return { alpha_id: id, class_name: cls, expression: r.expression, dir, created: false };
    parseExpr(r.expression); // the formula is valid, or nothing is written
    const set = featureSetId.split('@')[0];
    const fields = [...new Set(r.variables.map((v) => `${set}.${v === RET_1 ? 'mid' : v}`))].sort();
    const files: Record<string, string> = {
      'impl.ts': implTs(id, cls, r, outcome, set, fields),
      'README.md': readme(id, r, outcome, dataFiles),
      'CHANGELOG.md': `# Changelog: ${id}\n\n## Unreleased\n\n- Promoted from ${outcome.search_id} (rank ${r.rank}).\n`,
      'tests/logic.test.ts': logicTest(id, cls),
      'tests/no-lookahead.test.ts': lookaheadTest(cls, 20000),
    };
    mkdirSync(path.join(dir, 'tests'), { recursive: true });
    for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
    return { alpha_id: id, class_name: cls, expression: r.expression, dir, created: true };
  });
}

const q = (s: string) => JSON.stringify(s);

function implTs(
  id: string,
  cls: string,
  r: SearchResultRow,
  o: SearchOutcome,
  set: string,
  fields: string[],
): string {
  return `import { type AlphaManifestInput, ExpressionAlpha } from 'hft-platform';

/**
 * ${id}: a formula found by \`hft alpha search\` (${o.search_id}, rank ${r.rank} of ${o.trials} trials;
 * ${o.trials_total} trials on this data in the ledger). Signal: the formula over ${o.bar_ms} ms bars of ${set}.
 */
export class ${cls} extends ExpressionAlpha {
  static override readonly expression = ${q(r.expression)};
  static override readonly barMs = ${o.bar_ms};
  static override readonly featureSetId = ${q(set)};
  static override readonly manifest: AlphaManifestInput = {
    alpha_id: ${q(id)},
    hypothesis: ${q(`Found by search: train Sharpe ${r.sharpe_train}, test Sharpe ${r.sharpe_test}, test IC ${r.ic_test} at ${o.horizon} bar(s) ahead, DSR ${r.dsr} over ${o.trials_total} trials. A statistical regularity, not yet an economic story.`)},
    formula: ${q(`signal_t = ${r.expression} on ${o.bar_ms} ms bars of ${set}`)},
    paper_refs: [],
    data_fields: ${JSON.stringify(fields)},
    complexity: 'O(N)',
    status: 'DRAFT',
    tier: 'TIER_2',
  };
}

export const ALPHA_CLASS = ${cls};
`;
}

function readme(id: string, r: SearchResultRow, o: SearchOutcome, data: readonly string[]): string {
  return `# ${id}

Promoted by \`hft alpha search --promote-top\` from search \`${o.search_id}\` (mode ${o.mode}, seed ${o.seed}).

## Formula

    ${r.expression}

evaluated over ${o.bar_ms} ms bars of data time (the feature values after each bar's last event),
forward return horizon ${o.horizon} bar(s), train share ${o.split}.

## What the search measured (gross of costs)

| | |
|---|---|
| data | ${data.join(', ')} |
| rank in its search | ${r.rank} of ${o.trials} trials |
| trials on this data (ledger) | ${o.trials_total} |
| Sharpe train / test (annualised) | ${r.sharpe_train} / ${r.sharpe_test} |
| IC test | ${r.ic_test} |
| correlation to the pool | ${r.corr_pool} |
| Deflated Sharpe Ratio (test) | ${r.dsr} |
| PBO of the search (CSCV) | ${o.pbo === null ? '-' : o.pbo.pbo} |

## Validate

    npx hft alpha validate ${id} --data ${data.map((d) => `$HFT_DATA_DIR/${d}`).join(' ')}
`;
}

function logicTest(id: string, cls: string): string {
  return `import assert from 'node:assert/strict';
import { test } from 'node:test';
import { alphaSignals, createAlpha, syntheticMarket } from 'hft-platform';
import { ${cls} } from '../impl.ts';

test('the manifest names the alpha and the formula', () => {
  const a = createAlpha(${cls});
  assert.equal(a.manifest.alpha_id, ${q(id)});
  assert.ok(a.manifest.formula.includes(${cls}.expression));
});

test('the signal is finite and changes only when a bar ends', () => {
  const market = syntheticMarket({ seed: 3, messages: 30000 });
  const signals = alphaSignals(createAlpha(${cls}), market);
  assert.ok(signals.length > 1000);
  assert.ok(signals.every(Number.isFinite));
  // 10 ms messages, ${cls}.barMs bars: far fewer signal changes than events.
  let changes = 0;
  for (let i = 1; i < signals.length; i++) if (signals[i] !== signals[i - 1]) changes++;
  assert.ok(changes <= (30000 * 10) / ${cls}.barMs + 1, \`\${changes} changes\`);
});
`;
}
