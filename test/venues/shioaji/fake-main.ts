/**
 * The fake Shioaji server on its own, for trying the live path on a laptop:
 *   node --import tsx test/venues/shioaji/fake-main.ts [speed]
 * Lists TXFD6 (also as TXFR1) and TXO35000Q6 from ../shared/data, prints its URL, and streams the
 * recorded days at `speed` times real time (default 1) until Ctrl+C, from the day session's open
 * (08:45 Taipei): the pre-open before it (5 s snapshots, and a TXO quote 35 s before TXF's first)
 * is matched at once, so quotes flow within a second at any speed. See docs/live.md.
 */
import { readTaifex } from '../../../src/venues/replay/read-taifex.ts';
import { dataFile } from '../replay/data-dir.ts';
import { FakeShioaji } from './fake-server.ts';
import { symbols } from './harness.ts';

/** 08:45 Taipei = 00:45 UTC: ns on a recording's epoch (the UTC midnight of its day). */
const DAY_OPEN_NS = 45 * 60 * 1e9;

const speed = Number(process.argv[2] ?? 1);
const [txf, txo] = symbols('TXFD6', 'TXO35000Q6');
const txfCols = (await readTaifex(dataFile('taifex-txf-20260408.parquet'))).columns;
const txoCols = (await readTaifex(dataFile('taifex-txo35000q6-20260417.parquet'))).columns;
for (const c of [txfCols, txoCols])
  if (c.epoch.ns % 86_400_000_000_000n !== 0n)
    throw new Error('a recording whose epoch is not a UTC midnight');
const fake = new FakeShioaji({
  instruments: [
    { spec: txf, columns: txfCols, aliases: ['TXFR1'] },
    { spec: txo, columns: txoCols },
  ],
});
const url = await fake.listen();
process.stdout.write(`fake shioaji server: ${url}\n`);
process.on('SIGINT', () => void fake.close().then(() => process.exit(0)));
process.on('SIGTERM', () => void fake.close().then(() => process.exit(0)));
// Paced: each step sends the messages whose recorded time has come.
await fake.pace(speed, DAY_OPEN_NS);
