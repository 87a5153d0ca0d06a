// The create bundle's code cache is made with every function compiled
// (writeCodeCache eager). It must still be one a plain node accepts: V8
// rejects a cache whose flags differ from the running node's, and --no-lazy
// is a flag.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Module, { createRequire } from 'node:module';
import { builtinsFirstRequire, CODE_CACHE_SUFFIX, requireCached, WRAPPER, writeCodeCache } from '../../../src/code-cache.js';

// Functions no load calls: only an eager cache holds their code.
const source = Array.from({ length: 40 }, (_, i) => `exports.f${i} = function (a) { const o = { a, i: ${i} }; return JSON.stringify(o).length * ${i}; };`).join('\n');

function taken(file: string): string {
  const check =
    "const { Script } = require('node:vm'); const { wrap } = require('node:module'); const fs = require('node:fs'); const f = process.argv[1];" +
    "const s = new Script(wrap(fs.readFileSync(f, 'utf8')), { filename: f, cachedData: fs.readFileSync(f + '.v8cache') });" +
    'process.stdout.write(String(!s.cachedDataRejected));';
  const r = spawnSync(process.execPath, ['-e', check, file], { encoding: 'utf8', env: {} });
  return r.stdout || r.stderr;
}

test('an eager code cache holds the functions no load calls, and a plain node takes it', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-code-cache-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const lazyFile = path.join(dir, 'lazy.cjs');
  const eagerFile = path.join(dir, 'eager.cjs');
  fs.writeFileSync(lazyFile, source);
  fs.writeFileSync(eagerFile, source);
  const lazy = writeCodeCache(lazyFile);
  const eager = writeCodeCache(eagerFile, undefined, { eager: true });
  assert.equal(fs.statSync(eagerFile + CODE_CACHE_SUFFIX).size, eager);
  assert.ok(eager > lazy * 2, `eager cache ${eager} bytes, lazy ${lazy}: the uncalled functions are not in it`);
  assert.equal(taken(eagerFile), 'true');
  // The flag is back: a cache made after the eager one fits too.
  writeCodeCache(lazyFile);
  assert.equal(taken(lazyFile), 'true');
});

test("the wrapper is node's own, so a cache checked as node wraps a file is the one tsrun loads", () => {
  assert.equal(WRAPPER[0] + 'x' + WRAPPER[1], (Module as unknown as { wrap(s: string): string }).wrap('x'));
});

test('a loaded file requires node modules without node:module, and anything else as require does, relative to itself', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-code-cache-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.mkdirSync(path.join(dir, 'sub'));
  fs.writeFileSync(path.join(dir, 'sub', 'helper.cjs'), 'module.exports = 42;');
  const file = path.join(dir, 'sub', 'main.cjs');
  fs.writeFileSync(file, "exports.fs = require('node:fs'); exports.os = require('os'); exports.helper = require('./helper.cjs'); exports.resolved = require.resolve('./helper.cjs'); exports.cached = typeof require.cache;");
  const got = requireCached(file) as Record<string, unknown>;
  assert.equal(got.fs, fs);
  assert.equal(got.os, os);
  assert.equal(got.helper, 42);
  assert.equal(got.resolved, path.join(dir, 'sub', 'helper.cjs'));
  assert.equal(got.cached, 'object');
  const req = builtinsFirstRequire(file);
  assert.equal(req('node:path'), createRequire(file)('node:path'));
  assert.throws(() => req('./missing.cjs'), { code: 'MODULE_NOT_FOUND' });
});
