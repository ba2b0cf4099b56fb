// `npm run build` (run by `npm ci` through `prepare`): compiles src/ to dist/ with tsconfig.build.json
// and copies the files the code reads at run time (the dashboard's assets). `--out <dir>` builds
// elsewhere (the build test). The worker entries *-entry.mjs are for running the sources under tsx only.
// dist/.build-stamp carries the time the build started: bin/hft.mjs runs dist/ only while no file
// under src/ is newer.
import { execFileSync } from 'node:child_process';
import { cpSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const i = process.argv.indexOf('--out');
const out = path.resolve(root, i > 0 ? process.argv[i + 1] : 'dist');
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

const started = new Date();
rmSync(out, { recursive: true, force: true });
execFileSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json'), '--outDir', out], {
  stdio: 'inherit',
});
const src = path.join(root, 'src');
for (const f of readdirSync(src, { recursive: true, withFileTypes: true })) {
  if (!f.isFile() || f.name.endsWith('.ts') || f.name.endsWith('-entry.mjs')) continue;
  const from = path.join(f.parentPath, f.name);
  cpSync(from, path.join(out, path.relative(src, from)));
}
// Written last: an interrupted or failed build leaves no stamp, so bin/hft.mjs does not run it.
const stamp = path.join(out, '.build-stamp');
writeFileSync(stamp, `${started.toISOString()}\n`);
utimesSync(stamp, started, started);
