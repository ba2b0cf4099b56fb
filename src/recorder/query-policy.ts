/**
 * What a running process answers through `/api/query`, decided on the engine's own parse of the
 * statement (the tree `EXPLAIN AST` prints), never on the SQL text: the engine has already
 * proved it is exactly one statement (formatQuerySingleLine refuses more), and the session runs
 * with readonly=1. This adds what readonly does not stop in embedded ClickHouse (measured on
 * chdb 3.4 / ClickHouse 26.7): `INTO OUTFILE` (written by the client side of the engine, which
 * readonly does not govern), the scalar `file()` function, and statements readonly allows but
 * a query path should not run (KILL QUERY).
 */

/** Statement kinds answered (the AST's root node names): reads only. */
const READ_STATEMENTS = new Set([
  'SelectWithUnionQuery',
  'ShowTables',
  'ShowColumns',
  'DescribeQuery',
  'ShowCreateTableQuery',
  'ShowCreateDatabaseQuery',
  'ShowCreateViewQuery',
  'ExistsTableQuery',
  'ExistsDatabaseQuery',
  'ExistsViewQuery',
  'Explain',
]);

/** Scalar functions that reach files, libraries or the network from inside the engine. */
export const IO_FUNCTIONS = [
  'file',
  'catboostEvaluate',
  'aiClassify',
  'aiEmbed',
  'aiExtract',
  'aiGenerate',
  'aiTranslate',
] as const;

export const QUERY_HINT =
  'only one read statement (SELECT, WITH, SHOW, DESCRIBE, EXISTS, EXPLAIN) without file or network access can go through a running process';

/**
 * Why the statement whose `EXPLAIN AST` dump is `ast` must not run, or null when it may.
 * `forbidden` holds lower-case function names (table functions readonly refuses, IO_FUNCTIONS).
 *
 * Identifiers are printed raw in the dump, so a name with a line break can add lines: every rule
 * below holds whatever lines are added (the root is the first token of the first line; an
 * OUTFILE literal is a line indented by exactly one space; a function is any `Function` line).
 */
export function refusal(ast: string, forbidden: ReadonlySet<string>): string | null {
  const lines = ast.split('\n').filter((l) => l.trim() !== '');
  if (lines.length === 0) return 'the engine returned no syntax tree';
  const root = lines[0].split(' ')[0];
  if (!READ_STATEMENTS.has(root))
    return `${root.replace(/Query$/, '')} is not a read statement: ${QUERY_HINT}`;
  if (root === 'Explain') {
    const inner = lines.find((l, i) => i > 0 && depth(l) === 1 && !l.startsWith(' Set'));
    const kind = inner?.trim().split(' ')[0] ?? '';
    if (!READ_STATEMENTS.has(kind))
      return `EXPLAIN of ${kind || 'nothing'} is not a read statement: ${QUERY_HINT}`;
  }
  for (const line of lines) {
    const d = depth(line);
    const [kind, name = ''] = line.slice(d).split(' ');
    // A statement's output clauses are its children: FORMAT an Identifier, SETTINGS a Set, and
    // INTO OUTFILE (with its COMPRESSION) a Literal, the only literal a read statement's root holds.
    if (d === 1 && kind === 'Literal')
      return 'INTO OUTFILE is not allowed: the result comes back to the caller';
    if (kind === 'Function' && forbidden.has(name.toLowerCase()))
      return `function ${name}() is not allowed: it reaches files or the network`;
  }
  return null;
}

const depth = (line: string) => line.length - line.trimStart().length;
