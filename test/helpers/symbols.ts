import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadSymbols } from '../../src/config/symbols.ts';
import type { SymbolSpec } from '../../src/contracts/symbols.ts';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** The shipped symbol table (config/symbols.yaml). */
export function shippedSymbols(): SymbolSpec[] {
  return loadSymbols(path.join(repoRoot, 'config/symbols.yaml'));
}

export function symbolByCode(code: string): SymbolSpec {
  const s = shippedSymbols().find((x) => x.code === code);
  if (!s) throw new Error(`no symbol ${code}`);
  return s;
}
