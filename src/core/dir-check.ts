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
      if (writable) {
        try {
          accessSync(q, constants.W_OK);
        } catch (e) {
          return `${where}is not writable (${(e as NodeJS.ErrnoException).code})`;
        }
      }
      return null;
    }
    if (path.dirname(q) === q) return null;
  }
}

export function statOrNull(p: string): Stats | null {
  try {
    return statSync(p);
  } catch {
    return null;
  }
}
