#!/usr/bin/env node
// `npm test`: the unit tests always; as root, the integration tests and the
// spec-tests too (they run real containers). Builds nothing: run `npm install`
// (or `npm run build`) first.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');

function testFiles(dir) {
  const abs = path.join(dist, dir);
  if (!existsSync(abs)) return [];
  return readdirSync(abs, { recursive: true })
    .filter((f) => f.endsWith('.test.js'))
    .map((f) => path.join(abs, f))
    .sort();
}

const files = [...testFiles('test/unit')];
if (process.getuid() === 0) {
  files.push(...testFiles('test/integration'), ...testFiles('spec-tests'), ...testFiles('test/engines'));
} else {
  console.log('# not root: integration tests and spec-tests skipped (they run real containers)');
  files.push(...testFiles('spec-tests').filter((f) => f.includes('schema-agreement')));
}
if (files.length === 0) {
  console.error('no compiled tests under dist/: run `npm run build:ts` first');
  process.exit(1);
}
const extra = process.argv.slice(2);
const r = spawnSync(process.execPath, ['--test', '--test-concurrency=2', ...extra, ...files], { stdio: 'inherit', cwd: root });
process.exit(r.status ?? 1);
