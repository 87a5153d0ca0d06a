// src/cli/debug-log.ts, which the bundle has for `debug`: DEBUG's namespace
// syntax, debug's %o/%O, and DEBUG read at the first message, not at load.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const mod = fileURLToPath(new URL('../../../src/cli/debug-log.js', import.meta.url));

function stderrOf(script: string, env: Record<string, string> = {}): string[] {
  const code = `import createDebug from ${JSON.stringify(mod)};\n${script}`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8', env: { PATH: process.env.PATH, ...env } });
  assert.equal(r.status, 0, r.stderr);
  return r.stderr.split('\n').filter(Boolean).map((l) => l.replace(/^\d{4}-\d\d-\d\dT[\d:.]+Z /, ''));
}

test('DEBUG, read at the first message (set after load here): wildcards and -exclusions', () => {
  const lines = stderrOf(
    `const a = createDebug('tsrun:create'), b = createDebug('tsrun:init'), c = createDebug('other');
     process.env.DEBUG = 'tsrun:*,-tsrun:init';
     a('one %d', 1); b('two'); c('three');`,
  );
  assert.deepEqual(lines, ['tsrun:create one 1']);
});

test('enable() turns namespaces on; nothing is written without DEBUG', () => {
  assert.deepEqual(stderrOf(`createDebug('tsrun:x')('quiet')`), []);
  assert.deepEqual(stderrOf(`createDebug.enable('tsrun:*'); createDebug('tsrun:x')('loud'); console.error(process.env.DEBUG)`), ['tsrun:x loud', 'tsrun:*']);
});

test("debug's formats: %o on one line, %O as inspect has it, %s, %%, and extra arguments appended", () => {
  const lines = stderrOf(`createDebug('t')('%o|%s|%%', { a: { b: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27] } }, 'str', 'extra', 3)`, { DEBUG: 't' });
  assert.equal(lines.length, 1);
  assert.match(lines[0], /^t \{ a: \{ b: \[ 1, +2, .*27 \] \} \}\|str\|% extra 3$/);
});
