import { accessSync, constants, type Stats, statSync } from 'node:fs';
import path from 'node:path';
import { pseudoFs } from './pseudo-fs.ts';

/**
 * Why `dir` cannot be used as a folder to write into, or null: it is a directory, or can be
 * created under its nearest existing ancestor, which is a directory on a real filesystem (and
 * writable, with `writable`). The phrase follows the folder's name: "<dir> <phrase>".
 */
export function dirProblem(dir: string, writable: boolean): string | null {
  const p = path.resolve(dir);
  for (let q = p; ; q = path.dirname(q)) {
    const st = statOrNull(q);
    if (st !== null) {
      const where = q === p ? '' : `cannot be created: ${q} `;
      if (!st.isDirectory()) return `${where}is not a directory`;
      const fs = pseudoFs(q);
      if (fs !== null) return `is on the kernel's ${fs} filesystem, not for files`;
      const denied = writable ? notWritable(q) : null;
      return denied === null ? null : `${where}${denied}`;
    }
    if (path.dirname(q) === q) return null;
  }
}

/**
 * Why the existing path `p` cannot be written, or null: on a kernel pseudo-filesystem, or denied
 * to this process. The phrase follows the path's name.
 */
export function writeProblem(p: string): string | null {
  const fs = pseudoFs(p);
  return fs !== null ? `is on the kernel's ${fs} filesystem, not for files` : notWritable(p);
}

function notWritable(p: string): string | null {
  try {
    accessSync(p, constants.W_OK);
    return null;
  } catch (e) {
    return `is not writable (${(e as NodeJS.ErrnoException).code})`;
  }
}

export function statOrNull(p: string): Stats | null {
  try {
    return statSync(p);
  } catch {
    return null;
  }
}
