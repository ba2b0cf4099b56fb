import { UserError } from '../../core/errors.ts';

/**
 * The formula language of `hft alpha search`: our own grammar and parser (never `eval`).
 *
 *     expr    := term (('+' | '-') term)*
 *     term    := unary (('*' | '/') unary)*
 *     unary   := ('-' | '+') unary | primary
 *     primary := number | feature | operator '(' expr (',' expr)* ')' | '(' expr ')'
 *
 * Depth: the root is depth 1, every operand and call argument one deeper (the original's rule:
 * `zscore(ts_delta(x, 5), 5)` is depth 3). Window arguments are integer literals. Raw price levels
 * (a feature named like a price: `mid`, `microprice`, `*price*`, `*px*`, unless it also says delta,
 * diff, return, spread or ratio) enter only as the first argument of `ts_delta`: a change of a
 * price is a signal, its level is not.
 */
export type Expr =
  | { readonly k: 'num'; readonly v: number }
  | { readonly k: 'var'; readonly name: string }
  | { readonly k: 'neg'; readonly a: Expr }
  | { readonly k: 'bin'; readonly op: BinOp; readonly a: Expr; readonly b: Expr }
  | { readonly k: 'call'; readonly fn: string; readonly args: readonly Expr[] };

export type BinOp = '+' | '-' | '*' | '/';

/** An argument of an operator: a series (any expression) or a window (a positive integer literal). */
export type ArgKind = 'x' | 'w';

export interface OperatorSpec {
  /** Required arguments, then optional ones. */
  readonly args: readonly ArgKind[];
  readonly optional: number;
}

/** The operator table: the original's 15 names, every one causal (see operators.ts). */
export const OPERATORS: Readonly<Record<string, OperatorSpec>> = {
  ts_mean: { args: ['x', 'w'], optional: 0 },
  ts_sum: { args: ['x', 'w'], optional: 0 },
  ts_std: { args: ['x', 'w'], optional: 0 },
  ts_delta: { args: ['x', 'w'], optional: 0 },
  ts_rank: { args: ['x', 'w'], optional: 0 },
  decay_linear: { args: ['x', 'w'], optional: 0 },
  ts_corr: { args: ['x', 'x', 'w'], optional: 0 },
  rank: { args: ['x', 'w'], optional: 1 },
  zscore: { args: ['x', 'w'], optional: 1 },
  sign: { args: ['x'], optional: 0 },
  log1p: { args: ['x'], optional: 0 },
  abs: { args: ['x'], optional: 0 },
  add: { args: ['x', 'x'], optional: 0 },
  mul: { args: ['x', 'x'], optional: 0 },
  div: { args: ['x', 'x'], optional: 0 },
};

/** Largest window literal accepted (samples). */
export const MAX_WINDOW = 10_000;
/** Longest formula text accepted. */
export const MAX_FORMULA_CHARS = 2_000;

export interface ParseOptions {
  /** Feature names the formula may use; an unknown name is an error. Omitted: any name. */
  features?: readonly string[];
  /** Depth limit (default 3). */
  maxDepth?: number;
  /** Reject raw price levels outside ts_delta (default true). */
  rawPriceGuard?: boolean;
}

/** A raw price level by its name (the original's rule, with `mid` and `microprice` counted as prices). */
export function isRawPrice(name: string): boolean {
  const n = name.toLowerCase();
  if (/delta|diff|return|spread|ratio/.test(n)) return false;
  return /price|px/.test(n) || n === 'mid' || n.endsWith('_mid') || n === 'current_mid';
}

type Tok =
  | { t: 'num'; v: number; at: number }
  | { t: 'id'; v: string; at: number }
  | { t: 'p'; v: string; at: number };

function tokenize(src: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    const num = /^(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/.exec(src.slice(i));
    if (num !== null) {
      out.push({ t: 'num', v: Number(num[0]), at: i });
      i += num[0].length;
      continue;
    }
    const id = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i));
    if (id !== null) {
      out.push({ t: 'id', v: id[0], at: i });
      i += id[0].length;
      continue;
    }
    if ('+-*/(),'.includes(c)) {
      out.push({ t: 'p', v: c, at: i });
      i++;
      continue;
    }
    throw new UserError(`formula '${src}': unexpected '${c}' at ${i + 1}`);
  }
  return out;
}

/**
 * Parses and checks a formula: syntax, operator names and arities, window literals, feature names,
 * depth and the raw-price guard. Errors are one line naming the formula and the reason.
 */
export function parseExpr(src: string, opts: ParseOptions = {}): Expr {
  if (src.length > MAX_FORMULA_CHARS)
    throw new UserError(`formula longer than ${MAX_FORMULA_CHARS} characters`);
  const toks = tokenize(src);
  let p = 0;
  const fail = (why: string): never => {
    throw new UserError(`formula '${src}': ${why}`);
  };
  const peek = (): Tok | undefined => toks[p];
  const isP = (v: string) => {
    const t = toks[p];
    return t !== undefined && t.t === 'p' && t.v === v;
  };
  const expect = (v: string) => {
    if (!isP(v)) {
      const t = toks[p];
      fail(t === undefined ? `expected '${v}' at the end` : `expected '${v}' at ${t.at + 1}, got '${t.v}'`);
    }
    p++;
  };
  const expr = (): Expr => {
    let a = term();
    while (isP('+') || isP('-')) {
      const op = (toks[p++] as { v: BinOp }).v;
      a = { k: 'bin', op, a, b: term() };
    }
    return a;
  };
  const term = (): Expr => {
    let a = unary();
    while (isP('*') || isP('/')) {
      const op = (toks[p++] as { v: BinOp }).v;
      a = { k: 'bin', op, a, b: unary() };
    }
    return a;
  };
  const unary = (): Expr => {
    if (isP('+')) {
      p++;
      return unary();
    }
    if (isP('-')) {
      p++;
      const a = unary();
      return a.k === 'num' ? { k: 'num', v: -a.v } : { k: 'neg', a };
    }
    return primary();
  };
  const primary = (): Expr => {
    const t = peek();
    if (t === undefined) return fail('unexpected end');
    if (t.t === 'num') {
      p++;
      return { k: 'num', v: t.v };
    }
    if (t.t === 'id') {
      p++;
      if (isP('(')) {
        p++;
        const args: Expr[] = [];
        if (!isP(')')) {
          args.push(expr());
          while (isP(',')) {
            p++;
            args.push(expr());
          }
        }
        expect(')');
        return { k: 'call', fn: t.v, args };
      }
      return { k: 'var', name: t.v };
    }
    if (t.v === '(') {
      p++;
      const e = expr();
      expect(')');
      return e;
    }
    return fail(`unexpected '${t.v}' at ${t.at + 1}`);
  };
  const e = expr();
  if (p < toks.length) fail(`unexpected '${toks[p].v}' at ${toks[p].at + 1}`);
  checkExpr(e, opts, src);
  return e;
}

/**
 * Checks a tree (parsed or generated): operators and arities, windows, features, depth, the raw-price
 * guard. Throws a UserError naming the formula and the reason.
 */
export function checkExpr(e: Expr, opts: ParseOptions = {}, label = formatExpr(e)): void {
  const maxDepth = opts.maxDepth ?? 3;
  const guard = opts.rawPriceGuard ?? true;
  const known = opts.features === undefined ? null : new Set(opts.features);
  const fail = (why: string): never => {
    throw new UserError(`formula '${label}': ${why}`);
  };
  let hasVar = false;
  const walk = (n: Expr, depth: number, deltaArg: boolean): void => {
    if (depth > maxDepth) fail(`deeper than the depth limit ${maxDepth}`);
    switch (n.k) {
      case 'num':
        if (!Number.isFinite(n.v)) fail(`number ${n.v} is not finite`);
        return;
      case 'var':
        hasVar = true;
        if (known !== null && !known.has(n.name)) {
          if (OPERATORS[n.name] !== undefined) fail(`operator '${n.name}' used without arguments`);
          fail(`unknown feature '${n.name}' (known: ${[...known].join(', ')})`);
        }
        if (guard && !deltaArg && isRawPrice(n.name))
          fail(`raw price level '${n.name}' is not allowed (use ts_delta(${n.name}, w))`);
        return;
      case 'neg':
        walk(n.a, depth + 1, false);
        return;
      case 'bin':
        walk(n.a, depth + 1, false);
        walk(n.b, depth + 1, false);
        return;
      case 'call': {
        const spec = OPERATORS[n.fn];
        if (spec === undefined)
          fail(`unknown operator '${n.fn}' (known: ${Object.keys(OPERATORS).join(', ')})`);
        const max = spec.args.length;
        const min = max - spec.optional;
        if (n.args.length < min || n.args.length > max)
          fail(`${n.fn} takes ${min === max ? max : `${min} or ${max}`} arguments, got ${n.args.length}`);
        n.args.forEach((a, i) => {
          if (spec.args[i] === 'w') {
            if (a.k !== 'num' || !Number.isInteger(a.v) || a.v < 1 || a.v > MAX_WINDOW)
              fail(`${n.fn}: the window (argument ${i + 1}) must be an integer literal in 1..${MAX_WINDOW}`);
            if (depth + 1 > maxDepth) fail(`deeper than the depth limit ${maxDepth}`);
          } else walk(a, depth + 1, n.fn === 'ts_delta' && i === 0);
        });
        return;
      }
    }
  };
  walk(e, 1, false);
  if (!hasVar) fail('uses no feature (a constant is not a signal)');
}

/** Canonical text: binaries parenthesised, `parseExpr(formatExpr(e))` gives `e` back. */
export function formatExpr(e: Expr): string {
  switch (e.k) {
    case 'num':
      return String(e.v);
    case 'var':
      return e.name;
    case 'neg':
      return `-${e.a.k === 'bin' ? formatExpr(e.a) : `(${formatExpr(e.a)})`}`;
    case 'bin':
      return `(${formatExpr(e.a)} ${e.op} ${formatExpr(e.b)})`;
    case 'call':
      return `${e.fn}(${e.args.map(formatExpr).join(', ')})`;
  }
}

/** Depth of a tree (root 1). */
export function exprDepth(e: Expr): number {
  switch (e.k) {
    case 'num':
    case 'var':
      return 1;
    case 'neg':
      return 1 + exprDepth(e.a);
    case 'bin':
      return 1 + Math.max(exprDepth(e.a), exprDepth(e.b));
    case 'call':
      return 1 + Math.max(...e.args.map(exprDepth));
  }
}

/** The feature names a tree reads, sorted, once each. */
export function exprVariables(e: Expr): string[] {
  const out = new Set<string>();
  const walk = (n: Expr) => {
    if (n.k === 'var') out.add(n.name);
    else if (n.k === 'neg') walk(n.a);
    else if (n.k === 'bin') {
      walk(n.a);
      walk(n.b);
    } else if (n.k === 'call') n.args.forEach(walk);
  };
  walk(e);
  return [...out].sort();
}

/** Number of nodes (window literals included). */
export function exprSize(e: Expr): number {
  switch (e.k) {
    case 'num':
    case 'var':
      return 1;
    case 'neg':
      return 1 + exprSize(e.a);
    case 'bin':
      return 1 + exprSize(e.a) + exprSize(e.b);
    case 'call':
      return 1 + e.args.reduce((s, a) => s + exprSize(a), 0);
  }
}
