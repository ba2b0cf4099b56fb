/**
 * The fake Shioaji server on its own, for trying the live path on a laptop:
 *   node --import tsx test/venues/shioaji/fake-main.ts [speed]
 * Lists TXFD6 (also as TXFR1) and TXO35000Q6 from ../shared/data, prints its URL, and streams the
 * recorded days at `speed` times real time (default 1) until Ctrl+C. See docs/live.md.
 */
import { readTaifex } from '../../../src/venues/replay/read-taifex.ts';
import { dataFile } from '../replay/data-dir.ts';
import { FakeShioaji } from './fake-server.ts';
import { symbols } from './harness.ts';

const speed = Number(process.argv[2] ?? 1);
const [txf, txo] = symbols('TXFD6', 'TXO35000Q6');
const fake = new FakeShioaji({
  instruments: [
    {
      spec: txf,
      columns: (await readTaifex(dataFile('taifex-txf-20260408.parquet'))).columns,
      aliases: ['TXFR1'],
    },
    { spec: txo, columns: (await readTaifex(dataFile('taifex-txo35000q6-20260417.parquet'))).columns },
  ],
});
const url = await fake.listen();
process.stdout.write(`fake shioaji server: ${url}\n`);
process.on('SIGINT', () => void fake.close().then(() => process.exit(0)));
// Paced: each step sends the messages whose recorded time has come.
await fake.pace(speed);
