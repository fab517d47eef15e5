/**
 * Reading an SMV (ADSC) frame the way nanoBragg.c's GetFrame() and ValueOf() do, for -mask
 * and -img: the header is text up to HEADER_BYTES (cut at its first NUL, as C strings are);
 * a keyword's value is read after the first '=' that follows its *last* occurrence anywhere in
 * the header (so DISTANCE can find CLOSE_DISTANCE's value, as in the C); the pixels are
 * unsigned shorts read as they lie in the file: the C computes whether BYTE_ORDER needs a
 * swap and then never swaps, so on a little-endian machine every frame is read
 * little-endian. Bytes past the end of a short file read as 0.
 */
import { readFileSync } from 'node:fs';
import { FlagError } from '../config/argv.js';
import { cStrtod } from '../config/argv.js';
import { cInt } from '../math/constants.js';

export interface SmvFrame { file: string; header: string; headerSize: number; width: number; height: number; pixels: Uint16Array }

/** ValueOf(): NaN when the keyword is absent, 0 when no '=' follows it. */
export function smvValue(header: string, keyword: string): number {
  const at = header.lastIndexOf(keyword);
  if (at < 0) return NaN;
  const eq = header.indexOf('=', at + keyword.length);
  if (eq < 0) return 0.0;
  return cStrtod(header.slice(eq + 1)).value;
}

const cString = (b: Uint8Array) => { const z = b.indexOf(0); return Buffer.from(z < 0 ? b : b.subarray(0, z)).toString('latin1'); };

/** GetFrame(): null when the file cannot be opened (the C then ignores it); a FlagError for a frame it cannot read. */
export function readSmvFrame(flag: string, path: string): SmvFrame | null {
  let buf: Buffer;
  try { buf = readFileSync(path); } catch { return null; }
  if (buf.length < 512) throw new FlagError(flag, `${path}: shorter than an SMV header (${buf.length} bytes; nanoBragg.c stops with "SMV file header")`);
  let header = cString(buf.subarray(0, 512));
  if (!header.startsWith('{\nHEADER_BYT')) throw new FlagError(flag, `${path} does not look like an ADSC (SMV) frame`);
  const headerSize = cInt(smvValue(header, 'HEADER_BYTES'));
  if (headerSize !== 512) {
    if (!(headerSize > 0) || headerSize > buf.length) throw new FlagError(flag, `${path}: HEADER_BYTES=${headerSize} does not fit the file (${buf.length} bytes)`);
    header = cString(buf.subarray(0, headerSize));
  }
  let width = cInt(smvValue(header, 'SIZE1')), height = cInt(smvValue(header, 'SIZE2'));
  if (width === 0) width = height = cInt(smvValue(header, 'DETECTOR_DIMENSIONS'));
  if (!(width > 0 && height > 0)) throw new FlagError(flag, `${path}: SIZE1/SIZE2 give no pixels (${width}x${height})`);
  const pixels = new Uint16Array(width * height);
  const body = buf.subarray(headerSize, headerSize + 2 * pixels.length);
  for (let i = 0; i + 1 < body.length; i += 2) pixels[i >> 1] = body[i] | (body[i + 1] << 8);
  return { file: path, header, headerSize, width, height, pixels };
}
