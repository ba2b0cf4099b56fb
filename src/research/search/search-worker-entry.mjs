// Worker entry: worker threads do not inherit tsx's loader when the app was started through
// bin/hft.mjs (register()), so register it here; a second registration under `node --import tsx` is harmless.
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

// The repo's tsconfig whatever the working directory (useDefineForClassFields: false, see tsconfig.json).
register({ tsconfig: fileURLToPath(new URL('../../../tsconfig.json', import.meta.url)) });
await import('./search-worker.ts');
