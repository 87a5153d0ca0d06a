// runtime-spec config-linux.md "Control groups" on a pure cgroup v2 host:
// every linux.resources field, read back from the cgroup files and from
// inside the container, and the commands that act through the cgroup. It
// runs only where /sys/fs/cgroup is cgroup2: in the test VM (through
// cgroups-v2-vm.test.ts, which boots it) or on a real v2 host. Under the
// VM's emulated CPU each tsrun command takes seconds, so one long-lived
// container carries most checks, and refusals that need no container are
// checked through the library on a real cgroup.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { hostLayout } from '../src/cgroups/hierarchy.js';
import { applyResources, cgroupParentOf, hostApplyFacts, openCgroup, type CgroupRecord } from '../src/cgroups/index.js';
import { CgroupError } from '../src/cgroups/errors.js';
import { makeBundle, processLives, Runtime, skipUnlessRoot, sleep, uniqueId, type ConfigPatch } from '../test/integration/harness.js';
import { firstLine } from './cgroups-events.js';

const layout = (() => {
  try {
    return hostLayout();
  } catch {
    return undefined;
  }
})();
const skip = skipUnlessRoot || (layout?.mode !== 'v2' ? 'needs a pure cgroup v2 host (cgroups-v2-vm.test.ts runs it in the test VM)' : false);
const inVm = process.env.TSRUN_CGROUP_V2_VM === '1';
const root = layout?.unified ?? '/sys/fs/cgroup';
const controllers = () => fs.readFileSync(path.join(root, 'cgroup.subtree_control'), 'utf8').trim().split(/\s+/);

// The VM's root cgroup is the test's own: pass every controller down, as
// systemd does on a v2 host (before the tests decide what they can check).
// On a real host the root is left as it is.
if (!skip && inVm) {
  for (const c of fs.readFileSync(path.join(root, 'cgroup.controllers'), 'utf8').trim().split(/\s+/)) fs.writeFileSync(path.join(root, 'cgroup.subtree_control'), `+${c}`);
}

describe('config-linux.md "Control groups" on cgroup v2', { skip }, () => {
  const rt = new Runtime();
  // The test's own --root has a cgroup parent of its own, below /tsrun.
  const parent = cgroupParentOf(rt.root);
  const cgFile = (id: string, file: string) => fs.readFileSync(path.join(root, parent, id, file), 'utf8').trim();
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-v2-out-'));
  const used: string[] = [];
  const id = (p: string) => {
    const i = uniqueId(p);
    used.push(i);
    return i;
  };

  after(() => {
    rt.cleanup();
    fs.rmSync(out, { recursive: true, force: true });
    for (const i of used) assert.ok(!fs.existsSync(path.join(root, parent, i)), `cgroup ${parent}/${i} was left behind`);
    if (inVm) assert.ok(!fs.existsSync(path.join(root, 'tsrun')), 'our parent /tsrun is gone once empty');
  });

  const need = (...cs: string[]) => {
    const missing = cs.filter((c) => !controllers().includes(c));
    return missing.length ? `the root cgroup does not pass on ${missing.join(', ')}` : false;
  };

  // One container for the fields and the commands: made once, checked by each test below.
  const main = { id: '', pid: 0 };
  const MAIN_RESOURCES = {
    memory: { limit: 64 << 20, reservation: 32 << 20, swap: 96 << 20 },
    cpu: { shares: 2048, quota: 50000, period: 100000, burst: 1000, idle: 0, cpus: '0', mems: '0' },
    pids: { limit: 20 },
    blockIO: { weight: 500 },
    hugepageLimits: [{ pageSize: '2MB', limit: 4 << 20 }],
    unified: { 'memory.high': String(60 << 20), 'cgroup.max.descendants': '4' },
    devices: [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 241, minor: 0, access: 'rw' }],
  };
  const mainPatch: ConfigPatch = (c) => {
    c.linux.resources = MAIN_RESOURCES;
    c.linux.namespaces.push({ type: 'cgroup' });
    // 240:0 is denied, 241:0 allowed; neither has a driver, so an allowed open fails later, with ENXIO.
    c.linux.devices = [{ path: '/dev/denied', type: 'c', major: 240, minor: 0, fileMode: 0o666 }, { path: '/dev/allowed', type: 'c', major: 241, minor: 0, fileMode: 0o666 }];
    c.mounts.push({ destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'ro'] });
    c.mounts.push({ destination: '/out', type: 'bind', source: out, options: ['rbind'] });
  };
  const mainScript = [
    'cat /proc/self/cgroup > /out/cgroup',
    'cat /sys/fs/cgroup/memory.max > /out/memory.max',
    '(echo x > /dev/denied) 2> /out/denied',
    '(echo x > /dev/allowed) 2> /out/allowed',
    'sleep 1000 & sleep 1000',
  ].join('; ');

  test('config-linux.md "Control groups" v2: every field, converted as runc >= 1.3.2 and crun >= 1.23 convert it', { skip: need('memory', 'cpu', 'cpuset', 'pids', 'io', 'hugetlb') }, () => {
    main.id = id('main');
    const r = rt.run(['run', '-d', '--bundle', makeBundle(['sh', '-c', mainScript], mainPatch), main.id]);
    assert.equal(r.code, 0, r.stderr);
    main.pid = Number(rt.state(main.id).pid);
    const f = (file: string) => cgFile(main.id, file);
    assert.deepEqual([f('memory.max'), f('memory.low'), f('memory.swap.max')], [String(64 << 20), String(32 << 20), String(32 << 20)], 'swap is memory+swap minus memory');
    assert.equal(f('cpu.weight'), '174', 'shares 2048 -> weight 174 (quadratic)');
    assert.deepEqual([f('cpu.max'), f('cpu.max.burst'), f('cpu.idle'), f('cpuset.cpus'), f('cpuset.mems')], ['50000 100000', '1000', '0', '0', '0']);
    assert.equal(f('pids.max'), '20');
    const io = fs.existsSync(path.join(root, parent, main.id, 'io.bfq.weight')) ? ['io.bfq.weight', /500/] as const : ['io.weight', /^default 4950$/] as const;
    assert.match(f(io[0]), io[1], 'blkio weight 500 -> io.weight 4950 (or 500 under BFQ)');
    assert.equal(f('hugetlb.2MB.max'), String(4 << 20));
    if (fs.existsSync(path.join(root, parent, main.id, 'hugetlb.2MB.rsvd.max'))) assert.equal(f('hugetlb.2MB.rsvd.max'), String(4 << 20));
    assert.equal(f('memory.high'), String(60 << 20), 'unified keys are written as given');
    assert.equal(f('cgroup.max.descendants'), '4');
    // tsrun's parent passes its controllers on; the container's own cgroup enables none.
    assert.ok(fs.readFileSync(path.join(root, parent, 'cgroup.subtree_control'), 'utf8').includes('memory'));
    assert.equal(f('cgroup.subtree_control'), '');
  });

  test('config-linux.md "Control groups" v2: the cgroup namespace is rooted at the container\'s cgroup; the "cgroup" mount is cgroup2', { skip: need('memory') }, async () => {
    for (let n = 0; n < 100 && !fs.existsSync(path.join(out, 'allowed')); n++) await sleep(50);
    assert.equal(fs.readFileSync(path.join(out, 'cgroup'), 'utf8'), '0::/\n');
    assert.equal(fs.readFileSync(path.join(out, 'memory.max'), 'utf8').trim(), String(64 << 20));
  });

  test('config-linux.md "Allowed Device list" v2: the BPF device program refuses what the rules do not allow', { skip: need('memory') }, () => {
    assert.match(fs.readFileSync(path.join(out, 'denied'), 'utf8'), /Operation not permitted/, 'c 240:0: refused by the program');
    assert.match(fs.readFileSync(path.join(out, 'allowed'), 'utf8'), /No such device or address/, 'c 241:0: let through, then no driver');
  });

  test('runc pause/resume v2: cgroup.freeze, "paused" in state', { skip: need('memory') }, () => {
    assert.equal(rt.run(['pause', main.id]).code, 0);
    assert.equal(cgFile(main.id, 'cgroup.freeze'), '1');
    assert.match(cgFile(main.id, 'cgroup.events'), /^frozen 1$/m);
    assert.equal(rt.state(main.id).status, 'paused');
    assert.equal(rt.run(['resume', main.id]).code, 0);
    assert.match(cgFile(main.id, 'cgroup.events'), /^frozen 0$/m);
  });

  test('runc ps and events --stats v2: the cgroup\'s pids; stats from the v2 files', { skip: need('memory', 'pids') }, () => {
    const pids = JSON.parse(rt.run(['ps', '--format', 'json', main.id]).stdout) as number[];
    assert.equal(pids.length, 2);
    assert.ok(pids.includes(main.pid));
    const e = JSON.parse(rt.run(['events', '--stats', main.id]).stdout);
    assert.equal(e.type, 'stats');
    assert.equal(e.data.memory.usage.limit, 64 << 20);
    assert.deepEqual(e.data.pids, { current: 2, limit: 20 });
    assert.ok(e.data.cpu.usage.total > 0);
    assert.ok('2MB' in e.data.hugetlb);
  });

  test('runc update v2: flags converted live (shares -> weight, a lone quota keeps the period)', { skip: need('memory', 'cpu', 'pids') }, () => {
    const r = rt.run(['update', '--memory', '100m', '--cpu-share', '512', '--cpu-quota', '20000', '--pids-limit', '9', main.id]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(
      [cgFile(main.id, 'memory.max'), cgFile(main.id, 'cpu.weight'), cgFile(main.id, 'cpu.max'), cgFile(main.id, 'pids.max')],
      [String(100 << 20), '59', '20000 100000', '9'],
    );
  });

  test('config-linux.md "Memory" v2: checkBeforeUpdate refuses a limit below the usage (v2 would OOM-kill instead)', { skip: need('memory') }, () => {
    const r = spawnSync(rt.bin, ['--root', rt.root, 'update', '-r', '-', main.id], { input: JSON.stringify({ memory: { limit: 4096, checkBeforeUpdate: true } }), encoding: 'utf8' });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /stdin: \/memory\/limit: the memory controller: the new limit 4096 is below the current usage \d+ \(checkBeforeUpdate is set\)/);
    assert.equal(cgFile(main.id, 'memory.max'), String(100 << 20), 'unchanged');
  });

  test('runc exec v2: born in the container\'s cgroup', { skip: need('memory') }, () => {
    const r = spawnSync(rt.bin, ['--root', rt.root, 'exec', main.id, 'cat', '/proc/self/cgroup'], { encoding: 'utf8' });
    assert.equal(r.stdout, '0::/\n', r.stderr);
  });

  test('runc kill --all v2: the signal reaches every process in the cgroup; delete removes it', { skip: need('memory') }, async () => {
    const pids = JSON.parse(rt.run(['ps', '--format', 'json', main.id]).stdout) as number[];
    assert.equal(rt.run(['kill', '--all', main.id, 'KILL']).code, 0);
    for (let n = 0; n < 100 && pids.some(processLives); n++) await sleep(50);
    assert.deepEqual(pids.filter(processLives), []);
    assert.equal(rt.run(['delete', main.id]).code, 0);
    assert.ok(!fs.existsSync(path.join(root, parent, main.id)));
  });

  test('config-linux.md "Memory" v2: past memory.max the process is OOM-killed; events reports it from memory.events', { skip: need('memory') }, async () => {
    const i = id('oom');
    const bundle = makeBundle(['sh', '-c', 'while [ ! -e /out/oom-go ]; do sleep 0.1; done; tail /dev/zero'], (c) => {
      c.linux.resources = { memory: { limit: 32 << 20, swap: 32 << 20 } };
      c.mounts.push({ destination: '/out', type: 'bind', source: out, options: ['rbind'] });
    });
    assert.equal(rt.run(['run', '-d', '--bundle', bundle, i]).code, 0);
    const events = rt.spawn(['events', '--interval', '200ms', i]);
    await firstLine(events.child);
    fs.writeFileSync(path.join(out, 'oom-go'), '');
    const r = await events.done;
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n').map((l) => JSON.parse(l)).filter((e) => e.type !== 'stats'), [{ type: 'oom', id: i }], 'one oom event, then the stream ends');
    assert.match(cgFile(i, 'memory.events'), /^oom_kill 1$/m);
    assert.equal(rt.run(['delete', i]).code, 0);
  });

  test('config-linux.md "Control groups" v2: a refused field fails create, leaving no cgroup', () => {
    const i = id('refused');
    const r = rt.run(['create', '--bundle', makeBundle(['true'], (c) => (c.linux.resources = { cpu: { realtimeRuntime: 1000 } })), i]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /\/linux\/resources\/cpu\/realtimeRuntime: the cpu controller: cgroup v2 has no realtime CPU bandwidth/);
    assert.ok(!fs.existsSync(path.join(root, parent, i)));
  });

  test('config-linux.md v2: fields with no v2 counterpart, or needing what the host lacks, are refused on a real cgroup', { skip: need('memory', 'io', 'rdma') }, () => {
    const name = `lib-${process.pid}`;
    const record: CgroupRecord = { mode: 'v2', path: `/tsrun/${name}`, ownedFrom: '/tsrun', v1: [], unified: { mount: root, dir: path.join(root, 'tsrun', name) }, created: [] };
    const cg = openCgroup(record);
    cg.create();
    try {
      const cases: [Record<string, unknown>, string, RegExp][] = [
        [{ memory: { swappiness: 10 } }, '/memory/swappiness', /no per-cgroup swappiness/],
        [{ memory: { disableOOMKiller: true } }, '/memory/disableOOMKiller', /no switch to disable the OOM killer/],
        [{ memory: { useHierarchy: false } }, '/memory/useHierarchy', /always hierarchical/],
        [{ network: { classID: 1 } }, '/network', /exist only in cgroup v1/],
        [{ blockIO: { leafWeight: 100 } }, '/blockIO/leafWeight', /no leaf weights/],
        [{ blockIO: { throttleReadBpsDevice: [{ major: 250, minor: 7, rate: 1000 }] } }, '/blockIO/throttleReadBpsDevice/0', /cannot write "250:7 rbps=1000" to .*io\.max/],
        [{ blockIO: { weightDevice: [{ major: 250, minor: 7, weight: 500 }] } }, '/blockIO/weightDevice/0/weight', /cannot write "250:7 4950" to .*io\.weight/],
        [{ rdma: { mlx5_1: { hcaHandles: 2 } } }, '/rdma/mlx5_1', /cannot write "mlx5_1 hca_handle=2" to .*rdma\.max: .*RDMA device named "mlx5_1"/],
        [{ hugepageLimits: [{ pageSize: '4MB', limit: 1 }] }, '/hugepageLimits/0/pageSize', /no 4MB huge pages/],
        [{ unified: { 'memory.nosuch': '1' } }, '/unified/memory.nosuch', /has no file memory\.nosuch/],
      ];
      for (const [resources, field, reason] of cases) {
        assert.throws(() => applyResources(cg, resources, { create: false, ...hostApplyFacts() }), (e: Error) => {
          assert.ok(e instanceof CgroupError, `${field}: ${e.message}`);
          assert.equal(e.field, field);
          assert.match(e.message, reason);
          return true;
        });
      }
    } finally {
      cg.destroy();
    }
  });
});
