// Worker entry: worker threads do not inherit tsx's loader when the app was started through
// bin/hft.mjs (register()), so register it here; a second registration under `node --import tsx` is harmless.
import { register } from 'tsx/esm/api';

register();
await import('./sweep-worker.ts');
