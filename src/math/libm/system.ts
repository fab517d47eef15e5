/**
 * The `system` provider: this machine's own C library, called through koffi (an FFI package
 * that ships prebuilt binaries in the registry). A C built on this machine calls the same
 * functions, so the engine gets the C's bits by construction.
 *
 * Loaded once, lazily; a host where it cannot be loaded raises LibmUnavailableError with the
 * reason, and the caller decides whether that is an error (asked for) or a fallback (default).
 */
import { createRequire } from 'node:module';

export class LibmUnavailableError extends Error {}

export interface SystemLibm {
  sin(x: number): number; cos(x: number): number; tan(x: number): number;
  exp(x: number): number; log(x: number): number; atan2(y: number, x: number): number;
  acos(x: number): number; pow(x: number, y: number): number; powf(x: number, y: number): number;
  /** e.g. "glibc 2.36 libm.so.6 via koffi 3.3.4" */
  detail: string;
}

let loaded: SystemLibm | undefined;
let failure: string | undefined;

/** The libraries to try, per platform: the C library's math part first. */
function candidates(): string[] {
  switch (process.platform) {
    case 'linux': return ['libm.so.6', 'libm.so'];
    case 'darwin': return ['/usr/lib/libSystem.B.dylib'];
    case 'freebsd': case 'openbsd': case 'netbsd': return ['libm.so'];
    case 'win32': return ['ucrtbase.dll', 'msvcrt.dll'];
    default: return [];
  }
}

export function loadSystemLibm(): SystemLibm {
  if (loaded) return loaded;
  if (failure) throw new LibmUnavailableError(failure);
  try {
    const require = createRequire(import.meta.url);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const koffi = require('koffi') as any;
    let lib: any, name = '';
    const tried: string[] = [];
    for (const c of candidates()) {
      try { lib = koffi.load(c); name = c; break; } catch (e) { tried.push(`${c}: ${(e as Error).message.split('\n')[0]}`); }
    }
    if (!lib) throw new Error(tried.length ? tried.join('; ') : `no C math library known for platform ${process.platform}`);
    const d1 = (f: string) => lib.func(`double ${f}(double)`) as (x: number) => number;
    const d2 = (f: string) => lib.func(`double ${f}(double, double)`) as (x: number, y: number) => number;
    const powfRaw = lib.func('float powf(float, float)') as (x: number, y: number) => number;
    let version = '';
    if (process.platform === 'linux') {
      try { version = `glibc ${(koffi.load('libc.so.6').func('const char *gnu_get_libc_version(void)') as () => string)()} `; } catch { version = 'non-glibc '; }
    }
    // koffi checks at load that its native module's version is its package.json version, and exports it:
    // no need to find and read that package.json (a resolve and a file read on every run)
    const koffiVersion = typeof koffi.version === 'string' ? koffi.version : '?';
    const lib1 = {
      sin: d1('sin'), cos: d1('cos'), tan: d1('tan'), exp: d1('exp'), log: d1('log'), acos: d1('acos'),
      atan2: d2('atan2'), pow: d2('pow'),
      // koffi converts the float arguments and result; the inputs are rounded to float first, as the C's are
      powf: (x: number, y: number) => Math.fround(powfRaw(Math.fround(x), Math.fround(y))),
      detail: `${version}${name} via koffi ${koffiVersion}`,
    };
    // a library that loads but answers nonsense is not this machine's libm
    if (lib1.sin(0.5) !== 0.479425538604203 || lib1.exp(1) !== Math.E || lib1.atan2(1, 1) * 4 !== Math.PI) {
      throw new Error(`${name} answered sin(0.5)=${lib1.sin(0.5)}, exp(1)=${lib1.exp(1)}`);
    }
    loaded = lib1;
    return loaded;
  } catch (e) {
    failure = `cannot load the C library's math functions: ${(e as Error).message.split('\n')[0]}`;
    throw new LibmUnavailableError(failure);
  }
}
