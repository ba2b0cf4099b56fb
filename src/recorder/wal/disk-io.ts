import * as fs from 'node:fs';
import { resolve } from 'node:path';

/**
 * Every write the recorder makes to a disk goes through this module (WAL segments, the directory fsyncs,
 * status files, the load manifest, quarantine, the embedded store's staging file), so a full or failing
 * disk has one place to be simulated and every caller is written against the same failures. A test in
 * test/recorder checks that no other recorder file imports a writing function from node:fs.
 *
 * Faults are injected per thread (useDiskFaults) through shared memory, so a test holding the same
 * DiskFaults can fill the disk under a running recorder worker and free it again, deterministically.
 */

export type DiskFaultCode = 'ENOSPC' | 'EIO';
const CODES: readonly (DiskFaultCode | null)[] = [null, 'ENOSPC', 'EIO'];
const MESSAGES: Record<DiskFaultCode, string> = {
  ENOSPC: 'no space left on device',
  EIO: 'i/o error',
};
/** Int32 slots: fault code, hits, prefix length; then the path prefix (UTF-8). */
const CODE = 0;
const HITS = 1;
const PREFIX_LEN = 2;
const HEADER_BYTES = 16;
const PREFIX_BYTES = 4096;

/**
 * An injected disk fault that several threads see at once. ENOSPC fails what needs space (writes, file
 * and directory creation, fsync, as a full filesystem does) and makes the free space read 0; EIO fails
 * every operation. Scoped to paths under `under` (default: every path).
 */
export class DiskFaults {
  readonly memory: SharedArrayBuffer;
  private readonly i32: Int32Array;
  private readonly bytes: Uint8Array;

  constructor(memory = new SharedArrayBuffer(HEADER_BYTES + PREFIX_BYTES)) {
    this.memory = memory;
    this.i32 = new Int32Array(memory, 0, HEADER_BYTES / 4);
    this.bytes = new Uint8Array(memory, HEADER_BYTES);
  }

  fail(code: DiskFaultCode, under = ''): void {
    const prefix = Buffer.from(under === '' ? '' : resolve(under));
    if (prefix.length > PREFIX_BYTES) throw new Error('DiskFaults: path prefix too long');
    this.bytes.set(prefix);
    Atomics.store(this.i32, PREFIX_LEN, prefix.length);
    Atomics.store(this.i32, CODE, CODES.indexOf(code));
  }

  heal(): void {
    Atomics.store(this.i32, CODE, 0);
  }

  /** Operations the fault made fail so far. */
  get hits(): number {
    return Atomics.load(this.i32, HITS);
  }

  /** The fault that applies to `path` for an operation that needs space (`allocates`), or null. */
  applies(path: string, allocates: boolean): DiskFaultCode | null {
    const code = CODES[Atomics.load(this.i32, CODE)] ?? null;
    if (code === null || (code === 'ENOSPC' && !allocates)) return null;
    const n = Atomics.load(this.i32, PREFIX_LEN);
    if (n > 0 && !resolve(path).startsWith(Buffer.from(this.bytes.subarray(0, n)).toString())) return null;
    return code;
  }

  /** applies(), counting a hit when the operation is made to fail. */
  hit(path: string, allocates: boolean): DiskFaultCode | null {
    const code = this.applies(path, allocates);
    if (code !== null) Atomics.add(this.i32, HITS, 1);
    return code;
  }
}

let faults: DiskFaults | null = null;

/** Makes this thread's disk I/O see `f` (null: none). */
export function useDiskFaults(f: DiskFaults | null): void {
  faults = f;
}

/** An error shaped like Node's own fs errors (code, syscall, path). */
function faultError(code: DiskFaultCode, syscall: string, path: string): NodeJS.ErrnoException {
  const err: NodeJS.ErrnoException = new Error(`${code}: ${MESSAGES[code]}, ${syscall} '${path}'`);
  err.code = code;
  err.syscall = syscall;
  err.path = path;
  return err;
}

function gate(syscall: string, path: string, allocates: boolean): void {
  const code = faults?.hit(path, allocates) ?? null;
  if (code !== null) throw faultError(code, syscall, path);
}

/** Replaces a file's contents. */
export function writeFile(path: string, data: string | Uint8Array): void {
  gate('write', path, true);
  fs.writeFileSync(path, data);
}

export function appendFile(path: string, data: string | Uint8Array): void {
  gate('write', path, true);
  fs.appendFileSync(path, data);
}

export function mkdirp(path: string): void {
  gate('mkdir', path, true);
  fs.mkdirSync(path, { recursive: true });
}

/** Creates a new file (fails when it exists) and opens it for writing. */
export function createExclusive(path: string): number {
  gate('open', path, true);
  return fs.openSync(path, 'wx');
}

/** Opens an existing file for reading and writing. */
export function openForUpdate(path: string): number {
  gate('open', path, false);
  return fs.openSync(path, 'r+');
}

/** Writes `data` at byte `position`; returns the bytes written (`path` names the file in errors). */
export function write(fd: number, data: Uint8Array, path: string, position: number): number {
  gate('write', path, true);
  return fs.writeSync(fd, data, 0, data.length, position);
}

export function writev(fd: number, data: Uint8Array[], path: string, position: number): number {
  gate('write', path, true);
  return fs.writevSync(fd, data, position);
}

export function fdatasync(fd: number, path: string): void {
  gate('fdatasync', path, true);
  fs.fdatasyncSync(fd);
}

export function fsync(fd: number, path: string): void {
  gate('fsync', path, true);
  fs.fsyncSync(fd);
}

export function ftruncate(fd: number, length: number, path: string): void {
  gate('ftruncate', path, false);
  fs.ftruncateSync(fd, length);
}

/** Closes a descriptor; never throws (nothing can be done about a failed close, and the fd is gone). */
export function closeQuietly(fd: number): void {
  try {
    fs.closeSync(fd);
  } catch {
    // EBADF/EIO: the descriptor is released either way
  }
}

export function rename(from: string, to: string): void {
  gate('rename', from, false);
  fs.renameSync(from, to);
}

/** Removes a file or directory tree; a missing one is fine. */
export function remove(path: string): void {
  gate('unlink', path, false);
  fs.rmSync(path, { recursive: true, force: true });
}

/** fsync of a directory, so renames and new files in it survive a crash. */
export function syncDir(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fsync(fd, dir);
  } finally {
    fs.closeSync(fd);
  }
}

/** Capacity and free bytes of the filesystem holding `dir` (free reads 0 under an injected ENOSPC). */
export function diskSpace(dir: string): { total: number; available: number } {
  const s = fs.statfsSync(dir);
  const used = (s.blocks - s.bfree) * s.bsize;
  const total = used + s.bavail * s.bsize;
  return { total, available: faults?.applies(dir, true) != null ? 0 : s.bavail * s.bsize };
}

/** True for the errors a full or failing disk gives (as opposed to a bug). */
export function isDiskError(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return code === 'ENOSPC' || code === 'EIO' || code === 'EDQUOT' || code === 'EROFS' || code === 'EFBIG';
}
