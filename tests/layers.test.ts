/**
 * Lower layers never import from the command-line layer: physics, I/O, configuration and the
 * harness take nothing from src/cli/ (which holds only the nanobragg-ts command itself).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((e) => { const p = join(dir, e); return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : []; });
}

describe('layers', () => {
  it('nothing outside src/cli/ imports from it', () => {
    const offenders: string[] = [];
    for (const f of [...files('src'), ...files('harness'), ...files('bench')]) {
      if (relative('src/cli', f).split('/')[0] !== '..') continue; // src/cli itself
      for (const m of readFileSync(f, 'utf8').matchAll(/from '([^']+)'/g)) if (/(^|\/)cli\//.test(m[1])) offenders.push(`${f}: ${m[1]}`);
    }
    expect(offenders).toEqual([]);
  });
  it('src/cli/ holds only the command', () => {
    expect(readdirSync('src/cli').sort()).toEqual(['main.ts']);
  });
});
