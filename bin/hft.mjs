#!/usr/bin/env node
// Runs the TypeScript CLI through tsx so `npx hft` works on a fresh clone with no build step.
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

// The repo's tsconfig whatever the working directory: its useDefineForClassFields: false keeps
// numeric class fields unboxed (see tsconfig.json), which the hot path depends on.
register({ tsconfig: fileURLToPath(new URL('../tsconfig.json', import.meta.url)) });
await import('../src/cli/main.ts');
