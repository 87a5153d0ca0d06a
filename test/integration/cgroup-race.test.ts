// Creates racing on a new parent cgroup (issue 12, item 6): ten creates at
// once whose cgroups share a parent that none of them finds. Each must fill
// every cpuset level it goes through before using it (a v1 cpuset cgroup
// starts with no CPUs, and a task cannot join it: ENOSPC), whoever made that
// level; and a create racing with a delete that removes the empty parent
// must retry. Every batch gets a fresh parent, so each one races anew.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cgroupParentOf } from '../../src/cgroups/paths.js';
import { hostLayout } from '../../src/cgroups/hierarchy.js';
import { native } from '../../src/core/native.js';
import { makeBundle, Runtime, skipUnlessRoot, sleep, uniqueId } from './harness.js';

// 100 containers by default; TSRUN_RACE_BATCHES=30 runs the 300 (about 2.5 minutes here).
const BATCHES = Number(process.env.TSRUN_RACE_BATCHES ?? 10);
const AT_ONCE = 10;
const NEST = 'a/b/c/d/e';

/** How many flock requests wait on dir (the "->" lines of /proc/locks for its inode). */
function waitingOn(dir: string): number {
  const ino = fs.statSync(dir).ino;
  return fs.readFileSync('/proc/locks', 'utf8').split('\n').filter((l) => / -> FLOCK /.test(l) && l.split(/\s+/)[6]?.endsWith(`:${ino}`)).length;
}

/**
 * Runs tsrun under rt without waiting for the others; stderr goes to a file,
 * not a pipe, which a created container's init would keep open.
 */
function runAsync(rt: Runtime, args: string[], scratch: string): Promise<{ code: number; stderr: string }> {
  const errFile = fs.mkdtempSync(path.join(scratch, 'err-'));
  const err = fs.openSync(path.join(errFile, 'stderr'), 'w+');
  const child = spawn(rt.bin, ['--root', rt.root, ...args], { stdio: ['ignore', 'ignore', err] });
  fs.closeSync(err);
  return new Promise((resolve) =>
    child.on('exit', (code, signal) => {
      const stderr = fs.readFileSync(path.join(errFile, 'stderr'), 'utf8');
      fs.rmSync(errFile, { recursive: true, force: true });
      resolve({ code: code ?? 128 + (signal ? os.constants.signals[signal] : 0), stderr });
    }),
  );
}

describe('parallel creates on a new parent cgroup', { skip: skipUnlessRoot }, () => {
  const rt = new Runtime();
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-race-'));
  after(() => {
    rt.cleanup();
    fs.rmSync(scratch, { recursive: true, force: true });
  });

  test(`runtime.md "create": ${BATCHES * AT_ONCE} containers created ${AT_ONCE} at a time on new parents, while others are deleted, all succeed`, async () => {
    const layout = hostLayout();
    const mounts = [...layout.v1.map((h) => h.mount), ...(layout.unified ? [layout.unified] : [])];
    const parents = new Set<string>();
    const failures: string[] = [];
    const run = (args: string[]) => runAsync(rt, args, scratch);
    let deleting: Promise<void> = Promise.resolve();
    for (let b = 0; b < BATCHES; b++) {
      // A fresh parent for each batch, made while the last batch's deletes remove theirs (and, once empty, the root's own).
      const parent = `race-${process.pid}-${b}`;
      parents.add(parent);
      const ids = Array.from({ length: AT_ONCE }, () => uniqueId('race'));
      // Nested deep, so the parents take a while to make and fill: a wider window for the others to use one too early.
      const bundles = ids.map((id) => makeBundle(['true'], (c) => (c.linux.cgroupsPath = `${parent}/${NEST}/${id}`)));
      // The creates wait for the root's lock (each takes it to make its state directory): released
      // once all have started, they go on together instead of node's start-up apart.
      const lock = fs.openSync(rt.root, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
      native().flock(lock, true, true);
      const creating = Promise.all(ids.map((id, i) => run(['create', '--bundle', bundles[i], id])));
      for (let n = 0; n < 500 && waitingOn(rt.root) < AT_ONCE; n++) await sleep(10);
      fs.closeSync(lock);
      const [created] = await Promise.all([creating, deleting]);
      created.forEach((r, i) => r.code !== 0 && failures.push(`${ids[i]}: ${r.stderr.trim()}`));
      deleting = Promise.all(ids.map((id, i) => (created[i].code === 0 ? run(['delete', '--force', id]) : undefined))).then((rs) => {
        rs.forEach((r, i) => r && r.code !== 0 && failures.push(`delete ${ids[i]}: ${r.stderr.trim()}`));
      });
      for (const d of bundles) fs.rmSync(d, { recursive: true, force: true });
    }
    await deleting;
    assert.deepEqual(failures, [], `${failures.length} of ${BATCHES * AT_ONCE} failed`);
    assert.deepEqual(rt.ids(), []);
    const top = cgroupParentOf(rt.root);
    for (const m of mounts) for (const p of parents) assert.ok(!fs.existsSync(path.join(m, top, p)), `${path.join(m, top, p)} left behind`);
    // The root's own parent goes with its last container.
    if (top !== '/tsrun') for (const m of mounts) assert.ok(!fs.existsSync(path.join(m, top)), `${path.join(m, top)} left behind`);
  });
});
