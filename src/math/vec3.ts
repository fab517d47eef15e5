/**
 * nanoBragg.c's vector routines, expression for expression.
 *
 * Vectors keep the C layout: element 0 holds the magnitude (when a routine sets it),
 * elements 1..3 hold x, y, z. Every routine takes the precision kernel so the same
 * code serves float64 and float32; `out` may alias an input (components are read
 * into locals first).
 */
import type { Precision } from './precision.js';

export type Vec = Float64Array;

export function vec(x = 0, y = 0, z = 0, mag = 0): Vec {
  const v = new Float64Array(4);
  v[0] = mag; v[1] = x; v[2] = y; v[3] = z;
  return v;
}

export function copyVec(v: Vec): Vec {
  return Float64Array.from(v);
}

/** magnitude(): sqrt(x*x+y*y+z*z), stored into v[0] and returned. */
export function magnitude(P: Precision, v: Vec): number {
  const r = P.r;
  v[0] = P.sqrt(r(r(r(v[1] * v[1]) + r(v[2] * v[2])) + r(v[3] * v[3])));
  return v[0];
}

/** unitize(): divides by the magnitude (not a multiply by 1/mag); zero vector stays zero. */
export function unitize(P: Precision, v: Vec, out: Vec): number {
  const r = P.r;
  const mag = magnitude(P, v);
  if (mag !== 0.0) {
    const x = v[1], y = v[2], z = v[3];
    out[1] = r(x / mag); out[2] = r(y / mag); out[3] = r(z / mag);
  } else {
    out[0] = 0; out[1] = 0; out[2] = 0; out[3] = 0;
  }
  return mag;
}

export function dot(P: Precision, x: Vec, y: Vec): number {
  const r = P.r;
  return r(r(r(x[1] * y[1]) + r(x[2] * y[2])) + r(x[3] * y[3]));
}

export function cross(P: Precision, x: Vec, y: Vec, z: Vec): Vec {
  const r = P.r;
  const x1 = x[1], x2 = x[2], x3 = x[3], y1 = y[1], y2 = y[2], y3 = y[3];
  z[1] = r(r(x2 * y3) - r(x3 * y2));
  z[2] = r(r(x3 * y1) - r(x1 * y3));
  z[3] = r(r(x1 * y2) - r(x2 * y1));
  z[0] = 0.0;
  return z;
}

/** vector_scale(): out = scale*v, returns (and stores) the new magnitude. */
export function vectorScale(P: Precision, v: Vec, out: Vec, scale: number): number {
  const r = P.r;
  out[1] = r(scale * v[1]); out[2] = r(scale * v[2]); out[3] = r(scale * v[3]);
  return magnitude(P, out);
}

/** vector_rescale(): out = new_magnitude/oldmag*v. */
export function vectorRescale(P: Precision, v: Vec, out: Vec, newMagnitude: number): number {
  const r = P.r;
  let oldmag = magnitude(P, v);
  if (oldmag <= 0.0) oldmag = 1.0;
  const s = r(newMagnitude / oldmag);
  out[1] = r(s * v[1]); out[2] = r(s * v[2]); out[3] = r(s * v[3]);
  return magnitude(P, out);
}

/** rotate(): about X, then Y, then Z; each skipped when its angle is 0. */
export function rotateXYZ(P: Precision, v: Vec, out: Vec, phix: number, phiy: number, phiz: number): Vec {
  const r = P.r;
  let nx = v[1], ny = v[2], nz = v[3];
  if (phix !== 0) {
    const ryy = P.cos(phix), ryz = -P.sin(phix);
    const rzy = P.sin(phix), rzz = P.cos(phix);
    const rx = nx;
    const ry = r(r(ny * ryy) + r(nz * ryz));
    const rz = r(r(ny * rzy) + r(nz * rzz));
    nx = rx; ny = ry; nz = rz;
  }
  if (phiy !== 0) {
    const rxx = P.cos(phiy), rxy = 0, rxz = P.sin(phiy);
    const rzx = -P.sin(phiy), rzy = 0, rzz = P.cos(phiy);
    const rx = r(r(r(nx * rxx) + r(ny * rxy)) + r(nz * rxz));
    const ry = ny;
    const rz = r(r(r(nx * rzx) + r(ny * rzy)) + r(nz * rzz));
    nx = rx; ny = ry; nz = rz;
  }
  if (phiz !== 0) {
    const rxx = P.cos(phiz), rxy = -P.sin(phiz);
    const ryx = P.sin(phiz), ryy = P.cos(phiz);
    const rx = r(r(nx * rxx) + r(ny * rxy));
    const ry = r(r(nx * ryx) + r(ny * ryy));
    const rz = nz;
    nx = rx; ny = ry; nz = rz;
  }
  out[1] = nx; out[2] = ny; out[3] = nz;
  return out;
}

/** rotate_axis(): Rodrigues rotation of v about a unit axis, in the C's term order. */
export function rotateAxis(P: Precision, v: Vec, out: Vec, axis: Vec, phi: number): Vec {
  const r = P.r;
  const sinphi = P.sin(phi);
  const cosphi = P.cos(phi);
  const a1 = axis[1], a2 = axis[2], a3 = axis[3], v1 = v[1], v2 = v[2], v3 = v[3];
  const d = r(r(r(r(a1 * v1) + r(a2 * v2)) + r(a3 * v3)) * r(1.0 - cosphi));
  const t1 = r(r(r(a1 * d) + r(v1 * cosphi)) + r(r(r(-a3 * v2) + r(a2 * v3)) * sinphi));
  const t2 = r(r(r(a2 * d) + r(v2 * cosphi)) + r(r(r(+a3 * v1) - r(a1 * v3)) * sinphi));
  const t3 = r(r(r(a3 * d) + r(v3 * cosphi)) + r(r(r(-a2 * v1) + r(a1 * v2)) * sinphi));
  out[1] = t1; out[2] = t2; out[3] = t3;
  return out;
}

/** rotate_umat(): out = U v with a row-major 9-element matrix at offset `o`. */
export function rotateUmat(P: Precision, v: Vec, out: Vec, umat: ArrayLike<number>, o = 0): Vec {
  const r = P.r;
  const v1 = v[1], v2 = v[2], v3 = v[3];
  out[1] = r(r(r(umat[o] * v1) + r(umat[o + 1] * v2)) + r(umat[o + 2] * v3));
  out[2] = r(r(r(umat[o + 3] * v1) + r(umat[o + 4] * v2)) + r(umat[o + 5] * v3));
  out[3] = r(r(r(umat[o + 6] * v1) + r(umat[o + 7] * v2)) + r(umat[o + 8] * v3));
  return out;
}
