import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { discoverAlphas, findAlpha } from '../../src/alpha/registry.ts';
import { repoRoot } from '../helpers/symbols.ts';

const exec = promisify(execFile);

/** A project folder with the platform's config and the given alpha files. */
function project(alphas: Record<string, string>): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'hft-alphas-'));
  cpSync(path.join(repoRoot, 'config'), path.join(root, 'config'), { recursive: true });
  for (const [id, src] of Object.entries(alphas)) {
    mkdirSync(path.join(root, 'research', 'alphas', id), { recursive: true });
    writeFileSync(path.join(root, 'research', 'alphas', id, 'impl.ts'), src);
  }
  return root;
}

const good = (id: string) => `import { Alpha, type AlphaEvent } from 'hft-platform';
export class Good extends Alpha {
  static override readonly manifest = { alpha_id: '${id}', hypothesis: 'h', formula: 'f', tier: 'TIER_1' as const };
  update(ev: Readonly<AlphaEvent>): number { return ev.imbalance; }
  reset(): void {}
}
`;

test('discovery survives broken alphas: each is a warning, the good ones are found', async () => {
  const root = project({
    good_one: good('good_one'),
    syntax: 'export class {{{ nope',
    no_class: 'export const x = 1;\n',
    bad_manifest: good('bad_manifest').replace("hypothesis: 'h', ", ''),
    wrong_id: good('someone_else'),
    throws: good('throws').replace(
      'reset(): void {}',
      'reset(): void {}\n  constructor(p: never) { super(p); throw new Error("boom"); }',
    ),
    _template: 'ignored: starts with _',
  });
  try {
    const reg = await discoverAlphas(root);
    assert.deepEqual([...reg.alphas.keys()], ['good_one']);
    assert.equal(reg.alphas.get('good_one')!.manifest.status, 'DRAFT');
    const w = reg.warnings.join('\n');
    assert.equal(reg.warnings.length, 5, w);
    assert.match(w, /bad_manifest.*manifest hypothesis/);
    assert.match(w, /no_class.*no class extending Alpha/);
    assert.match(w, /syntax.*cannot load/);
    assert.match(w, /throws.*boom/);
    assert.match(w, /wrong_id.*differs from its folder/);
    await assert.rejects(findAlpha(root, 'syntax'), /alpha syntax cannot be loaded: .*cannot load/);
    await assert.rejects(findAlpha(root, 'nothing'), /unknown alpha 'nothing' \(.*good_one\)/);

    // The CLI lists the good one and the warnings, and exits 0.
    const r = await exec(process.execPath, [path.join(repoRoot, 'bin/hft.mjs'), 'alpha', 'list'], {
      cwd: root,
    });
    assert.match(r.stdout, /^good_one\tstatus=DRAFT\ttier=TIER_1\n/);
    assert.match(r.stdout, /Discovery warnings:\n- research\/alphas\/bad_manifest\/impl\.ts: /);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('the shipped alphas are discovered with their manifests', async () => {
  const reg = await discoverAlphas(repoRoot);
  assert.deepEqual(reg.warnings, []);
  assert.deepEqual([...reg.alphas.keys()], ['garch_vol', 'kl_regime', 'ofi_depth', 'ofi_mc', 'trade_flow']);
  assert.equal(reg.alphas.get('ofi_mc')!.manifest.tier, 'TIER_2');
  assert.equal(reg.alphas.get('kl_regime')!.manifest.complexity, 'O(N)');
});

test('finding one alpha loads its module only, not the other alphas of the project', async () => {
  const root = project({
    a_first: `(globalThis as { loaded?: string[] }).loaded = [...((globalThis as { loaded?: string[] }).loaded ?? []), 'a_first'];\n${good('a_first')}`,
    target: `(globalThis as { loaded?: string[] }).loaded = [...((globalThis as { loaded?: string[] }).loaded ?? []), 'target'];\n${good('target')}`,
    broken: 'export class {{{ nope',
  });
  mkdirSync(path.join(root, 'research', 'alphas', 'empty'));
  try {
    const g = globalThis as { loaded?: string[] };
    delete g.loaded;
    const e = await findAlpha(root, 'target');
    assert.equal(e.id, 'target');
    assert.equal(e.manifest.tier, 'TIER_1');
    assert.deepEqual(g.loaded, ['target']);
    await assert.rejects(
      findAlpha(root, 'broken'),
      /alpha broken cannot be loaded: research\/alphas\/broken\/impl\.ts: cannot load /,
    );
    await assert.rejects(
      findAlpha(root, 'empty'),
      /alpha empty cannot be loaded: research\/alphas\/empty: no impl\.ts/,
    );
    await assert.rejects(
      findAlpha(root, '../alphas/target'),
      /unknown alpha '\.\.\/alphas\/target' \(.*a_first, target\)/,
    );
    assert.deepEqual(g.loaded, ['target', 'a_first']);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
