/**
 * The C's random numbers, bit for bit: Numerical Recipes ran1 (one shuffle table shared
 * by every stream, as the C's statics are), the mosaic/misset rotation matrices built from
 * it with their float-typed angle, umat2misset, and the float-typed poidev/gaussdev/gammln.
 */
import type { Libm } from './libm/index.js';

const f = Math.fround;

const IA = 16807, IM = 2147483647, AM = 1.0 / IM, IQ = 127773, IR = 2836, NTAB = 32;
const NDIV = 1 + Math.trunc((IM - 1) / NTAB);
const RNMX = 1.0 - 1.2e-7;

/** One seed cell (the C's `long idum`), owned by its stream. */
export interface Seed { value: number }

/** ran1's static state; one instance per simulated C process. */
export class NrRandom {
  /** the math functions the C's deviates and rotations call (the run's provider) */
  constructor(readonly libm: Libm) {}
  private iy = 0;
  private readonly iv = new Array<number>(NTAB).fill(0);
  // poidev / gaussdev statics
  private oldm = f(-1.0);
  private g = 0; private sq = 0; private alxm = 0;
  private iset = 0; private gset = 0;

  /** ran1(): a float in (0,1). */
  ran1(idum: Seed): number {
    let k: number;
    if (idum.value <= 0 || !this.iy) {
      if (-idum.value < 1) idum.value = 1;
      else idum.value = -idum.value;
      for (let j = NTAB + 7; j >= 0; j--) {
        k = Math.trunc(idum.value / IQ);
        idum.value = IA * (idum.value - k * IQ) - IR * k;
        if (idum.value < 0) idum.value += IM;
        if (j < NTAB) this.iv[j] = idum.value;
      }
      this.iy = this.iv[0];
    }
    k = Math.trunc(idum.value / IQ);
    idum.value = IA * (idum.value - k * IQ) - IR * k;
    if (idum.value < 0) idum.value += IM;
    const j = Math.trunc(this.iy / NDIV);
    this.iy = this.iv[j];
    this.iv[j] = idum.value;
    const temp = f(AM * this.iy);
    if (temp > RNMX) return f(RNMX);
    return temp;
  }

  /** gaussdev(): polar Box-Muller in float, with the C's static spare deviate. */
  gaussdev(idum: Seed): number {
    if (this.iset === 0) {
      let v1: number, v2: number, rsq: number;
      do {
        v1 = f(2.0 * this.ran1(idum) - 1.0);
        v2 = f(2.0 * this.ran1(idum) - 1.0);
        rsq = f(f(v1 * v1) + f(v2 * v2));
      } while (rsq >= 1.0 || rsq === 0);
      const fac = f(Math.sqrt(-2.0 * this.libm.log(rsq) / rsq));
      this.gset = f(v1 * fac);
      this.iset = 1;
      return f(v2 * fac);
    }
    this.iset = 0;
    return this.gset;
  }

  /** poidev(): Poisson deviate of mean xm (float arithmetic as in the C). */
  poidev(xmIn: number, idum: Seed): number {
    const xm = f(xmIn);
    let em: number, t: number, y: number;
    if (xm > 1.0e6) {
      return f(xm + Math.sqrt(xm) * this.gaussdev(idum));
    }
    if (xm < 12.0) {
      if (xm !== this.oldm) {
        this.oldm = xm;
        this.g = f(this.libm.exp(-xm));
      }
      em = -1;
      t = 1.0;
      do {
        em = f(em + 1);
        t = f(t * this.ran1(idum));
      } while (t > this.g);
    } else {
      if (xm !== this.oldm) {
        this.oldm = xm;
        this.sq = f(Math.sqrt(2.0 * xm));
        this.alxm = f(this.libm.log(xm));
        this.g = f(f(xm * this.alxm) - gammln(f(xm + 1.0), this.libm));
      }
      do {
        do {
          y = f(this.libm.tan(Math.PI * this.ran1(idum)));
          em = f(f(this.sq * y) + xm);
        } while (em < 0.0);
        em = f(Math.floor(em));
        t = f(0.9 * (1.0 + f(y * y)) * this.libm.exp(f(f(f(em * this.alxm) - gammln(f(em + 1.0), this.libm)) - this.g)));
      } while (this.ran1(idum) > t);
    }
    return em;
  }
}

/** gammln(): Lanczos, float in and out, double inside. */
export function gammln(xx: number, libm: Libm): number {
  const cof = [76.18009172947146, -86.50532032941677, 24.01409824083091,
    -1.231739572450155, 0.1208650973866179e-2, -0.5395239384953e-5];
  let x: number, y: number;
  y = x = f(xx);
  let tmp = x + 5.5;
  tmp -= (x + 0.5) * libm.log(tmp);
  let ser = 1.000000000190015;
  for (let j = 0; j <= 5; ++j) ser += cof[j] / ++y;
  return f(-tmp + libm.log(2.5066282746310005 * ser / x));
}

/**
 * mosaic_rotation_umat(): a random rotation within a spherical cap of `mosaicity` radians.
 * `mosaicity` is a C float parameter and `rot` is computed in float (powf), then widened.
 */
export function mosaicRotationUmat(rng: NrRandom, mosaicity: number, umat: Float64Array, o: number, seed: Seed): void {
  const r1 = 2.0 * rng.ran1(seed) - 1.0;
  const r2 = 2.0 * rng.ran1(seed) - 1.0;
  const r3 = 2.0 * rng.ran1(seed) - 1.0;
  const xyrad = Math.sqrt(1.0 - r2 * r2);
  const L = rng.libm;
  const rot = f(f(mosaicity) * L.powf(1.0 - r3 * r3, 1.0 / 3.0));
  const v1 = xyrad * L.sin(Math.PI * r1);
  const v2 = xyrad * L.cos(Math.PI * r1);
  const v3 = r2;
  const t1 = L.cos(rot);
  const t2 = 1.0 - t1;
  const t3 = v1 * v1;
  const t6 = t2 * v1;
  const t7 = t6 * v2;
  const t8 = L.sin(rot);
  const t9 = t8 * v3;
  const t11 = t6 * v3;
  const t12 = t8 * v2;
  const t15 = v2 * v2;
  const t19 = t2 * v2 * v3;
  const t20 = t8 * v1;
  const t24 = v3 * v3;
  umat[o + 0] = t1 + t2 * t3;
  umat[o + 1] = t7 - t9;
  umat[o + 2] = t11 + t12;
  umat[o + 3] = t7 + t9;
  umat[o + 4] = t1 + t2 * t15;
  umat[o + 5] = t19 - t20;
  umat[o + 6] = t11 - t12;
  umat[o + 7] = t19 + t20;
  umat[o + 8] = t1 + t2 * t24;
}

/** umat2misset(): rotation matrix to the X, Y, Z missetting angles (radians). */
export function umat2misset(umat: ArrayLike<number>, libm: Libm): [number, number, number] {
  let uxx = umat[0], uxy = umat[1], uxz = umat[2];
  let uyx = umat[3], uyy = umat[4], uyz = umat[5];
  let uzx = umat[6], uzy = umat[7], uzz = umat[8];
  let m: number;
  let mx = Math.sqrt(uxx * uxx + uxy * uxy + uxz * uxz);
  let my = Math.sqrt(uyx * uyx + uyy * uyy + uyz * uyz);
  let mz = Math.sqrt(uzx * uzx + uzy * uzy + uzz * uzz);
  if (mx > 0) { uxx /= mx; uxy /= mx; uxz /= mx; }
  if (my > 0) { uyx /= my; uyy /= my; uyz /= my; }
  if (mz > 0) { uzx /= mz; uzy /= mz; uzz /= mz; }
  if (mx >= 0 && my <= 0 && mz <= 0) { uyx = 0; uyy = 1; uyz = 0; uzx = 0; uzy = 0; uzz = 1; }
  if (mx <= 0 && my >= 0 && mz <= 0) { uxx = 1; uxy = 0; uxz = 0; uzx = 0; uzy = 0; uzz = 1; }
  if (mx <= 0 && my <= 0 && mz >= 0) { uxx = 1; uxy = 0; uxz = 0; uyx = 0; uyy = 1; uyz = 0; }
  for (let pass = 0; pass < 2; pass++) {
    let xcyX = uxy * uyz - uxz * uyy, xcyY = uxz * uyx - uxx * uyz, xcyZ = uxx * uyy - uxy * uyx;
    m = Math.sqrt(xcyX * xcyX + xcyY * xcyY + xcyZ * xcyZ);
    if (m > 0) { xcyX /= m; xcyY /= m; xcyZ /= m; }
    let yczX = uyy * uzz - uyz * uzy, yczY = uyz * uzx - uyx * uzz, yczZ = uyx * uzy - uyy * uzx;
    m = Math.sqrt(yczX * yczX + yczY * yczY + yczZ * yczZ);
    if (m > 0) { yczX /= m; yczY /= m; yczZ /= m; }
    let zcxX = uzy * uxz - uzz * uxy, zcxY = uzz * uxx - uzx * uxz, zcxZ = uzx * uxy - uzy * uxx;
    m = Math.sqrt(zcxX * zcxX + zcxY * zcxY + zcxZ * zcxZ);
    if (m > 0) { zcxX /= m; zcxY /= m; zcxZ /= m; }
    if (mx <= 0) { uxx = yczX; uxy = yczY; uxz = yczZ; }
    if (my <= 0) { uyx = zcxX; uyy = zcxY; uyz = zcxZ; }
    if (mz <= 0) { uzx = xcyX; uzy = xcyY; uzz = xcyZ; }
  }
  mx = Math.sqrt(uxx * uxx + uxy * uxy + uxz * uxz);
  my = Math.sqrt(uyx * uyx + uyy * uyy + uyz * uyz);
  mz = Math.sqrt(uzx * uzx + uzy * uzy + uzz * uzz);
  if (mx > 0) { uxx /= mx; uxy /= mx; uxz /= mx; }
  if (my > 0) { uyx /= my; uyy /= my; uyz /= my; }
  if (mz > 0) { uzx /= mz; uzy /= mz; uzz /= mz; }
  if (uzx * uzx < 1.0) {
    return [libm.atan2(uzy, uzz), libm.atan2(-uzx, Math.sqrt(uzy * uzy + uzz * uzz)), libm.atan2(uyx, uxx)];
  }
  return [libm.atan2(1, 1) * 4, libm.atan2(1, 1) * 2, libm.atan2(uxy, -uyy)];
}
