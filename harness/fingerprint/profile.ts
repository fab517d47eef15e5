/**
 * The engine's quirk profile for a comparison: per catalogue entry, what the user asked
 * (--quirks, --quirk, --phi-carryover-mode), else what the C build's fingerprint found, else
 * the engine's default. The engine always gets the whole profile explicitly, so its command
 * line in commands.txt says exactly what it emulated.
 */
import { InputError } from '../contract.js';
import { CATALOGUE, defaultProfile, quirkById, type QuirkProfile, type QuirkState } from '../../src/quirks/catalogue.js';
import { fingerprintLine, type Fingerprint } from './run.js';

export type PhiMode = 'spec' | 'c-parity';
export type ProfileSource = 'user' | 'fingerprint' | 'default';

export interface UserQuirks { all?: QuirkState; each: Array<[string, QuirkState]>; phiMode?: PhiMode }

export interface QuirkChoice {
  profile: QuirkProfile;
  from: Record<string, ProfileSource>;
  /** C-PARITY-001 as a φ mode (the harness's mode vocabulary) */
  mode: PhiMode;
  /** the engine arguments that set the whole profile */
  args: string[];
  /** what every report says about the C build */
  line: string;
}

/** `--quirk ID=state` values and `--quirks state`, checked (exit 2 on anything unknown). */
export function parseUserQuirks(quirk: string[], quirks: string | undefined, phiMode: string | undefined): UserQuirks {
  const u: UserQuirks = { each: [] };
  if (quirks !== undefined) {
    if (quirks !== 'c' && quirks !== 'fixed') throw new InputError(`--quirks expects c or fixed, got '${quirks}'`);
    u.all = quirks;
  }
  for (const v of quirk) {
    const m = /^([^=]+)=(c|fixed)$/.exec(v);
    const q = m ? quirkById(m[1]) : undefined;
    if (!m) throw new InputError(`--quirk expects ID=c or ID=fixed, got '${v}'`);
    if (!q) throw new InputError(`--quirk: unknown catalogue entry '${m[1]}' (nanobragg-ts --list-quirks)`);
    if (!q.switchable) throw new InputError(`--quirk: ${q.id} has no switch (${q.fixed})`);
    u.each.push([q.id, m[2] as QuirkState]);
  }
  if (phiMode !== undefined) {
    if (phiMode !== 'spec' && phiMode !== 'c-parity') throw new InputError(`--phi-carryover-mode expects spec or c-parity, got '${phiMode}'`);
    const fromQuirk = u.each.find(([id]) => id === 'C-PARITY-001');
    if (fromQuirk && fromQuirk[1] !== (phiMode === 'c-parity' ? 'c' : 'fixed')) throw new InputError(`--phi-carryover-mode ${phiMode} contradicts --quirk C-PARITY-001=${fromQuirk[1]}`);
    u.phiMode = phiMode;
  }
  return u;
}

export function userSetsAnything(u: UserQuirks): boolean { return u.all !== undefined || u.each.length > 0 || u.phiMode !== undefined; }

/** The profile: the user's word per entry, else the fingerprint's decision, else the engine's default. */
export function chooseProfile(u: UserQuirks, fp: Fingerprint | null, why: string): QuirkChoice {
  const d = defaultProfile();
  const profile: QuirkProfile = {}, from: Record<string, ProfileSource> = {};
  for (const q of CATALOGUE) {
    if (!q.switchable) continue;
    const decided = fp && (fp.has.includes(q.id) || fp.fixes.includes(q.id));
    profile[q.id] = decided ? fp!.profile[q.id] : d[q.id];
    from[q.id] = decided ? 'fingerprint' : 'default';
  }
  if (u.all) for (const id of Object.keys(profile)) { profile[id] = u.all; from[id] = 'user'; }
  for (const [id, s] of u.each) { profile[id] = s; from[id] = 'user'; }
  if (u.phiMode) { profile['C-PARITY-001'] = u.phiMode === 'c-parity' ? 'c' : 'fixed'; from['C-PARITY-001'] = 'user'; }
  const mode: PhiMode = profile['C-PARITY-001'] === 'c' ? 'c-parity' : 'spec';
  const args = ['--phi-carryover-mode', mode, ...Object.keys(profile).filter((id) => id !== 'C-PARITY-001').flatMap((id) => ['--quirk', `${id}=${profile[id]}`])];
  return { profile, from, mode, args, line: fingerprintLine(fp, why) };
}

/** "C-PARITY-001=c (fingerprint), C-OVERSAMPLE-SUM=fixed (user), …": only entries not at the engine's default, or set by the user. */
export function profileSummary(c: QuirkChoice): string {
  const d = defaultProfile();
  const parts = Object.keys(c.profile).filter((id) => c.profile[id] !== d[id] || c.from[id] === 'user').map((id) => `${id}=${c.profile[id]} (${c.from[id]})`);
  return parts.length ? parts.join(', ') : 'every entry at the engine default';
}
