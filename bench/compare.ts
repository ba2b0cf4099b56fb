/**
 * Compares the TXF market-maker backtest pass of two git revisions, each in processes of its own,
 * alternated A B, B A, ... so both see the same machine load. (Two trees in one process are not a
 * fair comparison: the same tree loaded twice came out ~5% faster the second time, 11 of 13 rounds.)
 *   node --import tsx bench/compare.ts <rev A> <rev B> [pairs (5)] [passes per process (14)]
 * Prints per process the lowest and first-quartile wall and CPU of the passes after the fourth, in
 * how many pairs B was faster, and whether both revisions traded the same (fills, order events and
 * a hash of the fills): a difference there is a behaviour change, not a speed-up.
 */

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const FILE = 'taifex-txf-20260408.parquet';
/** Passes a process runs before its passes are counted (the JIT compiles the path meanwhile). */
const WARMUP = 4;

interface PassFigures {
  minWall: number;
  q1Wall: number;
  minCpu: number;
  q1Cpu: number;
  /** Fills, order events and a hash of the fills: equal for two revisions that trade the same. */
  trades: string;
}

/** In a child: runs `passes` backtests of the tree at `root` over one read of the data. */
async function passes(root: string, dataDir: string, n: number): Promise<PassFigures> {
  const { DEFAULT_MODELS, loadBacktestData, runBacktest } = await import(`${root}/src/backtest/runner.ts`);
  const { loadProject } = await import(`${root}/src/config/project.ts`);
  const { createLogger } = await import(`${root}/src/core/logger.ts`);
  const data = path.join(dataDir, FILE);
  const { settings, symbols, strategies } = loadProject({ root, env: 'test', envVars: {} });
  const cfg = { settings, root, symbols, strategies };
  const replay = await loadBacktestData(cfg, [data]);
  const log = createLogger('silent');
  const walls: number[] = [];
  const cpus: number[] = [];
  let trades = '';
  for (let i = 0; i < n; i++) {
    const c0 = process.cpuUsage();
    const r = await runBacktest(cfg, {
      strategyId: 'mm-txf',
      data: [data],
      models: DEFAULT_MODELS,
      log,
      replay,
    });
    const cu = process.cpuUsage(c0);
    if (i >= Math.min(WARMUP, n - 1)) {
      walls.push(r.run.wall_s);
      cpus.push((cu.user + cu.system) / 1e6);
    }
    let h = 0;
    for (const f of r.tracker.fills as { price: number; qty: number; localTs: number }[])
      h = (h * 31 + f.price * 7 + f.qty + (f.localTs % 1_000_003)) % 1e15;
    trades = `${r.summary.trades} fills, ${r.tracker.orders.length} order events, hash ${h}`;
  }
  walls.sort((a, b) => a - b);
  cpus.sort((a, b) => a - b);
  const q1 = (a: number[]) => a[a.length >> 2];
  return { minWall: walls[0], q1Wall: q1(walls), minCpu: cpus[0], q1Cpu: q1(cpus), trades };
}

/** A worktree of `rev` in `dir`, sharing this checkout's node_modules. */
function worktree(repo: string, rev: string, dir: string): string {
  execFileSync('git', ['-C', repo, 'worktree', 'add', '--detach', '--quiet', dir, rev]);
  symlinkSync(path.join(repo, 'node_modules'), path.join(dir, 'node_modules'));
  return dir;
}

function main(): void {
  const [revA, revB, pairsArg, passesArg] = process.argv.slice(2);
  if (revA === undefined || revB === undefined) {
    process.stderr.write('usage: node --import tsx bench/compare.ts <rev A> <rev B> [pairs] [passes]\n');
    process.exit(2);
  }
  const pairs = Number(pairsArg ?? 5);
  const n = Number(passesArg ?? 14);
  const repo = fileURLToPath(new URL('..', import.meta.url));
  const dataDir = process.env.HFT_DATA_DIR ?? path.join(repo, '..', 'shared', 'data');
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'hft-compare-'));
  const trees: string[] = [];
  try {
    // In the try: a revision that does not resolve still leaves no worktree of the other behind.
    trees.push(worktree(repo, revA, path.join(tmp, 'a')));
    trees.push(worktree(repo, revB, path.join(tmp, 'b')));
    const figures: PassFigures[][] = [[], []];
    let bFaster = 0;
    for (let p = 0; p < pairs; p++) {
      for (const k of p % 2 === 0 ? [0, 1] : [1, 0]) {
        // From the tree itself, so tsx uses its tsconfig (class fields as the build has them).
        const out = execFileSync(
          process.execPath,
          ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', trees[k], dataDir, String(n)],
          { cwd: trees[k], encoding: 'utf8' },
        );
        figures[k].push(JSON.parse(out.trim().split('\n').pop() as string));
      }
      const [a, b] = [figures[0][p], figures[1][p]];
      if (b.minWall < a.minWall) bFaster++;
      process.stdout.write(
        `pair ${p + 1}: A ${a.minWall.toFixed(3)} / ${a.q1Wall.toFixed(3)} s, B ${b.minWall.toFixed(3)} / ${b.q1Wall.toFixed(3)} s (lowest / first-quartile wall)\n`,
      );
    }
    for (const [k, rev] of [revA, revB].entries()) {
      const f = figures[k];
      const med = (sel: (x: PassFigures) => number) => f.map(sel).sort((x, y) => x - y)[f.length >> 1];
      process.stdout.write(
        `${k === 0 ? 'A' : 'B'} ${rev}: median of the processes' lowest wall ${med((x) => x.minWall).toFixed(3)} s, ` +
          `first-quartile wall ${med((x) => x.q1Wall).toFixed(3)} s, lowest CPU ${med((x) => x.minCpu).toFixed(3)} s; ${f[0].trades}\n`,
      );
    }
    const same = figures[0][0].trades === figures[1][0].trades;
    process.stdout.write(
      `B faster (lowest wall) in ${bFaster} of ${pairs} pairs; ${same ? 'both traded the same' : 'THE TRADES DIFFER'}\n`,
    );
  } finally {
    for (const t of trees) execFileSync('git', ['-C', repo, 'worktree', 'remove', '--force', t]);
    rmSync(tmp, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--child') {
  const [root, dataDir, n] = process.argv.slice(3);
  process.stdout.write(`${JSON.stringify(await passes(root, dataDir, Number(n)))}\n`);
} else main();
