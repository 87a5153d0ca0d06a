// Unit tests for making a container's cgroup (src/cgroups/v1.ts, cgroup.ts,
// paths.ts) on a fake cgroupfs: what create records as made, that every
// cpuset level is filled whoever made it, that a failed create's undo and
// the sweep remove only what was made, and each --root's own parent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openCgroup, type CgroupRecord } from '../../../src/cgroups/index.js';
import { cgroupParentOf, placeCgroup } from '../../../src/cgroups/paths.js';
import { mkdirs } from '../../../src/cgroups/fs.js';
import type { Config } from '../../../src/spec/types.js';

function withRoot(fn: (root: string) => void): void {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-fake-cgroup-'));
  try {
    fn(root);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

function write(dir: string, files: Record<string, string>): void {
  fs.mkdirSync(dir, { recursive: true });
  for (const [f, v] of Object.entries(files)) fs.writeFileSync(path.join(dir, f), v);
}

const CPUSET_EMPTY = { 'cpuset.cpus': '', 'cpuset.mems': '', 'cgroup.clone_children': '0', 'cgroup.procs': '' };

function v1Record(mount: string, cgPath: string): CgroupRecord {
  return { mode: 'v1', path: cgPath, ownedFrom: '/tsrun', v1: [{ mount, controllers: ['cpuset'], dir: path.join(mount, cgPath) }], created: [] };
}

test('v1 cpuset (fake cgroupfs): every level down to the container\'s is filled from its parent, top-down, whoever made it', () => {
  withRoot((mount) => {
    write(mount, { 'cpuset.cpus': '0-3', 'cpuset.mems': '0' });
    // Another create has just made /tsrun/<root> and not filled it yet; the leaf too is there, empty.
    write(path.join(mount, 'tsrun'), CPUSET_EMPTY);
    write(path.join(mount, 'tsrun/r@1'), CPUSET_EMPTY);
    write(path.join(mount, 'tsrun/r@1/c1'), CPUSET_EMPTY);
    const cg = openCgroup(v1Record(mount, '/tsrun/r@1/c1'));
    assert.deepEqual(cg.create(), [], 'nothing was missing');
    for (const d of ['tsrun', 'tsrun/r@1', 'tsrun/r@1/c1']) {
      assert.equal(fs.readFileSync(path.join(mount, d, 'cpuset.cpus'), 'utf8'), '0-3', `${d} has its parent's cpus`);
      assert.equal(fs.readFileSync(path.join(mount, d, 'cpuset.mems'), 'utf8'), '0', `${d} has its parent's mems`);
    }
    assert.equal(fs.readFileSync(path.join(mount, 'tsrun/cgroup.clone_children'), 'utf8'), '0', 'clone_children only where this create made the parent');
  });
});

test('v1 cpuset (fake cgroupfs): a level already filled keeps what it has', () => {
  withRoot((mount) => {
    write(mount, { 'cpuset.cpus': '0-3', 'cpuset.mems': '0' });
    write(path.join(mount, 'tsrun'), { ...CPUSET_EMPTY, 'cpuset.cpus': '1', 'cpuset.mems': '0' });
    write(path.join(mount, 'tsrun/c1'), CPUSET_EMPTY);
    openCgroup(v1Record(mount, '/tsrun/c1')).create();
    assert.equal(fs.readFileSync(path.join(mount, 'tsrun/cpuset.cpus'), 'utf8'), '1');
    assert.equal(fs.readFileSync(path.join(mount, 'tsrun/c1/cpuset.cpus'), 'utf8'), '1', 'the leaf gets its own parent\'s, not the root\'s');
  });
});

test('mkdirs makes each missing level, parents first, and says it made only those', () => {
  withRoot((mount) => {
    const leaf = path.join(mount, 'tsrun/r@1/c1');
    assert.deepEqual(mkdirs(leaf), [path.join(mount, 'tsrun'), path.join(mount, 'tsrun/r@1'), leaf]);
    assert.ok(fs.statSync(leaf).isDirectory());
    assert.deepEqual(mkdirs(leaf), [], 'all there already');
    assert.deepEqual(mkdirs(path.join(mount, 'tsrun/r@1/c2')), [path.join(mount, 'tsrun/r@1/c2')], 'only the leaf was missing');
    fs.writeFileSync(path.join(mount, 'file'), '');
    assert.throws(() => mkdirs(path.join(mount, 'file/c3')), { code: 'ENOTDIR' });
  });
});

test('create records what it makes as it goes, parents first; missing() says beforehand what that will be', () => {
  withRoot((mount) => {
    fs.mkdirSync(path.join(mount, 'tsrun'));
    const record: CgroupRecord = { mode: 'v2', path: '/tsrun/r@1/c1', ownedFrom: '/tsrun', v1: [], unified: { mount, dir: path.join(mount, 'tsrun/r@1/c1') }, created: [] };
    const cg = openCgroup(record);
    const missing = cg.missing();
    assert.deepEqual(missing, [path.join(mount, 'tsrun/r@1'), path.join(mount, 'tsrun/r@1/c1')]);
    assert.deepEqual(cg.create(), missing);
    assert.deepEqual(record.created, missing);
    assert.deepEqual(cg.missing(), []);
  });
});

test('a failed create\'s undo removes only the directories it made; a cgroup it found, and its parents, stay', () => {
  withRoot((mount) => {
    // Found: /machine (someone's) and /machine/found; made: /machine/found/made and its child.
    fs.mkdirSync(path.join(mount, 'machine/found'), { recursive: true });
    const found: CgroupRecord = { mode: 'v2', path: '/machine/found', ownedFrom: '', v1: [], unified: { mount, dir: path.join(mount, 'machine/found') }, created: [] };
    openCgroup(found).removeCreated();
    assert.ok(fs.existsSync(path.join(mount, 'machine/found')), 'a cgroup the create found is not removed');
    const dir = path.join(mount, 'machine/found/made/c1');
    const made: CgroupRecord = { ...found, path: '/machine/found/made/c1', unified: { mount, dir }, created: [] };
    const cg = openCgroup(made);
    cg.create();
    cg.removeCreated();
    assert.ok(!fs.existsSync(path.join(mount, 'machine/found/made')), 'what it made is gone');
    assert.ok(fs.existsSync(path.join(mount, 'machine/found')), 'what it found stays');
    assert.deepEqual(made.created, []);
  });
});

test('the sweep of a create killed while making directories removes the empty ones only', () => {
  withRoot((mount) => {
    fs.mkdirSync(path.join(mount, 'tsrun/a/c1'), { recursive: true });
    fs.mkdirSync(path.join(mount, 'tsrun/busy'), { recursive: true });
    fs.writeFileSync(path.join(mount, 'tsrun/busy/cgroup.procs'), '1\n'); // rmdir refuses it, as the kernel would one with processes
    const record: CgroupRecord = { mode: 'v2', path: '/tsrun/a/c1', ownedFrom: '/tsrun', v1: [], unified: { mount, dir: path.join(mount, 'tsrun/a/c1') }, created: [] };
    openCgroup(record).removeIfEmpty([path.join(mount, 'tsrun/busy'), path.join(mount, 'tsrun/a'), path.join(mount, 'tsrun/a/c1')]);
    assert.ok(!fs.existsSync(path.join(mount, 'tsrun/a')));
    assert.ok(fs.existsSync(path.join(mount, 'tsrun/busy')));
  });
});

test('each --root has its own cgroup parent: /tsrun for the default root, /tsrun/<name>@<hash> for another', () => {
  withRoot((dir) => {
    const realDefault = path.join(dir, 'run-tsrun');
    fs.mkdirSync(realDefault);
    fs.symlinkSync(realDefault, path.join(dir, 'link'));
    assert.equal(cgroupParentOf(realDefault, realDefault), '/tsrun');
    assert.equal(cgroupParentOf(path.join(dir, 'link'), realDefault), '/tsrun', 'the real path decides');
    assert.equal(cgroupParentOf('/run/tsrun'), '/tsrun', 'the default root without --root');
    const other = cgroupParentOf(path.join(dir, 'roots/a b'), realDefault);
    assert.match(other, /^\/tsrun\/a_b@[0-9a-f]{12}$/);
    assert.notEqual(cgroupParentOf(path.join(dir, 'elsewhere/a b'), realDefault), other, 'the same last name elsewhere is another parent');
    // "@" is not allowed in an id: the parent can never be another root's /tsrun/<id>.
    assert.ok(!/^[\w+\-.]+$/.test(path.basename(other)));
    const cfg = (cgroupsPath?: string) => ({ ociVersion: '1.3.0', linux: { cgroupsPath } }) as Config;
    assert.deepEqual(placeCgroup(cfg(), 'c1', other), { path: `${other}/c1`, ownedFrom: '/tsrun' });
    assert.deepEqual(placeCgroup(cfg('pods/c1'), 'c1', other), { path: `${other}/pods/c1`, ownedFrom: '/tsrun' });
    assert.deepEqual(placeCgroup(cfg('/machine/c1'), 'c1', other), { path: '/machine/c1', ownedFrom: '' });
  });
});
