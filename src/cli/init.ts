import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { UserError } from '../core/errors.ts';
import { PACKAGE_ROOT } from '../core/package-root.ts';
import { checkOutputDir } from './context.ts';

/** Folders of the platform's examples/ project a new project starts from. */
const FROM_EXAMPLES = ['config', 'strategies'];

const GITIGNORE = `node_modules/
# the embedded store, write-ahead log and dead letters
data/
# backtest and sweep reports (--out bt/...), feature exports
bt/
*.parquet
/*.csv
`;

// The platform's compiler options that matter to a strategy: TypeScript as the platform runs it.
const TSCONFIG = `{
  // Editors and \`tsc\` check the strategies against the platform's API ('hft-platform').
  "compilerOptions": {
    "target": "ES2022",
    "module": "NodeNext",
    "moduleResolution": "NodeNext",
    "strict": true,
    // Class fields are assigned in the constructor, as in the platform: a numeric field that
    // starts as undefined would be stored boxed, one allocation per float write on the hot path.
    "useDefineForClassFields": false,
    "noImplicitOverride": true,
    "verbatimModuleSyntax": true,
    "allowImportingTsExtensions": true,
    "noEmit": true,
    "skipLibCheck": true
  },
  "include": ["strategies"]
}
`;

/** How the project's package.json names the platform: a linked folder, or the installed version. */
function platformDependency(dir: string): string {
  const version = (
    JSON.parse(readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }
  ).version;
  if (PACKAGE_ROOT.split(path.sep).includes('node_modules')) return `^${version}`;
  return `file:${path.relative(dir, PACKAGE_ROOT).split(path.sep).join('/') || '.'}`;
}

function packageJson(dir: string): string {
  const name =
    path
      .basename(dir)
      .toLowerCase()
      .replace(/[^a-z0-9._-]+/g, '-')
      .replace(/^[._-]+/, '') || 'hft-project';
  const pkg = {
    name,
    private: true,
    type: 'module',
    devDependencies: { 'hft-platform': platformDependency(dir) },
  };
  return `${JSON.stringify(pkg, null, 2)}\n`;
}

/** Every file under `from`, relative to it. */
function files(from: string): string[] {
  return readdirSync(from, { recursive: true, withFileTypes: true })
    .filter((f) => f.isFile())
    .map((f) => path.relative(from, path.join(f.parentPath, f.name)));
}

/**
 * Creates a project folder: config/ (settings over the platform's defaults, strategies, limits),
 * strategies/ (plugin strategies), .gitignore, tsconfig.json and package.json. Refuses to
 * overwrite anything. Returns the files written, relative to `dir`.
 */
export function initProject(dir: string): string[] {
  // A file on the way, or a kernel filesystem, cannot hold a project.
  checkOutputDir('hft init', dir);
  const examples = path.join(PACKAGE_ROOT, 'examples');
  const written = new Map<string, string | null>(); // relative path -> content (null: copied)
  for (const sub of FROM_EXAMPLES)
    for (const f of files(path.join(examples, sub))) written.set(path.join(sub, f), null);
  written.set('.gitignore', GITIGNORE);
  written.set('tsconfig.json', TSCONFIG);
  written.set('package.json', packageJson(dir));
  const clash = [...written.keys()].find((f) => existsSync(path.join(dir, f)));
  if (clash !== undefined)
    throw new UserError(
      `${path.join(dir, clash)} exists; hft init does not overwrite (choose an empty folder)`,
    );
  for (const [f, content] of written) {
    const to = path.join(dir, f);
    mkdirSync(path.dirname(to), { recursive: true });
    if (content === null) cpSync(path.join(examples, f), to);
    else writeFileSync(to, content);
  }
  return [...written.keys()].sort();
}

/** `hft init [dir]`: a project folder of one's own. */
export function registerInit(init: Command): void {
  init.argument('[dir]', 'folder to create the project in', '.').action((dir: string) => {
    const abs = path.resolve(dir);
    const wrote = initProject(abs);
    const rel = path.relative(process.cwd(), abs) || '.';
    process.stdout.write(
      [
        `created a project in ${rel}: ${wrote.join(', ')}`,
        '',
        'next:',
        ...(rel === '.' ? [] : [`  cd ${rel}`]),
        '  npm install      # links the platform here: `npx hft`, and its types for your editor',
        '  npx hft backtest run --strategy imbalance-txf --data <data folder>/taifex-txf-20260408.parquet --out bt/first',
        '',
        'strategies/ holds the plugin strategies that config/strategies.yaml names; the settings in',
        "config/ are layered over the platform's defaults (docs/configuration.md, docs/strategies.md).",
        '',
      ].join('\n'),
    );
  });
}
