/**
 * `hft alpha search --data <features.parquet>`: the feature time series `hft features compute`
 * wrote gives the same bar samples as the recording it was computed from.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { loadProject } from '../../../src/config/project.ts';
import { computeFeatureFile } from '../../../src/features/compute-file.ts';
import { isFeatureFile, loadSearchData } from '../../../src/research/search/data.ts';
import { repoRoot } from '../../helpers/symbols.ts';
import { dataFile, requireData } from '../../venues/replay/data-dir.ts';

describe('search data from a feature file', requireData(), () => {
  test('equals the samples of the recording', { timeout: 600_000 }, async () => {
    const cfg = loadProject({ root: repoRoot, env: 'test', envVars: {} });
    const rec = dataFile('taifex-txf-20260408.parquet');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hft-search-ff-'));
    try {
      const out = path.join(dir, 'f.parquet');
      await computeFeatureFile({
        data: [rec],
        out,
        setId: 'lob_core',
        symbols: cfg.symbols,
        symbolMap: cfg.settings.feed.symbols,
        root: repoRoot,
        feedLatencyNs: cfg.settings.feed.latency_us * 1000,
      });
      assert.ok(isFeatureFile(out) && !isFeatureFile(rec));
      const a = await loadSearchData(cfg, [rec], { barMs: 5000, featureSet: 'lob_core' });
      const b = await loadSearchData(cfg, [out], { barMs: 5000, featureSet: 'lob_core' });
      assert.equal(b.featureSet, a.featureSet);
      assert.deepEqual(b.names, a.names);
      assert.equal(b.n, a.n);
      assert.deepEqual(Array.from(b.bar), Array.from(a.bar));
      assert.deepEqual(Array.from(b.mid), Array.from(a.mid));
      for (const n of a.names) assert.deepEqual(Array.from(b.cols[n]), Array.from(a.cols[n]), n);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
