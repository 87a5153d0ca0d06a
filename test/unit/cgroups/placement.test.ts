// exec --cgroup: runc's parsing and refusals, and which directory each
// hierarchy ends up at (on a fake cgroupfs); the clone3 target.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CgroupRecord } from '../../../src/cgroups/index.js';
import { cloneTarget, containerPlacement, leafForExec, parseSubCgroupArgs, subCgroupPlacement } from '../../../src/cgroups/placement.js';

function fakeHost(mode: 'v2' | 'hybrid', subs: string[]) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'placement-'));
  const cg = '/tsrun/c1';
  const v1 = mode === 'v2' ? [] : [
    { mount: `${root}/cpu,cpuacct`, controllers: ['cpu', 'cpuacct'] },
    { mount: `${root}/memory`, controllers: ['memory'] },
    { mount: `${root}/systemd`, controllers: ['name=systemd'] },
  ].map((h) => ({ ...h, dir: h.mount + cg }));
  const unified = { mount: mode === 'v2' ? `${root}/v2` : `${root}/unified`, dir: '' };
  unified.dir = unified.mount + cg;
  for (const d of [...v1.map((h) => h.dir), unified.dir]) {
    for (const s of ['', ...subs]) {
      fs.mkdirSync(path.join(d, s), { recursive: true });
      fs.writeFileSync(path.join(d, s, 'cgroup.procs'), '');
    }
  }
  const record: CgroupRecord = { mode, path: cg, ownedFrom: '/tsrun', v1, unified, created: [] };
  return { root, record, done: () => fs.rmSync(root, { recursive: true, force: true }) };
}

test('parseSubCgroupArgs: runc\'s forms; the last flag for a controller wins', () => {
  assert.deepEqual([...parseSubCgroupArgs(['sub'])], [['', 'sub']]);
  assert.deepEqual([...parseSubCgroupArgs(['memory,pids:a', 'cpu:b', 'pids:c'])], [['memory', 'a'], ['pids', 'c'], ['cpu', 'b']]);
  assert.throws(() => parseSubCgroupArgs(['a:b:c']), /^Error: invalid --cgroup argument: a:b:c \(use <sub-path>/);
  assert.throws(() => parseSubCgroupArgs(['memory:a', 'b']), /invalid --cgroup argument: b \(missing <controller>: prefix/);
});

test('subCgroupPlacement (hybrid): one sub-path moves every hierarchy, the unified one too', () => {
  const h = fakeHost('hybrid', ['sub']);
  try {
    const p = subCgroupPlacement(h.record, ['sub']);
    assert.deepEqual(p.v1, h.record.v1.map((x) => `${x.dir}/sub`));
    assert.equal(p.unified?.dir, `${h.record.unified!.dir}/sub`);
    // "", ".", "a/.." are the container's own cgroup
    for (const same of ['', '.', 'a/..']) assert.deepEqual(subCgroupPlacement(h.record, [same]), containerPlacement(h.record));
  } finally {
    h.done();
  }
});

test('subCgroupPlacement (hybrid): per controller; controllers of one hierarchy must agree', () => {
  const h = fakeHost('hybrid', ['sub', 'other']);
  try {
    const p = subCgroupPlacement(h.record, ['memory,cpuacct:sub']);
    assert.deepEqual(p.v1, [`${h.record.v1[0].dir}/sub`, `${h.record.v1[1].dir}/sub`, h.record.v1[2].dir]);
    assert.equal(p.unified?.dir, h.record.unified!.dir, 'per-controller paths leave the unified hierarchy alone, as runc does');
    assert.equal(subCgroupPlacement(h.record, ['name=systemd:sub']).v1[2], `${h.record.v1[2].dir}/sub`);
    assert.throws(() => subCgroupPlacement(h.record, ['cpu:sub', 'cpuacct:other']), /gives cpu and cpuacct different sub-paths \(sub, other\), but they share one hierarchy/);
    assert.throws(() => subCgroupPlacement(h.record, ['nope:sub']), /^Error: unknown controller nope in --cgroup \(the container's cgroup has: cpu, cpuacct, memory, name=systemd\)$/);
  } finally {
    h.done();
  }
});

test('subCgroupPlacement: a path leaving the container\'s cgroup, and a missing sub-cgroup, are refused (runc\'s words)', () => {
  const h = fakeHost('v2', ['sub']);
  try {
    for (const bad of ['..', '../x', 'a/../../x', '/../x']) {
      assert.throws(() => subCgroupPlacement(h.record, [bad]), new RegExp(`^Error: ${bad.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} is not a sub cgroup path: it leaves the container's cgroup /tsrun/c1`));
    }
    assert.equal(subCgroupPlacement(h.record, ['/sub']).unified?.dir, `${h.record.unified!.dir}/sub`);
    // Lexically back inside, as runc's path.Join sees it.
    assert.equal(subCgroupPlacement(h.record, ['../c1/sub']).unified?.dir, `${h.record.unified!.dir}/sub`);
    assert.throws(() => subCgroupPlacement(h.record, ['nosuch']), /cannot join the sub-cgroup .*\/tsrun\/c1\/nosuch: no such file or directory \(--cgroup nosuch names a sub-cgroup/);
    assert.throws(() => subCgroupPlacement(h.record, ['memory:sub']), /unknown controller memory in --cgroup \(on cgroup v2 there is one hierarchy/);
  } finally {
    h.done();
  }
});

test('cloneTarget: the unified directory below its mount; none with a user namespace or without a unified hierarchy', () => {
  const h = fakeHost('v2', ['sub']);
  try {
    const p = subCgroupPlacement(h.record, ['sub']);
    assert.deepEqual(cloneTarget(p, false, ''), { mount: h.record.unified!.mount, path: 'tsrun/c1/sub', configPath: '' });
    assert.equal(cloneTarget(p, true, ''), undefined);
    assert.equal(cloneTarget({ v1: ['/x'] }, false, ''), undefined);
  } finally {
    h.done();
  }
});

test('leafForExec: a v2 cgroup with controllers on for its children sends exec to the init\'s cgroup below it, and nowhere else', () => {
  const h = fakeHost('v2', ['init.scope']);
  try {
    const own = containerPlacement(h.record);
    fs.writeFileSync(path.join(h.record.unified!.dir, 'cgroup.subtree_control'), '');
    assert.deepEqual(leafForExec(own, '0::/tsrun/c1/init.scope\n'), own, 'no controllers on below: the container\'s own cgroup');
    fs.writeFileSync(path.join(h.record.unified!.dir, 'cgroup.subtree_control'), 'pids memory\n');
    assert.equal(leafForExec(own, '0::/tsrun/c1/init.scope\n').unified?.dir, `${h.record.unified!.dir}/init.scope`);
    assert.deepEqual(leafForExec(own, '0::/elsewhere\n'), own, 'an init outside the container\'s cgroup is no place for exec');
  } finally {
    h.done();
  }
});
