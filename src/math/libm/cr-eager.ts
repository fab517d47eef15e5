/**
 * The correctly rounded provider's code where it cannot be required on demand: an older Node
 * without require(esm), or the TypeScript sources under vitest. Its top-level await is why it is
 * a module of its own: the engine's CommonJS bundle (scripts/build-bundle.mjs) replaces this
 * module with `crEager = undefined` and requires dist/engine/cr.js when --libm cr first needs it.
 */
import type * as CrCode from './cr.js';

const onDemand = process.features.require_module === true && import.meta.url.endsWith('.js');
export const crEager: typeof CrCode | undefined = onDemand ? undefined : await import('./cr.js');
