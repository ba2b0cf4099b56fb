import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../core/errors.ts';
import { featureSet } from '../features/sets.ts';
import { parseParams } from '../strategy/params.ts';
import { importProjectFile } from '../strategy/plugin-loader.ts';
import type { StrategyClass } from '../strategy/sdk.ts';
import { Alpha, type AlphaClass, type AlphaManifest, manifestSchema } from './sdk.ts';

/** Where a project keeps its alphas, relative to the project root. */
export const ALPHAS_DIR = path.join('research', 'alphas');
/** The file of an alpha's folder that holds its class, by preference. */
const IMPL_FILES = ['impl.ts', 'impl.mts', 'impl.js', 'impl.mjs'];

/** One discovered alpha. */
export interface AlphaEntry {
  id: string;
  /** Its folder (absolute). */
  dir: string;
  /** The module that holds the class (absolute). */
  file: string;
  cls: AlphaClass;
  manifest: AlphaManifest;
}

/** The alphas of a project, and why others could not be loaded. */
export interface Registry {
  alphas: Map<string, AlphaEntry>;
  /** One line per folder that holds no usable alpha (does not compile, no class, bad manifest). */
  warnings: string[];
}

/**
 * Discovers `<root>/research/alphas/<id>/impl.ts` (or .mts/.js/.mjs), in name order, skipping folders
 * whose name starts with `_`. A module that fails to load, exports no Alpha class, or declares an
 * invalid manifest is a warning, never an error: one broken alpha does not hide the others.
 */
export async function discoverAlphas(root: string): Promise<Registry> {
  const base = path.join(root, ALPHAS_DIR);
  const reg: Registry = { alphas: new Map(), warnings: [] };
  if (!existsSync(base)) return reg;
  const dirs = readdirSync(base, { withFileTypes: true })
    .filter((d) => d.isDirectory() && !d.name.startsWith('_') && !d.name.startsWith('.'))
    .map((d) => d.name)
    .sort();
  for (const name of dirs) {
    const dir = path.join(base, name);
    const impl = IMPL_FILES.map((f) => path.join(dir, f)).find((f) => existsSync(f));
    if (impl === undefined) {
      reg.warnings.push(`${rel(root, dir)}: no impl.ts`);
      continue;
    }
    try {
      const entry = await loadEntry(impl, dir, name, root);
      reg.alphas.set(entry.id, entry);
    } catch (err) {
      // Whatever the alpha's own code throws (a constructor, a module body) is its defect, not ours.
      const msg = String((err as Error)?.message ?? err).split('\n')[0];
      reg.warnings.push(`${rel(root, impl)}: ${msg}`);
    }
  }
  return reg;
}

/**
 * The alpha `id` of the project; a UserError listing the known ones (and the warnings) otherwise.
 * Only its own folder's module is loaded when the folder exists (not every alpha of the project).
 */
export async function findAlpha(root: string, id: string): Promise<AlphaEntry> {
  const dir = path.join(root, ALPHAS_DIR, id);
  if (/^[^._/\\][^/\\]*$/.test(id) && existsSync(dir) && statSync(dir).isDirectory()) {
    const impl = IMPL_FILES.map((f) => path.join(dir, f)).find((f) => existsSync(f));
    if (impl === undefined)
      throw new UserError(`alpha ${id} cannot be loaded: ${rel(root, dir)}: no impl.ts`);
    try {
      return await loadEntry(impl, dir, id, root);
    } catch (err) {
      const msg = String((err as Error)?.message ?? err).split('\n')[0];
      throw new UserError(`alpha ${id} cannot be loaded: ${rel(root, impl)}: ${msg}`);
    }
  }
  const reg = await discoverAlphas(root);
  const entry = reg.alphas.get(id);
  if (entry !== undefined) return entry;
  const broken = reg.warnings.find((w) => w.includes(`${path.sep}${id}${path.sep}`));
  if (broken !== undefined) throw new UserError(`alpha ${id} cannot be loaded: ${broken}`);
  const known = [...reg.alphas.keys()].join(', ') || 'none';
  throw new UserError(`unknown alpha '${id}' (in ${path.join(root, ALPHAS_DIR)}: ${known})`);
}

/** Builds an instance with its parameters (schema defaults, `params` over them) validated. */
export function buildAlpha(
  entry: Pick<AlphaEntry, 'id' | 'cls'>,
  params: Record<string, unknown> = {},
): Alpha {
  let parsed: unknown;
  try {
    parsed = parseParams(entry.cls as unknown as StrategyClass, entry.id, params);
  } catch (err) {
    if (err instanceof UserError) throw new UserError(err.message.replace(/^strategy /, 'alpha '));
    throw err;
  }
  return new entry.cls(parsed as never);
}

async function loadEntry(file: string, dir: string, name: string, root: string): Promise<AlphaEntry> {
  const mod = await importProjectFile(file, root);
  const cls = alphaClassOf(mod);
  const parsed = manifestSchema.safeParse(cls.manifest);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new UserError(`${cls.name}: manifest ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  const manifest = parsed.data;
  if (manifest.alpha_id !== name)
    throw new UserError(
      `${cls.name}: manifest alpha_id '${manifest.alpha_id}' differs from its folder '${name}'`,
    );
  // The feature set must exist: better a warning now than an error at the first event.
  const probe = buildAlpha({ id: name, cls });
  if (probe.featureSet !== null) featureSet(probe.featureSet);
  return { id: name, dir, file, cls, manifest };
}

/** The alpha class a module exports: `ALPHA_CLASS`, else the default export, else its one Alpha subclass. */
function alphaClassOf(mod: Record<string, unknown>): AlphaClass {
  const isAlpha = (v: unknown): v is AlphaClass =>
    typeof v === 'function' && (v as { prototype?: unknown }).prototype instanceof Alpha;
  if (mod.ALPHA_CLASS !== undefined) {
    if (!isAlpha(mod.ALPHA_CLASS))
      throw new UserError("ALPHA_CLASS is not a class extending Alpha (from 'hft-platform')");
    return mod.ALPHA_CLASS;
  }
  if (isAlpha(mod.default)) return mod.default;
  const found = [...new Set(Object.values(mod).filter(isAlpha))];
  if (found.length === 1) return found[0];
  if (found.length === 0)
    throw new UserError("no class extending Alpha (import { Alpha } from 'hft-platform')");
  throw new UserError(
    `several Alpha classes (${found.map((c) => c.name).join(', ')}): export one as ALPHA_CLASS`,
  );
}

function rel(root: string, p: string): string {
  return path.relative(root, p) || p;
}
