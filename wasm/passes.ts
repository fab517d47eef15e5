// The image passes in WebAssembly (AssemblyScript): the loops over a whole float32 image that run
// once per run (a parallel render's statistics, the rmsd pass, the SMV int and PGM images), over
// the image where the render wrote it. The memory is imported and shared: it is the image's
// buffer (src/physics/image.ts lays it out: the float image at byte 0, then room for the int and
// PGM images), so no pass copies the image. Built by `npm run build` into dist/wasm/passes.wasm.
//
// Each function is its JavaScript twin's loop (src/physics/parallel.ts statsOfRow,
// src/io/outputs.ts deviationsOfRow, intRow, pgmRow): the same IEEE operations in the same order.
// One call per row, from JavaScript.

/** the memory layout this module shares with src/physics/image.ts (PASSES_LAYOUT there): change both together */
export function layout(): i32 { return 1; }

// the running values of a pass: passSet() before its first row, passGet() after its last
let r0: f64 = 0; let r1: f64 = 0; let r2: f64 = 0; let r3: f64 = 0; let r4: f64 = 0;
export function passSet(a: f64, b: f64, c: f64, d: f64, e: f64): void { r0 = a; r1 = b; r2 = c; r3 = d; r4 = e; }
export function passGet(i: i32): f64 { return i == 0 ? r0 : i == 1 ? r1 : i == 2 ? r2 : i == 3 ? r3 : r4; }

/** statsOfRow without a mask, pixels [i0, i1): maxI, the index that set it, sum, sumsqr, sumn */
export function statsRow(i0: i32, i1: i32): void {
  let maxI = r0, at = r1, sum = r2, sumsqr = r3, sumn = r4;
  for (let i = i0; i < i1; i++) {
    const v32 = load<f32>(<usize>i << 2);
    const v = <f64>v32;
    if (v > maxI) { maxI = v; at = <f64>i; }
    sum += v;
    // Math.fround(v * v): the double product of two floats is exact, so this is the float product
    sumsqr += <f64>(v32 * v32);
    sumn += 1.0;
  }
  r0 = maxI; r1 = at; r2 = sum; r3 = sumsqr; r4 = sumn;
}

/** deviationsOfRow, pixels [i0, i1): Σ(pixel − avg)² and the count */
export function deviationsRow(i0: i32, i1: i32, avg: f64): void {
  let sq = r0, n = r1;
  for (let i = i0; i < i1; i++) {
    const t = <f64>load<f32>(<usize>i << 2) - avg;
    sq += t * t;
    n += 1.0;
  }
  r0 = sq; r1 = n;
}

/**
 * intRow, pixels [i0, i1), as u16 at byte offset `out`: four at a time (f64x2 pairs for the
 * double arithmetic), then one at a time. The clamp as min/max gives what the two tests give:
 * NaN stays NaN (0 at the end), −0 becomes +0 (both end as 0.5 → 0).
 */
export function intRow(out: usize, i0: i32, i1: i32, scale: f64, adc: f64): void {
  const vs = f64x2.splat(scale), va = f64x2.splat(adc), hi = f64x2.splat(65535.0), lo = f64x2.splat(0.0), half = f64x2.splat(0.5);
  let i = i0;
  for (; i + 4 <= i1; i += 4) {
    const v = v128.load(<usize>i << 2);
    const a = f64x2.min(f64x2.add(f64x2.mul(f64x2.promote_low_f32x4(v), vs), va), hi);
    const b = f64x2.min(f64x2.add(f64x2.mul(f64x2.promote_low_f32x4(i32x4.shuffle(v, v, 2, 3, 0, 1)), vs), va), hi);
    const fa = f32x4.demote_f64x2_zero(f64x2.add(f64x2.max(a, lo), half));
    const fb = f32x4.demote_f64x2_zero(f64x2.add(f64x2.max(b, lo), half));
    const n = i32x4.trunc_sat_f32x4_u(f32x4.floor(i32x4.shuffle(fa, fb, 0, 1, 4, 5)));
    v128.store64_lane(out + (<usize>i << 1), i16x8.narrow_i32x4_u(n, n), 0);
  }
  for (; i < i1; i++) {
    let test = <f64>load<f32>(<usize>i << 2) * scale + adc;
    if (test > 65535.0) test = 65535.0;
    if (test < 0.0) test = 0.0;
    // Math.floor(Math.fround(test + 0.5)) stored in a Uint16Array (the value is in [0, 65535.5], or NaN: 0)
    store<u16>(out + (<usize>i << 1), <u16><u32>Mathf.floor(<f32>(test + 0.5)));
  }
}

/** pgmRow, pixels [i0, i1), as bytes at byte offset `out` */
export function pgmRow(out: usize, i0: i32, i1: i32, scale: f64): void {
  for (let i = i0; i < i1; i++) {
    let t = <f64>load<f32>(<usize>i << 2) * scale;
    if (t > 255.0) t = 255.0;
    store<u8>(out + <usize>i, t > 0 ? <u8><u32>t : 0);
  }
}
