import { openSync, readFileSync, writeSync } from 'node:fs';
import { cases, type Outcome, type Seeds } from './cases.ts';

/**
 * Runs one shard of the market-data fuzz cases in this process (a child of market-data.fuzz.test.ts,
 * which sees a V8 abort or a hang from outside). Appends one line per case to the progress file,
 * synchronously so that the last `start` line survives a crash (a pipe may refuse a synchronous
 * write): `start <id>`, then `ok <id> <kind> <outcome>` or `fail <id> <reason>`; `end <n>` after the
 * last one. Args: <shard> <shards> <seed> <scale> <seeds.json> <progress file>.
 */
const [shard, shards, seed, scale] = process.argv.slice(2, 6).map(Number);
const files = JSON.parse(readFileSync(process.argv[6], 'utf8')) as {
  parquet: string[];
  txo: string | null;
  dbnZst: string | null;
};
const seeds: Seeds = {
  parquet: files.parquet.map((p) => ({ name: p.slice(p.lastIndexOf('/') + 1), bytes: readFileSync(p) })),
  txo: files.txo ? readFileSync(files.txo) : null,
  dbnZst: files.dbnZst ? readFileSync(files.dbnZst) : null,
};
const fd = openSync(process.argv[7], 'a');
const out = (line: string) => writeSync(fd, `${line}\n`);
let k = 0;
let n = 0;
for (const c of cases(seed, seeds, scale)) {
  if (k++ % shards !== shard) continue;
  n++;
  out(`start ${c.id}`);
  let outcome: Outcome;
  try {
    outcome = c.run();
  } catch (e) {
    const err = e as Error;
    const where = err.stack?.split('\n')[1]?.trim() ?? '';
    out(`fail ${c.id} ${err.name}: ${err.message.replace(/\n/g, ' | ').slice(0, 300)} ${where}`);
    continue;
  }
  out(`ok ${c.id} ${c.kind} ${outcome}`);
}
out(`end ${n}`);
