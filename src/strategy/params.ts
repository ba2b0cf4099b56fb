import { UserError } from '../core/errors.ts';
import type { StrategyClass } from './sdk.ts';

interface Issue {
  path: PropertyKey[];
  message: string;
  code?: string;
  expected?: string;
}

const show = (v: unknown) => (typeof v === 'string' ? `'${v}'` : JSON.stringify(v));

/**
 * Validates a strategy's parameters (the strategies file's `params` with any `--param` over them)
 * against its class's schema and returns the schema's output, defaults filled in. An unknown or
 * invalid parameter is a UserError naming the strategy, the key and the reason on one line.
 */
export function parseParams(cls: StrategyClass, id: string, raw: Record<string, unknown>): unknown {
  const schema = cls.params;
  const given = Object.keys(raw);
  if (schema === undefined) {
    if (given.length === 0) return {};
    throw new UserError(
      `strategy ${id}: unknown parameter '${given[0]}': ${cls.name} declares no parameters ` +
        '(a strategy with parameters extends Strategy.withParams(schema))',
    );
  }
  // A z.object strips unknown keys silently: a misspelt parameter must not fall back to its default.
  const shape = (schema as { shape?: Record<string, unknown> }).shape;
  if (shape !== undefined && typeof shape === 'object') {
    const unknown = given.find((k) => !(k in shape));
    if (unknown !== undefined)
      throw new UserError(
        `strategy ${id}: unknown parameter '${unknown}' (${cls.name} takes: ${Object.keys(shape).join(', ')})`,
      );
  }
  const r = schema.safeParse(raw);
  if (r.success) return r.data;
  const issues = r.error.issues as Issue[];
  const issue = issues[0];
  const key = issue.path.map(String).join('.');
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
  if (issue.code === 'unrecognized_keys') {
    const keys = (issue as { keys?: string[] }).keys ?? [];
    throw new UserError(`strategy ${id}: unknown parameter '${[key, keys[0]].filter(Boolean).join('.')}'`);
  }
  let value: unknown = raw;
  for (const p of issue.path) value = (value as Record<PropertyKey, unknown> | undefined)?.[p];
  if (value === undefined && issue.code === 'invalid_type')
    throw new UserError(
      `strategy ${id}: parameter '${key}' is required (${issue.expected ?? 'a value'})${more}`,
    );
  const what = key === '' ? 'parameters' : `parameter '${key}' = ${show(value)}`;
  throw new UserError(`strategy ${id}: ${what}: ${issue.message.split('\n')[0]}${more}`);
}
