/**
 * How the `system` libm loads koffi (src/math/libm/system.ts): its platform's prebuilt native
 * module straight from where npm installs it (koffi's own loader spends 5–9 ms of every start in
 * Node's resolver), and koffi's loader whenever that layout is not there or its version is not
 * the koffi package's beside it. Each case in a fresh process, with the compiled module copied
 * beside a node_modules made for the case.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const REAL = join(ROOT, 'node_modules');
const platformPkg = `@koromix/koffi-${process.platform}-${process.arch}`;
const native = join(REAL, platformPkg, `${process.platform}_${process.arch}`, 'koffi.node');
const why = process.platform === 'linux' && process.arch === 'x64' ? '' : `the cases are made for linux-x64, this is ${process.platform}-${process.arch}`;
const itHere = why ? it.skip : it;
if (why) console.log(`skipping the koffi loading tests: ${why}`);

/** the compiled system.js in a fresh folder beside `modules` (what node_modules holds: name → symlink target or files) */
function probe(modules: Record<string, string | Record<string, string>>): { by: string; sin: string; detail: string } {
  const dir = mkdtempSync(join(tmpdir(), 'nbts-koffi-'));
  mkdirSync(join(dir, 'lib'));
  copyFileSync(join(ROOT, 'dist/src/math/libm/system.js'), join(dir, 'lib', 'system.js'));
  writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
  for (const [name, what] of Object.entries(modules)) {
    const at = join(dir, 'node_modules', name);
    mkdirSync(dirname(at), { recursive: true });
    if (typeof what === 'string') symlinkSync(what, at);
    else { mkdirSync(at); for (const [f, text] of Object.entries(what)) writeFileSync(join(at, f), text); }
  }
  const code = `const m = await import(${JSON.stringify(pathToFileURL(join(dir, 'lib', 'system.js')).href)});
    const l = m.loadSystemLibm(); console.log(JSON.stringify({ by: m.koffiLoadedBy, sin: l.sin(0.5).toString(), detail: l.detail }));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { cwd: dir, encoding: 'utf8', timeout: 20_000 });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout.trim());
}

describe('loading koffi', () => {
  itHere('the platform\'s native module straight from node_modules when it is there and of the package\'s version', () => {
    const got = probe({ koffi: join(REAL, 'koffi'), [platformPkg]: join(REAL, platformPkg) });
    expect(got.by).toBe('native module');
    expect(got.sin).toBe('0.479425538604203');
    expect(got.detail).toMatch(/^glibc \d+\.\d+ libm\.so\.6 via koffi \d+\.\d+\.\d+$/);
  });

  itHere('koffi\'s own loader without that layout (no platform package beside koffi): the same functions', () => {
    const got = probe({ koffi: join(REAL, 'koffi') });
    expect(got.by).toBe('koffi');
    expect(got.sin).toBe('0.479425538604203');
  });

  itHere('koffi\'s own loader when the koffi package beside it is another version than the native module', () => {
    // a koffi package that says 9.9.9 and is the real one inside
    const got = probe({
      koffi: { 'package.json': JSON.stringify({ name: 'koffi', version: '9.9.9', main: 'index.cjs' }), 'index.cjs': `module.exports = require(${JSON.stringify(join(REAL, 'koffi'))});` },
      [platformPkg]: join(REAL, platformPkg),
    });
    expect(got.by).toBe('koffi');
    expect(got.sin).toBe('0.479425538604203');
  });

  itHere('this checkout\'s build takes the native module', () => {
    expect(native).toMatch(/koffi\.node$/);
    const code = `const m = await import(${JSON.stringify(pathToFileURL(join(ROOT, 'dist/src/math/libm/system.js')).href)}); m.loadSystemLibm(); console.log(m.koffiLoadedBy);`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8', timeout: 20_000 });
    expect(r.stdout.trim(), r.stderr).toBe('native module');
  });
});
