#!/usr/bin/env node
// The `hft` command. Runs the JavaScript built into dist/ (`npm run build`, which `npm ci` runs
// through `prepare`): no TypeScript compilation at start. In a clone whose src/ changed after the
// last build, or that was never built, it runs the TypeScript sources through tsx instead, so a
// developer never runs stale code (slower to start; on a terminal it says so).
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import { isLiveRun, LIVE_V8_FLAGS } from './live-v8-flags.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const stamp = path.join(root, 'dist', '.build-stamp');
const src = path.join(root, 'src');

/** The build is current when no file under src/ changed after the build started (its stamp). */
function builtIsCurrent() {
  if (!existsSync(stamp)) return false;
  if (!existsSync(src)) return true;
  const built = statSync(stamp).mtimeMs;
  for (const f of readdirSync(src, { recursive: true })) {
    if (statSync(path.join(src, f)).mtimeMs > built) return false;
  }
  return true;
}

// Before any of the platform's modules load: the flags apply to the code compiled after them.
if (isLiveRun(process.argv.slice(2))) for (const f of LIVE_V8_FLAGS) v8.setFlagsFromString(f);

if (builtIsCurrent()) {
  await import('../dist/cli/main.js');
} else {
  if (process.stderr.isTTY) {
    process.stderr.write(
      `hft: ${existsSync(stamp) ? 'src/ changed since the last build' : 'not built'}: running the TypeScript sources (npm run build for a fast start)\n`,
    );
  }
  const { register } = await import('tsx/esm/api');
  // The repo's tsconfig whatever the working directory: its useDefineForClassFields: false keeps
  // numeric class fields unboxed (see tsconfig.json), which the hot path depends on.
  register({ tsconfig: path.join(root, 'tsconfig.json') });
  await import('../src/cli/main.ts');
}
