// The config fuzz's mutations (test/integration/config-mutations.ts) are
// deterministic per (seed, index), keep the host out of reach, and show a
// minimal diff. No root needed: nothing runs.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  caseSeed, configDiff, CONTROL_EVERY, makeCase, mulberry32, MUTATIONS, raw, serializeConfig, type Cfg, type FuzzContext,
} from '../../integration/config-mutations.js';

const ctx: FuzzContext = {
  token: 'fz1x7',
  caseDir: '/tmp/fuzz/case-7',
  bundle: '/tmp/fuzz/case-7/bundle',
  rootfs: '/tmp/fuzz/case-7/rootfs',
  scripts: { ok: '/s/ok', fail: '/s/fail', sleep: '/s/sleep', noisy: '/s/noisy', nulOutput: '/s/nul', notExecutable: '/s/nx' },
  leakedFd: 20,
  victimPid: 4242,
  hostIpForward: '1',
  hostHostname: 'host',
};

// The shape of the harness' baseConfig, without building its rootfs.
function base(): Cfg {
  return {
    ociVersion: '1.2.0',
    process: { terminal: false, user: { uid: 0, gid: 0 }, args: ['true'], env: ['PATH=/bin', 'HOME=/root'], cwd: '/' },
    root: { path: '/shared/rootfs', readonly: true },
    hostname: 'tsrun-test',
    mounts: [{ destination: '/proc', type: 'proc', source: 'proc' }],
    linux: { namespaces: [{ type: 'pid' }, { type: 'mount' }, { type: 'uts' }, { type: 'ipc' }, { type: 'network' }] },
  };
}

describe('config fuzz mutations', () => {
  test('mulberry32 is deterministic and spreads over [0, 1)', () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    const xs = Array.from({ length: 1000 }, () => a());
    assert.deepEqual(xs, Array.from({ length: 1000 }, () => b()));
    assert.ok(xs.every((x) => x >= 0 && x < 1));
    assert.ok(Math.min(...xs) < 0.01 && Math.max(...xs) > 0.99);
    assert.notDeepEqual(xs.slice(0, 10), Array.from({ length: 10 }, mulberry32(43)));
    assert.notEqual(caseSeed(1, 2), caseSeed(1, 3));
    assert.notEqual(caseSeed(1, 2), caseSeed(2, 2));
  });

  test('a case is the same for the same seed and index, whatever ran before', () => {
    for (const index of [0, 1, 17, 123, 499]) {
      const first = makeCase(base(), 7, index, ctx);
      for (let i = 0; i < 5; i++) makeCase(base(), 7, i, ctx); // other cases in between
      const again = makeCase(base(), 7, index, ctx);
      assert.equal(again.text, first.text);
      assert.deepEqual(again.mutations, first.mutations);
      assert.equal(again.mode, first.mode);
      assert.equal(again.id, first.id);
    }
    const texts = new Set(Array.from({ length: 50 }, (_, i) => makeCase(base(), 7, i, ctx).text));
    assert.ok(texts.size > 45, `cases differ (${texts.size} distinct of 50)`);
    assert.notEqual(makeCase(base(), 8, 3, ctx).text, makeCase(base(), 7, 3, ctx).text);
  });

  test('the base config is not changed, and control cases carry no mutation', () => {
    const b = base();
    const copy = structuredClone(b);
    for (let i = 0; i < 100; i++) makeCase(b, 1, i, ctx);
    assert.deepEqual(b, copy);
    const control = makeCase(base(), 1, 2 * CONTROL_EVERY, ctx);
    assert.equal(control.expect, 'accept');
    assert.deepEqual(control.mutations.map((m) => m.family), ['control']);
  });

  test('500 cases draw every mutation, and each case stays away from the host', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 500; i++) {
      const c = makeCase(base(), 20261202, i, ctx);
      c.mutations.forEach((m) => seen.add(m.name));
      const cfg = c.config;
      const rootPath = cfg.root?.path;
      if (typeof rootPath === 'string' && rootPath.startsWith('/')) {
        assert.ok(rootPath.startsWith(ctx.caseDir) || rootPath.startsWith('/nonexistent/'), `case ${i}: root.path ${rootPath}`);
      }
      for (const ns of Array.isArray(cfg.linux?.namespaces) ? cfg.linux.namespaces : []) {
        if (ns && (ns.type === 'mount' || ns.type === 'uts') && typeof ns.path === 'string') assert.doesNotMatch(ns.path, /proc/, `case ${i}`);
      }
      for (const [k, v] of Object.entries(cfg.linux?.resources?.unified ?? {})) {
        if (/procs|threads/.test(k)) assert.equal(v, String(ctx.victimPid), `case ${i}: unified ${k}`);
      }
      assert.ok(c.id.startsWith(ctx.token), `case ${i}: the id keeps the token`);
      if (cfg.linux?.cgroupsPath !== undefined && typeof cfg.linux.cgroupsPath === 'string') {
        assert.ok(cfg.linux.cgroupsPath.includes(ctx.token), `case ${i}: cgroupsPath ${JSON.stringify(cfg.linux.cgroupsPath)} keeps the token`);
      }
    }
    assert.deepEqual(MUTATIONS.map((m) => m.name).filter((n) => !seen.has(n)), [], 'mutations no case drew');
  });

  test('raw tokens are written as JSON text, and parse as such', () => {
    const text = serializeConfig({ a: raw('1e400'), b: [raw('-0')], c: raw('[[[]]]'), d: 'plain' });
    assert.equal(text.replace(/\s/g, ''), '{"a":1e400,"b":[-0],"c":[[[]]],"d":"plain"}');
    assert.equal(JSON.parse(text).a, Infinity);
    assert.throws(() => raw('"x"'));
  });

  test('the diff names each changed pointer once, with short values', () => {
    const before = base();
    const after = structuredClone(before);
    after.process.cwd = 'tmp';
    after.process.env.push('NOEQ');
    delete after.hostname;
    after.linux.namespaces[0].path = '/x';
    after.process.args = ['true', ...Array.from({ length: 100 }, (_, i) => `a${i}`)];
    after.mounts[0].destination = 'x'.repeat(1000);
    assert.deepEqual(configDiff(before, after), [
      '/process/args: 100 items added, e.g. "a99"',
      '/process/env/2: (absent) -> "NOEQ"',
      '/process/cwd: "/" -> "tmp"',
      '/hostname: "tsrun-test" -> (absent)',
      `/mounts/0/destination: "/proc" -> ${JSON.stringify('x'.repeat(1000)).slice(0, 160)}… (1002 chars)`,
      '/linux/namespaces/0/path: (absent) -> "/x"',
    ]);
    assert.deepEqual(configDiff(before, structuredClone(before)), []);
  });
});
