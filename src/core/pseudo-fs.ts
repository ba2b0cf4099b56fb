import { statfsSync } from 'node:fs';

/** Kernel filesystems that look writable (to root) but hold no files: proc, sysfs, cgroups, debugfs, ... */
const PSEUDO: ReadonlyMap<number, string> = new Map([
  [0x9fa0, 'proc'],
  [0x62656572, 'sysfs'],
  [0x27e0eb, 'cgroup'],
  [0x63677270, 'cgroup2'],
  [0x64626720, 'debugfs'],
  [0x74726163, 'tracefs'],
  [0x73636673, 'securityfs'],
]);

/**
 * The kind of kernel pseudo-filesystem `p` (an existing path) lies on, or null. Output must not go
 * there: an access check passes for root, and Node's recursive mkdir loops forever under /proc.
 */
export function pseudoFs(p: string): string | null {
  try {
    return PSEUDO.get(statfsSync(p).type) ?? null;
  } catch {
    return null;
  }
}
