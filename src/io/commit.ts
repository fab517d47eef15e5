/**
 * Writing a run's output files as one set: all or nothing, and never damaging what the
 * user's paths point at.
 *
 *  - A regular file (or a new one) is written to a temporary file beside its real target
 *    (a symlink is followed: the link stays a link, its target gets the new content), every
 *    byte, fsync (for a `durable` set: the default); only when every file of the set is staged
 *    are they renamed into place. A run that crashes or is killed leaves the old file or the
 *    whole new one either way; the fsync is what keeps that true across an OS crash or a power
 *    cut.
 *  - A device, FIFO or socket is opened and written as the C does (the node stays what it
 *    is: /dev/null stays a device, a FIFO a FIFO); these are written after staging and
 *    before any rename, so a failure there still replaces no regular output.
 *  - A missing directory, a directory in the way, a read-only place, a full disk: an
 *    OutputError naming the flag, the user's path and the cause; temporary files are removed
 *    and every existing output is left as it was.
 */
import { closeSync, fsyncSync, lstatSync, openSync, readlinkSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

/** An output that cannot be written: names the flag, the path the user gave and the cause. Exit code 2. */
export class OutputError extends Error {
  override name = 'OutputError';
  constructor(readonly flag: string, readonly path: string, readonly code: string, readonly detail: string) {
    super(`${flag} ${path}: cannot write: ${code} (${detail})`);
  }
}

/** `data`: the file's bytes, or its parts in order (a header and an image's pixels: no copy to join them). */
export interface PlannedOutput { flag: string; path: string; data: Uint8Array | readonly Uint8Array[] }

type Target = { kind: 'file'; real: string } | { kind: 'node'; real: string };

let tmpCounter = 0;

/** Follow symlinks (dangling ones too) to the path that will really be written, and say what it is. */
function target(o: PlannedOutput): Target {
  let p = resolve(o.path);
  for (let hops = 0; hops < 40; hops++) {
    let st;
    try { st = lstatSync(p); } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw fail(o, e);
      const dir = dirname(p);
      let d;
      try { d = statSync(dir); } catch { throw new OutputError(o.flag, o.path, 'ENOENT', `no such directory ${dir}`); }
      if (!d.isDirectory()) throw new OutputError(o.flag, o.path, 'ENOTDIR', `${dir} is not a directory`);
      return { kind: 'file', real: p };
    }
    if (st.isSymbolicLink()) { p = resolve(dirname(p), readlinkSync(p)); continue; }
    if (st.isDirectory()) throw new OutputError(o.flag, o.path, 'EISDIR', p === resolve(o.path) ? 'it is a directory' : `it leads to the directory ${p}`);
    return st.isFile() ? { kind: 'file', real: p } : { kind: 'node', real: p };
  }
  throw new OutputError(o.flag, o.path, 'ELOOP', 'too many symbolic links');
}

function fail(o: PlannedOutput, e: unknown, where?: string): OutputError {
  const err = e as NodeJS.ErrnoException;
  const why = (err.message ?? String(e)).replace(/^[A-Z]+: /, '').replace(/, \w+ '.*'$/, '');
  return new OutputError(o.flag, o.path, err.code ?? 'error', where ? `${why}, ${where}` : why);
}

/** Every byte of `data` (its parts in order) to an open descriptor (short writes retried; a write that makes no progress is ENOSPC). */
function writeAll(fd: number, data: PlannedOutput['data'], path: string): void {
  const parts = Array.isArray(data) ? (data as readonly Uint8Array[]) : [data as Uint8Array];
  let total = 0;
  for (const p of parts) total += p.byteLength;
  let done = 0;
  for (const p of parts) {
    for (let off = 0; off < p.byteLength;) {
      const n = writeSync(fd, p, off, p.byteLength - off);
      if (n <= 0) throw Object.assign(new Error(`ENOSPC: no progress writing '${path}' (${done + off} of ${total} bytes)`), { code: 'ENOSPC' });
      off += n;
    }
    done += p.byteLength;
  }
}

/**
 * Write the whole set, or none of the regular files (see the module comment). `durable: false`
 * skips the fsyncs: for the engine's images, which the C writes with fopen/fwrite/fclose and no
 * fsync (about 3 ms of a 1024² run here); evidence and records stay durable.
 */
export function commitOutputs(outputs: PlannedOutput[], opts: { durable?: boolean } = {}): void {
  const durable = opts.durable ?? true;
  const plan = outputs.map((o) => ({ o, t: target(o) }));
  const staged: Array<{ tmp: string; real: string }> = [];
  try {
    for (const { o, t } of plan) {
      if (t.kind !== 'file') continue;
      const tmp = join(dirname(t.real), `.${basename(t.real)}.${process.pid}.${++tmpCounter}.tmp`);
      try {
        const fd = openSync(tmp, 'w');
        staged.push({ tmp, real: t.real });
        try { writeAll(fd, o.data, o.path); if (durable) fsyncSync(fd); } finally { closeSync(fd); }
      } catch (e) { throw fail(o, e, `writing a temporary file in ${dirname(t.real)}`); }
    }
    for (const { o, t } of plan) {
      if (t.kind !== 'node') continue;
      try {
        const fd = openSync(t.real, 'w'); // the node itself, as the C's fopen(…, "wb") does
        try { writeAll(fd, o.data, o.path); } finally { closeSync(fd); }
      } catch (e) { throw fail(o, e); }
    }
  } catch (e) {
    for (const s of staged) rmSync(s.tmp, { force: true });
    throw e;
  }
  for (const s of staged) renameSync(s.tmp, s.real);
}
