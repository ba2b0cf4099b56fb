import { type Command, Option } from 'commander';
import {
  alignPool,
  CORR_METRICS,
  type CorrMetric,
  correlationPayload,
  DEFAULT_MAX_GAP_S,
  DEFAULT_REDUNDANT_THRESHOLD,
  loadPoolSeries,
  marginalContribution,
  POOL_METHODS,
  type PoolMethod,
  poolWeights,
  redundantPairs,
} from '../alpha/pool.ts';
import { UserError } from '../core/errors.ts';
import { emit, ledgerOf } from './alpha.ts';
import { optionalNumberFlag, unitFlag } from './flag-values.ts';
import { configOptions } from './options.ts';

interface PoolFlags {
  baseDir?: string;
  threshold?: string;
  corrMetric: CorrMetric;
  redundant?: boolean;
  method: PoolMethod;
  ridgeAlpha: string;
  alphaId?: string;
  minUplift: string;
  maxGapS: string;
  out?: string;
  env?: string;
  config?: string;
  set?: string[];
}

const MODES = ['matrix', 'redundant', 'optimize', 'marginal'] as const;

/** `hft alpha pool matrix|redundant|optimize|marginal` (docs/research.md, The alpha pool). */
export function registerAlphaPool(alpha: Command): void {
  configOptions(
    alpha
      .command('pool [mode]')
      .description(
        "the pool of the ledger's newest signals per alpha: matrix | redundant | optimize | marginal (default matrix)",
      )
      .option('--base-dir <dir>', 'the experiment ledger (alpha.experiments_dir)')
      .option(
        '--threshold <x>',
        `redundant: |correlation| at or above this (default ${DEFAULT_REDUNDANT_THRESHOLD})`,
      )
      .addOption(
        new Option('--corr-metric <m>', 'correlation of redundant pairs')
          .choices([...CORR_METRICS])
          .default('pearson'),
      )
      .option('--redundant', 'matrix: list the redundant pairs too')
      .addOption(
        new Option('--method <m>', 'optimize / marginal: weighting')
          .choices([...POOL_METHODS])
          .default('equal_weight'),
      )
      .option('--ridge-alpha <x>', 'ridge: the penalty', '0.1')
      .option('--alpha-id <id>', 'marginal: the candidate (the others are the pool)')
      .option('--min-uplift <x>', 'marginal: pool Sharpe uplift needed to pass', '0.05')
      .option(
        '--max-gap-s <s>',
        'a forward return spanning more seconds is left out (closed market)',
        String(DEFAULT_MAX_GAP_S),
      )
      .option('--out <file>', 'write the JSON here too'),
  ).action((modeArg: string | undefined, flags: PoolFlags) => {
    const mode = modeArg ?? 'matrix';
    if (!(MODES as readonly string[]).includes(mode))
      throw new UserError(`alpha pool: unknown mode '${mode}' (${MODES.join(', ')})`);
    const threshold =
      flags.threshold === undefined
        ? DEFAULT_REDUNDANT_THRESHOLD
        : unitFlag('--threshold', flags.threshold, true);
    const ridge = optionalNumberFlag('--ridge-alpha', flags.ridgeAlpha) as number;
    const minUplift = optionalNumberFlag('--min-uplift', flags.minUplift) as number;
    const maxGap = optionalNumberFlag('--max-gap-s', flags.maxGapS) as number;
    const ledger = ledgerOf(flags);
    const series = loadPoolSeries(ledger);
    const pool = alignPool(series, maxGap);
    if (mode === 'matrix' || mode === 'redundant') {
      const matrix = correlationPayload(pool);
      const out: Record<string, unknown> = { matrix };
      if (mode === 'redundant' || flags.redundant === true) {
        out.redundant = redundantPairs(matrix, threshold, flags.corrMetric);
        out.threshold = threshold;
        out.metric = flags.corrMetric;
      }
      emit(out, flags.out);
      return;
    }
    if (mode === 'optimize') {
      emit(
        { optimization: poolWeights(pool.alphaIds, pool.signals, pool.returns, flags.method, ridge) },
        flags.out,
      );
      return;
    }
    if (flags.alphaId === undefined) {
      process.stderr.write('hft: alpha pool marginal needs --alpha-id <candidate>\n');
      process.exitCode = 2;
      return;
    }
    emit({ marginal: marginalContribution(pool, flags.alphaId, flags.method, minUplift, ridge) }, flags.out);
  });
}
