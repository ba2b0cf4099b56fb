import { fileURLToPath } from 'node:url';

/** The platform's own folder (package.json, config/ defaults): src/core/ or dist/core/ is two levels down. */
export const PACKAGE_ROOT = fileURLToPath(new URL('../..', import.meta.url));
