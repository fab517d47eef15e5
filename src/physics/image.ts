/**
 * A render's float image, and the loops over a whole image that run once per run: a parallel
 * render's statistics in row order, the rmsd pass, the SMV int and PGM images.
 *
 * Run once, these loops stay in V8's unoptimized tiers for a good part of the image (about
 * 80 ns a pixel in the interpreter, against 2 once optimized): on a 1024² run they took 15 ms
 * after the render. Their WebAssembly twins (wasm/passes.ts) do the same IEEE operations in the
 * same order at a few nanoseconds a pixel from the first row. They run where the image is: a
 * render's image is allocated (newImage) at byte 0 of a shared WebAssembly memory with room
 * after it for the int and PGM images, and the passes module is instantiated on that memory.
 * No pass copies the image.
 *
 * Each pass returns null where it does not apply (an image not made by newImage, a -mask for
 * the statistics, the int or PGM room already given out) or when the module is missing: the
 * caller runs its JavaScript loop, with the same result (tests/image.test.ts).
 */
import { compileWasm } from './kernel.js';

/** The interface this code and wasm/passes.ts share (its `layout()` export). Changed with either side. */
const PASSES_LAYOUT = 1;

interface PassExports {
  passSet(a: number, b: number, c: number, d: number, e: number): void;
  passGet(i: number): number;
  statsRow(i0: number, i1: number): void;
  deviationsRow(i0: number, i1: number, avg: number): void;
  intRow(out: number, i0: number, i1: number, scale: number, adc: number): void;
  pgmRow(out: number, i0: number, i1: number, scale: number): void;
}

/** The region of an image a pass covers: rows s0…s1, columns f0…f1 (inclusive), rows `fpixels` wide. */
export interface Span { fpixels: number; f0: number; f1: number; s0: number; s1: number }

const abort = () => { throw new Error('wasm image pass aborted'); };

let passesModule: WebAssembly.Module | null | undefined;
/** why the passes run in JavaScript in this process (null: they do not) */
export let passesUnavailable: string | null = null;

function passesMod(): WebAssembly.Module | null {
  if (passesModule !== undefined) return passesModule;
  const got = compileWasm('passes.wasm', PASSES_LAYOUT, { env: { abort, memory: new WebAssembly.Memory({ initial: 0, maximum: 1, shared: true }) } });
  if (typeof got === 'string') { passesUnavailable = got; passesModule = null; } else passesModule = got;
  return passesModule;
}

/** an image made by newImage: its passes instance, pixel count and the byte offsets of its int and PGM rooms */
interface Home { ex: PassExports; n: number; intsAt: number; pgmAt: number; intsGiven: boolean; pgmGiven: boolean }
const homes = new WeakMap<ArrayBufferLike, Home>();

/**
 * A zeroed float image of `n` pixels for a render, on a SharedArrayBuffer (render workers write
 * into it): a shared WebAssembly memory with the passes instantiated on it, or, without the
 * module, a plain one (the passes then run in JavaScript).
 */
export function newImage(n: number): Float32Array {
  const mod = passesMod();
  const intsAt = (4 * n + 7) & ~7, pgmAt = (intsAt + 2 * n + 7) & ~7;
  const pages = Math.max(1, Math.ceil((pgmAt + n) / 65536));
  if (mod && pages <= 65536) {
    let memory: WebAssembly.Memory | null = null;
    // a memory V8 cannot reserve (address space, many images alive in one process): a plain buffer, the JavaScript loops
    try { memory = new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true }); } catch (e) { if (!(e instanceof RangeError)) throw e; }
    if (memory) {
      const ex = new WebAssembly.Instance(mod, { env: { abort, memory } }).exports as unknown as PassExports;
      homes.set(memory.buffer, { ex, n, intsAt, pgmAt, intsGiven: false, pgmGiven: false });
      return new Float32Array(memory.buffer, 0, n);
    }
  }
  return new Float32Array(new SharedArrayBuffer(4 * n));
}

/** The one WARNING line of a run whose passes ran in JavaScript because their module is not usable, or null. */
export function passesFallbackWarning(): string | null {
  return passesUnavailable === null ? null : `WARNING: the image passes' WebAssembly module is unavailable (${passesUnavailable}); computed in JavaScript: the same numbers, slower`;
}

function homeOf(image: Float32Array): Home | null {
  const h = homes.get(image.buffer);
  return h && image.byteOffset === 0 && image.length === h.n ? h : null;
}

/**
 * The statistics of parallel.ts, row by row in WebAssembly: `row(i0, i1)` takes pixels [i0, i1)
 * in order, `values()` gives maxI, the index that set it (−1: none), sum, sumsqr, sumn. Null
 * with a mask (the JavaScript loop skips masked pixels) or for an image not made by newImage.
 */
export function statsRows(image: Float32Array, mask: Uint16Array | null): { row: (i0: number, i1: number) => void; values: () => number[] } | null {
  const h = mask === null ? homeOf(image) : null;
  if (!h) return null;
  const ex = h.ex;
  ex.passSet(0, -1, 0, 0, 0);
  return { row: (i0, i1) => ex.statsRow(i0, i1), values: () => [0, 1, 2, 3, 4].map((i) => ex.passGet(i)) };
}

/** Σ(pixel − avg)² and the count over the span in row order (outputs.ts deviationsOfRow). */
export function deviationsPass(image: Float32Array, s: Span, avg: number): [number, number] | null {
  const h = homeOf(image);
  if (!h) return null;
  h.ex.passSet(0, 0, 0, 0, 0);
  for (let r = s.s0; r <= s.s1; r++) h.ex.deviationsRow(r * s.fpixels + s.f0, r * s.fpixels + s.f1 + 1, avg);
  return [h.ex.passGet(0), h.ex.passGet(1)];
}

/**
 * The int image (outputs.ts intRow over the span, 0 elsewhere) in the image's int room, which is
 * given out once: a later int image of the same image is made in JavaScript (null here), so an
 * int image handed out is never written again.
 */
export function intPass(image: Float32Array, s: Span, scale: number, adc: number): Uint16Array | null {
  const h = homeOf(image);
  if (!h || h.intsGiven) return null;
  h.intsGiven = true;
  for (let r = s.s0; r <= s.s1; r++) h.ex.intRow(h.intsAt, r * s.fpixels + s.f0, r * s.fpixels + s.f1 + 1, scale, adc);
  return new Uint16Array(image.buffer, h.intsAt, h.n);
}

/** The PGM image's pixels (outputs.ts pgmRow over the span, 0 elsewhere), in the PGM room: given out once, as intPass. */
export function pgmPass(image: Float32Array, s: Span, scale: number): Uint8Array | null {
  const h = homeOf(image);
  if (!h || h.pgmGiven) return null;
  h.pgmGiven = true;
  for (let r = s.s0; r <= s.s1; r++) h.ex.pgmRow(h.pgmAt, r * s.fpixels + s.f0, r * s.fpixels + s.f1 + 1, scale);
  return new Uint8Array(image.buffer, h.pgmAt, h.n);
}
