import { benchRecorder } from './bench/recorder.ts';
const results: Record<string, unknown> = {};
await benchRecorder(results, (n, v) => process.stdout.write(`${n.padEnd(60)} ${v}\n`));
