import { UserError } from '../../core/errors.ts';
import type { Rng } from '../../core/rng.ts';
import {
  type BinOp,
  checkExpr,
  type Expr,
  exprDepth,
  formatExpr,
  isRawPrice,
  OPERATORS,
  parseExpr,
} from './expr.ts';

/** Windows the generators draw from (samples), the original's set. */
export const WINDOWS: readonly number[] = [3, 5, 10, 20, 50, 100];

/** What generated trees may use. */
export interface Grammar {
  /** Features usable anywhere (no raw price level). */
  readonly features: readonly string[];
  /** Raw price levels: only as ts_delta's first argument. */
  readonly rawPrices: readonly string[];
  readonly maxDepth: number;
  readonly windows: readonly number[];
}

export function grammarOf(names: readonly string[], maxDepth: number, windows = WINDOWS): Grammar {
  const features = names.filter((n) => !isRawPrice(n));
  if (features.length === 0) throw new UserError('no feature other than raw price levels to search over');
  return { features, rawPrices: names.filter(isRawPrice), maxDepth, windows };
}

const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[Math.floor(rng.next() * xs.length)];
const CALLS = Object.keys(OPERATORS);
const BINS: readonly BinOp[] = ['+', '-', '*', '/'];

function leaf(rng: Rng, g: Grammar, deltaArg: boolean): Expr {
  if (deltaArg && g.rawPrices.length > 0 && rng.next() < 0.3)
    return { k: 'var', name: pick(rng, g.rawPrices) };
  return { k: 'var', name: pick(rng, g.features) };
}

/** A random tree whose root sits at `depth` (root 1) and that stays within the depth limit. */
export function grow(rng: Rng, g: Grammar, depth = 1, deltaArg = false): Expr {
  // An operator at depth d puts its arguments at d + 1.
  if (depth >= g.maxDepth || (depth > 1 && rng.next() < 0.3)) return leaf(rng, g, deltaArg);
  const r = rng.next();
  if (r < 0.15) {
    return { k: 'bin', op: pick(rng, BINS), a: grow(rng, g, depth + 1), b: grow(rng, g, depth + 1) };
  }
  if (r < 0.2) return { k: 'neg', a: grow(rng, g, depth + 1) };
  const fn = pick(rng, CALLS);
  const spec = OPERATORS[fn];
  const n = spec.args.length - (spec.optional > 0 && rng.next() < 0.5 ? spec.optional : 0);
  const args: Expr[] = [];
  for (let i = 0; i < n; i++)
    args.push(
      spec.args[i] === 'w'
        ? { k: 'num', v: pick(rng, g.windows) }
        : grow(rng, g, depth + 1, fn === 'ts_delta' && i === 0),
    );
  return { k: 'call', fn, args };
}

/** The original's four random families, made causal (depth 3). */
function family(rng: Rng, g: Grammar): string {
  const f = pick(rng, g.features);
  const w = pick(rng, g.windows);
  // A change of a raw price (momentum of the mid) is a family member too.
  const d = g.rawPrices.length > 0 && rng.next() < 0.25 ? pick(rng, g.rawPrices) : f;
  switch (Math.floor(rng.next() * 4)) {
    case 0:
      return `zscore(ts_delta(${d}, ${w}), ${w})`;
    case 1:
      return `sign(ts_delta(${d}, ${w}))`;
    case 2:
      return `rank(ts_sum(${f}, ${w}), ${pick(rng, g.windows)})`;
    default:
      return `sign(ts_corr(${f}, ${pick(rng, g.features)}, ${Math.max(3, w)}))`;
  }
}

/** A random valid tree: half the time one of the original's families (depth >= 3), else grown. */
export function randomExpr(rng: Rng, g: Grammar): Expr {
  for (let i = 0; i < 100; i++) {
    const e = g.maxDepth >= 3 && rng.next() < 0.5 ? parseExpr(family(rng, g)) : grow(rng, g);
    if (valid(e, g)) return e;
  }
  throw new Error('randomExpr: no valid tree in 100 draws');
}

export function valid(e: Expr, g: Grammar): boolean {
  try {
    checkExpr(e, { features: [...g.features, ...g.rawPrices], maxDepth: g.maxDepth });
    return true;
  } catch {
    return false;
  }
}

/** A node of a tree with its path (argument indices from the root) and depth. */
interface Site {
  path: number[];
  node: Expr;
  depth: number;
  /** A window literal (only point mutation applies). */
  window: boolean;
}

function sites(e: Expr): Site[] {
  const out: Site[] = [];
  const walk = (n: Expr, path: number[], depth: number, window: boolean) => {
    out.push({ path, node: n, depth, window });
    if (n.k === 'neg') walk(n.a, [...path, 0], depth + 1, false);
    else if (n.k === 'bin') {
      walk(n.a, [...path, 0], depth + 1, false);
      walk(n.b, [...path, 1], depth + 1, false);
    } else if (n.k === 'call') {
      const spec = OPERATORS[n.fn];
      n.args.forEach((a, i) => {
        walk(a, [...path, i], depth + 1, spec?.args[i] === 'w');
      });
    }
  };
  walk(e, [], 1, false);
  return out;
}

function replaceAt(e: Expr, path: readonly number[], by: Expr, at = 0): Expr {
  if (at === path.length) return by;
  const i = path[at];
  switch (e.k) {
    case 'neg':
      return { k: 'neg', a: replaceAt(e.a, path, by, at + 1) };
    case 'bin':
      return i === 0
        ? { ...e, a: replaceAt(e.a, path, by, at + 1) }
        : { ...e, b: replaceAt(e.b, path, by, at + 1) };
    case 'call':
      return { ...e, args: e.args.map((a, k) => (k === i ? replaceAt(a, path, by, at + 1) : a)) };
    default:
      return e;
  }
}

/** Operators that can stand in for each other (same arguments). */
const SAME_SHAPE: readonly (readonly string[])[] = [
  ['ts_mean', 'ts_sum', 'ts_std', 'ts_delta', 'ts_rank', 'decay_linear', 'rank', 'zscore'],
  ['sign', 'log1p', 'abs'],
  ['add', 'mul', 'div'],
  ['ts_corr'],
];

/** Point mutation of one node: another feature, window, operator of the same shape, or binary operator. */
function pointMutate(rng: Rng, g: Grammar, s: Site, parentIsDelta: boolean): Expr {
  const n = s.node;
  if (s.window && n.k === 'num')
    return {
      k: 'num',
      v: pick(
        rng,
        g.windows.filter((w) => w !== n.v),
      ),
    };
  if (n.k === 'var') return leaf(rng, g, parentIsDelta);
  if (n.k === 'bin')
    return {
      ...n,
      op: pick(
        rng,
        BINS.filter((o) => o !== n.op),
      ),
    };
  if (n.k === 'call') {
    const group = SAME_SHAPE.find((gr) => gr.includes(n.fn)) ?? [n.fn];
    const others = group.filter((f) => f !== n.fn);
    if (others.length > 0) return { ...n, fn: pick(rng, others) };
  }
  return grow(rng, g, s.depth);
}

/**
 * A mutated copy of `e`: a random node is either regrown (subtree mutation: a new random subtree
 * within the depth limit) or changed in place (point mutation: feature, window, operator). The
 * child is valid and differs from the parent (checked, else another try; null after 50 tries).
 */
export function mutate(rng: Rng, g: Grammar, e: Expr): Expr | null {
  const all = sites(e);
  const text = formatExpr(e);
  for (let i = 0; i < 50; i++) {
    const s = pick(rng, all);
    const parent = s.path.length === 0 ? null : nodeAt(e, s.path.slice(0, -1));
    const deltaArg = parent?.k === 'call' && parent.fn === 'ts_delta' && s.path[s.path.length - 1] === 0;
    const by =
      s.window || rng.next() < 0.5 ? pointMutate(rng, g, s, deltaArg) : grow(rng, g, s.depth, deltaArg);
    const child = replaceAt(e, s.path, by);
    if (formatExpr(child) !== text && valid(child, g)) return child;
  }
  return null;
}

function nodeAt(e: Expr, path: readonly number[]): Expr {
  let n = e;
  for (const i of path) {
    if (n.k === 'neg') n = n.a;
    else if (n.k === 'bin') n = i === 0 ? n.a : n.b;
    else if (n.k === 'call') n = n.args[i];
  }
  return n;
}

/**
 * Subtree crossover: a random series node of `a` is replaced by a random series node (with its
 * subtree) of `b` that fits the depth limit there. The child is valid and differs from both
 * parents (null after 50 tries).
 */
export function crossover(rng: Rng, g: Grammar, a: Expr, b: Expr): Expr | null {
  const sa = sites(a).filter((s) => !s.window);
  const sb = sites(b).filter((s) => !s.window);
  const ta = formatExpr(a);
  const tb = formatExpr(b);
  for (let i = 0; i < 50; i++) {
    const x = pick(rng, sa);
    const fits = sb.filter((y) => x.depth - 1 + exprDepth(y.node) <= g.maxDepth);
    if (fits.length === 0) continue;
    const child = replaceAt(a, x.path, pick(rng, fits).node);
    const t = formatExpr(child);
    if (t !== ta && t !== tb && valid(child, g)) return child;
  }
  return null;
}

/** The original's four families as templates (placeholders {f}, {g}, {w}). */
export const DEFAULT_TEMPLATES: readonly string[] = [
  'zscore(ts_delta({f}, {w}), {w})',
  'sign(ts_delta({f}, {w}))',
  'rank(ts_sum({f}, {w}), {w})',
  'sign(ts_corr({f}, {g}, {w}))',
];

/** `k=v1,v2;k2=...` -> { k: [v1, v2], k2: [...] } (values as strings). */
export function parseGrid(text: string | undefined): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  if (text === undefined || text.trim() === '') return out;
  for (const part of text.split(';')) {
    const i = part.indexOf('=');
    if (i <= 0) throw new UserError(`--grid expects k=v1,v2;k2=..., got '${part}'`);
    const vals = part
      .slice(i + 1)
      .split(',')
      .map((v) => v.trim())
      .filter((v) => v !== '');
    if (vals.length === 0) throw new UserError(`--grid: no value for '${part.slice(0, i).trim()}'`);
    out[part.slice(0, i).trim()] = vals;
  }
  return out;
}

/**
 * Every expansion of the templates over the grid: placeholders `{name}`; keys without a grid entry
 * default to the features (`f`, `g`, `h`) or the windows (`w`, `w2`, ...). Cartesian product in
 * sorted key order; duplicates once; an expansion that does not parse is skipped (counted), and a
 * template none of whose expansions parses is an error.
 */
export function expandTemplates(
  templates: readonly string[],
  grid: Record<string, string[]>,
  g: Grammar,
): { formulas: string[]; invalid: number } {
  const seen = new Set<string>();
  const formulas: string[] = [];
  let invalid = 0;
  for (const tpl of templates) {
    const keys = [...new Set([...tpl.matchAll(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g)].map((m) => m[1]))].sort();
    const values = keys.map(
      (k) =>
        grid[k] ??
        (k.startsWith('w') ? g.windows.map(String) : /^[fgh]\d*$/.test(k) ? [...g.features] : null),
    );
    const missing = keys.find((_, i) => values[i] === null);
    if (missing !== undefined) throw new UserError(`template '${tpl}': no --grid values for {${missing}}`);
    const idx = keys.map(() => 0);
    let valid = 0;
    let firstError = '';
    for (;;) {
      let text = tpl;
      keys.forEach((k, i) => {
        text = text.split(`{${k}}`).join((values[i] as string[])[idx[i]]);
      });
      try {
        const e = parseExpr(text, { features: [...g.features, ...g.rawPrices], maxDepth: g.maxDepth });
        const c = formatExpr(e);
        valid++;
        if (!seen.has(c)) {
          seen.add(c);
          formulas.push(c);
        }
      } catch (err) {
        if (!(err instanceof UserError)) throw err;
        invalid++;
        if (firstError === '') firstError = err.message;
      }
      let k = keys.length - 1;
      while (k >= 0 && ++idx[k] >= (values[k] as string[]).length) idx[k--] = 0;
      if (k < 0) break;
    }
    if (valid === 0) throw new UserError(`template '${tpl}' gives no valid formula (${firstError})`);
  }
  return { formulas, invalid };
}
