/**
 * Gate B's child process: `node [--import tsx] --test-reporter=tap <this module> <test file...>`
 * in the project folder. The alpha's test files run under node:test in this one process, in the
 * order given ('hft-platform' is the running platform, TypeScript through tsx), so the platform
 * and the loader are loaded once rather than once per file as `node --test` does. A file that does
 * not load is a failed test named `load <file>` with the loader's error.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { registerPluginHooks } from '../../strategy/plugin-loader.ts';

await registerPluginHooks(process.cwd());
for (const file of process.argv.slice(2)) {
  try {
    await import(pathToFileURL(path.resolve(file)).href);
  } catch (err) {
    const { test } = await import('node:test');
    test(`load ${file}`, () => {
      throw err;
    });
  }
}
