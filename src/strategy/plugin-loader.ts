import { existsSync } from 'node:fs';
import { register } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { UserError } from '../core/errors.ts';
import { PACKAGE_ROOT } from '../core/package-root.ts';
import { Strategy, type StrategyClass } from './sdk.ts';

/** Running the TypeScript sources (tsx is loaded) rather than the build in dist/. */
const FROM_SOURCE = import.meta.url.endsWith('.ts');

/** The platform's public module, which plugins import as 'hft-platform': this very copy of it. */
const PUBLIC_API = new URL(FROM_SOURCE ? '../index.ts' : '../index.js', import.meta.url).href;

/**
 * Module resolution for plugins, in the loader thread: 'hft-platform' is the running platform
 * (one copy of Strategy, whether or not the project installed the package); `hft-plugin:` carries
 * a package name to resolve from the project root; a .ts file is an ES module whatever its
 * folder's package.json says (a project need not have one).
 */
const HOOKS = `
let api;
export function initialize(data) { api = data.api; }
export async function resolve(specifier, context, next) {
  if (specifier === 'hft-platform') specifier = api;
  if (specifier.startsWith('hft-plugin:')) {
    const { spec, parent } = JSON.parse(decodeURIComponent(specifier.slice(11)));
    return next(spec, { ...context, parentURL: parent });
  }
  const r = await next(specifier, context);
  if (/\\.m?ts$/.test(r.url) && !r.url.endsWith('.d.ts') && r.format !== 'module') return { ...r, format: 'module' };
  return r;
}`;

let hooked = false;
let tsx = false;

/**
 * Installs the resolve hooks, after tsx when a TypeScript plugin needs it (hooks registered later
 * run first, so 'hft-platform' is ours whatever tsx's tsconfig says). The sources already run
 * under tsx; the build registers it only now, with the project's tsconfig.json (else the
 * platform's), so `useDefineForClassFields: false` applies to the plugin as to the platform.
 */
async function installHooks(typescript: boolean, root: string): Promise<void> {
  if (typescript && !tsx && !FROM_SOURCE) {
    const own = path.join(root, 'tsconfig.json');
    const { register: registerTsx } = await import('tsx/esm/api');
    registerTsx({ tsconfig: existsSync(own) ? own : path.join(PACKAGE_ROOT, 'tsconfig.json') });
    tsx = true;
    hooked = false;
  }
  if (!hooked) {
    register(`data:text/javascript,${encodeURIComponent(HOOKS)}`, { data: { api: PUBLIC_API } });
    hooked = true;
  }
}

/** Installs the plugin hooks (and tsx) in this process, e.g. in a child that runs a project's tests. */
export function registerPluginHooks(root: string): Promise<void> {
  return installHooks(true, root);
}

/**
 * Why an import failed, in one line: the error's first line, and the next when the first only
 * announces it (esbuild: "Transform failed with 1 error:" then "<file>:<line>:<col>: ERROR: …").
 */
function loadReason(err: unknown): string {
  const lines = String((err as Error)?.message ?? err).split('\n');
  return lines[0].endsWith(':') && lines.length > 1 ? `${lines[0]} ${lines[1].trim()}` : lines[0];
}

/**
 * Imports a module of the user's project by file path (relative to `root` or absolute), with the
 * plugin hooks ('hft-platform' is the running platform; tsx for TypeScript). A missing file or a
 * module that fails to load is a UserError naming the file and the first line of the reason.
 */
export async function importProjectFile(file: string, root: string): Promise<Record<string, unknown>> {
  const full = path.resolve(root, file);
  if (!existsSync(full)) throw new UserError(`file not found: ${full}`);
  await installHooks(/\.[mc]?ts$/.test(full), root);
  try {
    return await import(pathToFileURL(full).href);
  } catch (err) {
    throw new UserError(`cannot load ${full}: ${loadReason(err)}`);
  }
}

/** A `class:` reference to a plugin: `<module>#<export>` (no `#`: the default export). */
export interface PluginRef {
  /** `./x.ts` or `../x.js` (relative to the project root), an absolute path, or a package name. */
  module: string;
  exportName: string;
}

/** True when `class:` names a module rather than a shipped class (`market_maker`). */
export function isPluginRef(ref: string): boolean {
  return /[#/.]/.test(ref) || ref.startsWith('@');
}

export function parsePluginRef(ref: string): PluginRef {
  const i = ref.lastIndexOf('#');
  return i < 0
    ? { module: ref, exportName: 'default' }
    : { module: ref.slice(0, i), exportName: ref.slice(i + 1) || 'default' };
}

const isPath = (m: string) => m.startsWith('./') || m.startsWith('../') || path.isAbsolute(m);

/**
 * Imports a strategy class from a plugin module. A path is relative to the project root (the
 * folder holding config/); a package is resolved from it too. Every failure is a UserError
 * naming the reference and the reason on one line.
 */
export async function importStrategyClass(ref: string, root: string): Promise<StrategyClass> {
  const { module, exportName } = parsePluginRef(ref);
  let specifier: string;
  let typescript = false;
  if (isPath(module)) {
    const file = path.resolve(root, module);
    if (!existsSync(file)) throw new UserError(`class ${ref}: file not found: ${file}`);
    typescript = /\.[mc]?ts$/.test(file);
    specifier = pathToFileURL(file).href;
  } else {
    const parent = pathToFileURL(path.join(root, 'package.json')).href;
    specifier = `hft-plugin:${encodeURIComponent(JSON.stringify({ spec: module, parent }))}`;
  }
  await installHooks(typescript, root);
  let mod: Record<string, unknown>;
  try {
    mod = await import(specifier);
  } catch (err) {
    throw new UserError(`class ${ref}: cannot load ${module}: ${loadReason(err)}`);
  }
  const cls = mod[exportName];
  if (cls === undefined) {
    const names = Object.keys(mod).filter((k) => typeof mod[k] === 'function');
    throw new UserError(
      `class ${ref}: ${module} has no export '${exportName}' (it exports: ${names.join(', ') || 'no classes'})`,
    );
  }
  if (typeof cls !== 'function' || !(cls.prototype instanceof Strategy)) {
    throw new UserError(
      `class ${ref}: '${exportName}' is not a class extending Strategy (import { Strategy } from 'hft-platform')`,
    );
  }
  return cls as unknown as StrategyClass;
}
