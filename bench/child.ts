import { execFileSync } from 'node:child_process';

/**
 * Runs a bench script in a fresh Node process (`node <nodeFlags> --import tsx <script> <args>`,
 * from `root`) and returns the JSON object it prints on its last line of output. A row measured
 * this way sees only its own run: no JIT state or heap left by the bench's other rows.
 */
export function benchChild<T>(
  root: string,
  script: string,
  args: string[],
  nodeFlags: readonly string[] = [],
): T {
  const out = execFileSync(process.execPath, [...nodeFlags, '--import', 'tsx', script, ...args], {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 16 << 20,
  });
  return JSON.parse(out.trim().split('\n').pop() as string) as T;
}
