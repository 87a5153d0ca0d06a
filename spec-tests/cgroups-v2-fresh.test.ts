// runtime-spec config-linux.md "Control groups" on a pure cgroup v2 host whose
// root enables no controller (no systemd: Alpine/OpenRC, WSL,
// docker-in-docker, a minimal VM). As runc and crun do, tsrun enables every
// controller of the root in each ancestor's cgroup.subtree_control, the
// root's included: a host-wide change it makes on purpose, which the checks
// at the end expect. It runs only in the test VM, from a fresh boot
// (cgroups-v2-fresh-vm.test.ts), since it needs the root as the kernel made it.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { cgroupParentOf } from '../src/cgroups/paths.js';
import { makeBundle, Runtime, skipUnlessRoot, uniqueId } from '../test/integration/harness.js';

const root = '/sys/fs/cgroup';
const inFreshVm = process.env.TSRUN_CGROUP_V2_FRESH_VM === '1';
const skip = skipUnlessRoot || (inFreshVm ? false : 'runs only in the test VM, from a fresh boot (cgroups-v2-fresh-vm.test.ts)');
const words = (file: string) => fs.readFileSync(file, 'utf8').trim().split(/\s+/).filter(Boolean);

describe('config-linux.md "Control groups" v2, from a root that enables nothing', { skip }, () => {
  const rt = new Runtime();
  const parent = cgroupParentOf(rt.root);
  const all = skip ? [] : words(path.join(root, 'cgroup.controllers'));

  after(() => {
    rt.cleanup();
    // Nothing of tsrun's is left: no /tsrun/<name>@<hash>, and no /tsrun (it made it, and it is empty).
    assert.ok(!fs.existsSync(path.join(root, parent)), `${parent} is left`);
    assert.ok(!fs.existsSync(path.join(root, 'tsrun')), '/tsrun is left');
    // What stays on purpose: the root passes on every controller it has (runc's way).
    assert.deepEqual(words(path.join(root, 'cgroup.subtree_control')).sort(), [...all].sort());
  });

  test('config-linux.md "Control groups": the root enables nothing at boot', () => {
    assert.deepEqual(words(path.join(root, 'cgroup.subtree_control')), []);
    for (const c of ['cpu', 'memory', 'pids']) assert.ok(all.includes(c), `the kernel has ${c}`);
  });

  test('config-linux.md "Memory", "CPU", "pids": create enables the controllers; the limits are in force; events --stats has data', () => {
    const id = uniqueId('fresh');
    const resources = { memory: { limit: 64 << 20 }, cpu: { quota: 50000, period: 100000 }, pids: { limit: 5 } };
    const r = rt.run(['run', '-d', '--bundle', makeBundle(['sh', '-c', 'sleep 1000 & sleep 1000'], (c) => (c.linux.resources = resources)), id], { timeout: 120_000 });
    assert.equal(r.code, 0, r.stderr);
    try {
      assert.deepEqual(words(path.join(root, 'cgroup.subtree_control')).sort(), [...all].sort(), 'the root passes on every controller, not only those needed');
      assert.deepEqual(words(path.join(root, 'tsrun', 'cgroup.subtree_control')).sort(), [...all].sort());
      const dir = path.join(root, parent, id);
      const f = (file: string) => fs.readFileSync(path.join(dir, file), 'utf8').trim();
      assert.deepEqual([f('memory.max'), f('cpu.max'), f('pids.max')], [String(64 << 20), '50000 100000', '5']);
      // pids.max is in force: 2 processes run, 5 allowed, so forking 4 more fails. The sleeps that do start
      // do not hold exec's stdout and stderr, or this would wait for them (100 s) to read both to the end.
      const forks = rt.run(['exec', id, 'sh', '-c', 'for i in 1 2 3 4; do sleep 100 >/dev/null 2>&1 & done; echo done'], { timeout: 120_000 });
      assert.match(forks.stderr, /can't fork/);
      const e = JSON.parse(rt.run(['events', '--stats', id], { timeout: 120_000 }).stdout);
      assert.equal(e.type, 'stats');
      assert.equal(e.data.memory.usage.limit, 64 << 20);
      assert.ok(e.data.memory.usage.usage > 0, 'memory usage');
      assert.ok(e.data.cpu.usage.total > 0, 'cpu usage');
      assert.equal(e.data.pids.limit, 5);
      assert.ok(e.data.pids.current >= 2, 'pids');
    } finally {
      assert.equal(rt.run(['delete', '--force', id], { timeout: 120_000 }).code, 0);
    }
    assert.ok(!fs.existsSync(path.join(root, parent)), 'the per-root parent goes with the last container');
  });

  test('config-linux.md "Control groups": a parent that holds processes cannot pass controllers on; create says so and leaves nothing', async () => {
    const busy = path.join(root, `busy-${process.pid}`);
    fs.mkdirSync(busy);
    const sleeper = spawn('sleep', ['1000'], { stdio: 'ignore' });
    try {
      fs.writeFileSync(path.join(busy, 'cgroup.procs'), String(sleeper.pid));
      const id = uniqueId('busy');
      const bundle = makeBundle(['true'], (c) => {
        c.linux.cgroupsPath = `/${path.basename(busy)}/${id}`;
        c.linux.resources = { memory: { limit: 64 << 20 } };
      });
      const r = rt.run(['create', '--bundle', bundle, id], { timeout: 120_000 });
      assert.equal(r.code, 1);
      assert.match(r.stderr, /\/linux\/resources\/memory: .*\+memory\\?" cannot be enabled in \/sys\/fs\/cgroup\/busy-\d+\/cgroup\.subtree_control: \/sys\/fs\/cgroup\/busy-\d+ holds processes.*no internal processes\\?" rule/);
      assert.ok(!fs.existsSync(path.join(busy, id)), 'the cgroup create made is removed');
      assert.deepEqual(words(path.join(busy, 'cgroup.subtree_control')), []);
    } finally {
      sleeper.kill('SIGKILL');
      await new Promise((r) => sleeper.once('exit', r));
      fs.rmdirSync(busy);
    }
  });
});
