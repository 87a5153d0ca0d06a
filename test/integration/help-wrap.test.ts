// `tsrun --help`: not wrapped when stdout is not a terminal (as runc), and
// wrapped at word boundaries on a terminal.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { tsrunBin } from './harness.js';

// A type tag such as [string] is its own column, right-aligned: on a narrow
// terminal yargs sets it against the description's last word.
const words = (text: string) => new Set(text.split(/\s+|(?=\[(?:string|boolean|number|array)\])/).filter(Boolean));

test('tsrun --help into a pipe: lines whole, not wrapped', () => {
  const r = spawnSync(tsrunBin, ['--help'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^An OCI runtime-spec container runtime with runc's interface\.$/m);
  assert.match(r.stdout, /^ {2}tsrun run <container-id> +create and start a container, and wait for it unless detached$/m);
});

const hasScript = spawnSync('script', ['--version']).status === 0;

test('tsrun --help on a 50-column terminal: wrapped at spaces, no word cut', { skip: !hasScript && 'needs script(1)' }, () => {
  const piped = words(spawnSync(tsrunBin, ['--help'], { encoding: 'utf8' }).stdout);
  const r = spawnSync('script', ['-qec', `stty cols 50; ${tsrunBin} --help`, '/dev/null'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.replace(/\r/g, '').split('\n');
  assert.ok(lines.every((l) => [...l].length <= 50), `a line is longer than the terminal:\n${r.stdout}`);
  const cut = [...words(r.stdout)].filter((w) => !piped.has(w));
  assert.deepEqual(cut, [], 'words cut at a line end');
});
