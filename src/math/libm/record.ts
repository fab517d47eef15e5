/**
 * Recording a run's math calls, for the harness's libm diagnosis: each call of the run's
 * provider while recording is on prints one line,
 *
 *   TRACE_TS_LIBM fn=sin x=3fe0a2b13cc6f495 y=3febc5beb1f2b926 where=φ step 3
 *
 * (arguments and result as IEEE 754 bits; `x2` is a second argument). The instrumented C
 * prints the same for its own calls (TRACE_C_LIBM), so a harness can pair the two sides'
 * calls by function and argument bits and see whether the same argument gave different bits.
 * Recording is on during set-up and while a traced pixel renders; at `limit` lines it stops
 * and says so (a cut log can never prove anything).
 */
import { hex64, type Libm } from './index.js';

export class LibmRecorder {
  /** record calls now? (set-up: yes; rendering: only inside a traced pixel) */
  on = true;
  /** where the engine is, for the reader: set by the caller at the places it calls from */
  where = 'set-up';
  private count = 0;
  private truncated = false;
  constructor(public sink: (line: string) => void, readonly limit = 200_000) {}

  private put(fn: string, x: number, x2: number | null, y: number): void {
    if (this.count >= this.limit) {
      if (!this.truncated) { this.truncated = true; this.sink(`TRACE_TS_LIBM_TRUNCATED after=${this.limit}`); }
      return;
    }
    ++this.count;
    this.sink(`TRACE_TS_LIBM fn=${fn} x=${hex64(x)}${x2 === null ? '' : ` x2=${hex64(x2)}`} y=${hex64(y)} where=${this.where}`);
  }

  /** The provider, recording each call while `on`. */
  wrap(L: Libm): Libm {
    const one = (fn: string, g: (x: number) => number) => (x: number) => { const y = g(x); if (this.on) this.put(fn, x, null, y); return y; };
    const two = (fn: string, g: (x: number, z: number) => number) => (x: number, z: number) => { const y = g(x, z); if (this.on) this.put(fn, x, z, y); return y; };
    return Object.freeze({
      name: L.name, detail: L.detail,
      sin: one('sin', L.sin), cos: one('cos', L.cos), tan: one('tan', L.tan), exp: one('exp', L.exp), log: one('log', L.log), acos: one('acos', L.acos),
      atan2: two('atan2', L.atan2), pow: two('pow', L.pow),
      // the C's powf takes and returns floats: its line shows them (rounded to float, widened to double)
      powf: (x: number, z: number) => { const y = L.powf(x, z); if (this.on) this.put('powf', Math.fround(x), Math.fround(z), y); return y; },
    });
  }
}
