import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { repoRoot } from './helpers/symbols.ts';

const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8'));

test('runtime dependencies are what the installed tool uses; test tools are devDependencies', () => {
  assert.equal(pkg.dependencies['playwright-core'], undefined, 'playwright-core drives a test only');
  assert.ok(pkg.devDependencies['playwright-core']);
  assert.ok(pkg.dependencies.tsx, 'tsx loads users’ TypeScript strategies');
});

test('engines names the Node.js release the code needs', () => {
  // node:zlib's crc32 (the WAL's checksums) arrived in Node 20.15.
  const wal = readFileSync(path.join(repoRoot, 'src/recorder/wal/format.ts'), 'utf8');
  assert.match(wal, /import \{ crc32 \} from 'node:zlib'/);
  const floor = /^>=(\d+)\.(\d+)/.exec(pkg.engines.node);
  assert.ok(floor, pkg.engines.node);
  assert.ok(Number(floor[1]) > 20 || (Number(floor[1]) === 20 && Number(floor[2]) >= 15), pkg.engines.node);
});

test('the licence file matches package.json', () => {
  assert.equal(pkg.license, 'MIT');
  assert.match(readFileSync(path.join(repoRoot, 'LICENSE'), 'utf8'), /^MIT License\n/);
});

test('build output, reports, stores and feature exports are not committed', () => {
  const paths = ['dist/cli/main.js', 'bt/txf/summary.json', 'data/store', 'txf.csv', 'features.parquet'];
  // check-ignore prints the ignored ones among its arguments.
  const ignored = execFileSync('git', ['check-ignore', ...paths], { cwd: repoRoot, encoding: 'utf8' });
  assert.deepEqual(ignored.trim().split('\n'), paths);
});
