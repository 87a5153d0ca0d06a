// runtime-spec config-linux.md "Control groups" on cgroup v1 (and hybrid)
// hosts, with real cgroups, as root: each linux.resources field is read back
// from the cgroup files (and, where it shows, from inside the container), and
// where runc runs the same bundle its values are the reference. Also the
// commands that work through the cgroup: pause, resume, update, ps, events,
// kill --all, and delete's cleanup. (cgroup v2: cgroups-v2.test.ts, in the VM.)
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { hostLayout } from '../src/cgroups/hierarchy.js';
import { cgroupParentOf } from '../src/cgroups/paths.js';
import { firstLine } from './cgroups-events.js';
import { makeBundle, processLives, sideBySide, skipUnlessRoot, sleep, uniqueId, type ConfigPatch } from '../test/integration/harness.js';

const layout = (() => {
  try {
    return hostLayout();
  } catch {
    return undefined;
  }
})();
const skip = skipUnlessRoot || (!layout ? 'no cgroup filesystem' : layout.mode === 'v2' ? 'a pure cgroup v2 host: see cgroups-v2.test.ts' : false);

/** The directory of a tsrun container's cgroup in the hierarchy with controller ('' for the unified one). */
function dirOf(controller: string, cgPath: string): string {
  const mount = controller === '' ? layout!.unified! : layout!.v1.find((h) => h.controllers.includes(controller))!.mount;
  return path.join(mount, cgPath);
}

/** Every hierarchy's directory for cgroup path p (v1 and unified). */
const allDirs = (p: string) => [...layout!.v1.map((h) => path.join(h.mount, p)), ...(layout!.unified ? [path.join(layout!.unified, p)] : [])];

const withResources = (resources: Record<string, unknown>, more?: ConfigPatch): ConfigPatch => (c) => {
  c.linux.resources = resources;
  more?.(c);
};
const noPidNs: ConfigPatch = (c) => (c.linux.namespaces = c.linux.namespaces.filter((n: { type: string }) => n.type !== 'pid'));
const cgroupMount: ConfigPatch = (c) =>
  c.mounts.push({ destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'] });

describe('config-linux.md "Control groups" on cgroup v1', { skip }, () => {
  const { rt, runc, cleanup } = sideBySide();
  // The test's own --root has a cgroup parent of its own (/tsrun/<name>@<hash>); the default root's is /tsrun.
  const parent = cgroupParentOf(rt.root);
  const cgFile = (controller: string, id: string, file: string) => fs.readFileSync(path.join(dirOf(controller, `${parent}/${id}`), file), 'utf8').trim();
  const used: string[] = [];
  const id = (prefix: string) => {
    const i = uniqueId(prefix);
    used.push(i);
    return i;
  };
  const absolute = `/tsrun-spec-${process.pid}`;

  after(() => {
    cleanup();
    // Nothing of ours is left under any hierarchy: not this file's containers, not its absolute paths.
    for (const i of used) for (const d of allDirs(`${parent}/${i}`)) assert.ok(!fs.existsSync(d), `cgroup ${d} was left behind`);
    for (const d of allDirs(absolute)) assert.ok(!fs.existsSync(d), `cgroup ${d} was left behind`);
  });

  /** Runs a detached container, gives its id, and deletes it after fn. */
  async function withContainer(args: string[], patch: ConfigPatch | undefined, fn: (id: string) => void | Promise<void>): Promise<void> {
    const i = id('cg');
    const r = rt.run(['run', '-d', '--bundle', makeBundle(args, patch), i]);
    assert.equal(r.code, 0, r.stderr);
    try {
      await fn(i);
    } finally {
      assert.equal(rt.run(['delete', '--force', i]).code, 0);
    }
  }

  /** create fails; nothing of the container is left, its cgroup included. */
  function refused(resources: Record<string, unknown>, message: RegExp): void {
    const i = id('refused');
    const r = rt.run(['create', '--bundle', makeBundle(['true'], withResources(resources)), i]);
    assert.equal(r.code, 1, `create should fail: ${r.stderr}`);
    assert.match(r.stderr, message);
    for (const d of allDirs(`${parent}/${i}`)) assert.ok(!fs.existsSync(d), `${d} left after a failed create`);
    assert.deepEqual(rt.ids(), []);
  }

  test('config-linux.md "Control groups": a cgroup of its own in every hierarchy (and the unified one), <the root\'s parent>/<id> by default', async () => {
    const i = id('own');
    const r = rt.run(['run', '--bundle', makeBundle(['cat', '/proc/self/cgroup']), i]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, layout!.v1.length + (layout!.unified ? 1 : 0));
    for (const l of lines) assert.ok(l.endsWith(`:${parent}/${i}`), l);
    if (runc) {
      const rr = runc.run(['run', '--bundle', makeBundle(['cat', '/proc/self/cgroup']), i]);
      assert.equal(rr.code, 0, rr.stderr);
      assert.equal(rr.stdout.trim().split('\n').length, lines.length, 'runc joins the same hierarchies');
    }
    for (const d of allDirs(`${parent}/${i}`)) assert.ok(!fs.existsSync(d), `run removed ${d}`);
  });

  test('config-linux.md "Cgroups Path": relative under the root\'s parent, absolute as given; both removed by delete', async () => {
    const rel = id('rel');
    await withContainer(['sleep', '30'], (c) => (c.linux.cgroupsPath = `nest/${rel}`), () => {
      for (const d of allDirs(`${parent}/nest/${rel}`)) assert.ok(fs.existsSync(d), d);
    });
    for (const d of allDirs(`${parent}/nest/${rel}`)) assert.ok(!fs.existsSync(d), `${d} removed`);
    await withContainer(['sleep', '30'], (c) => (c.linux.cgroupsPath = `${absolute}/c`), (i) => {
      const init = Number(rt.state(i).pid);
      const own = fs.readFileSync(`/proc/${init}/cgroup`, 'utf8');
      assert.match(own, new RegExp(`^\\d+:memory:${absolute}/c$`, 'm'));
    });
    for (const d of allDirs(absolute)) assert.ok(!fs.existsSync(d), `${d}: made by create, so removed by delete`);
  });

  test('config-linux.md "Control groups": a non-empty cgroup is refused at create', async () => {
    await withContainer(['sleep', '30'], (c) => (c.linux.cgroupsPath = `${absolute}/busy`), () => {
      const i = id('busy');
      const r = rt.run(['create', '--bundle', makeBundle(['true'], (c) => (c.linux.cgroupsPath = `${absolute}/busy`)), i]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, new RegExp(`/linux/cgroupsPath: the cgroup ${absolute}/busy already holds processes \\(\\d+\\); a container needs a cgroup of its own`));
    });
  });

  test('--systemd-cgroup on this hybrid host is refused, saying why and what to use, and leaves nothing', () => {
    const i = id('sd');
    const r = rt.run(['--systemd-cgroup', 'create', '--bundle', makeBundle(['true']), i]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /--systemd-cgroup: this host's cgroups are hybrid .*pure cgroup v2 host; use the cgroupfs driver/);
    assert.equal(rt.run(['state', i]).code, 1);
  });

  test('config-linux.md "Memory": limit, reservation, swap, swappiness, disableOOMKiller, useHierarchy (kernelTCP ignored)', async () => {
    const memory = { limit: 64 << 20, reservation: 32 << 20, swap: 96 << 20, swappiness: 10, disableOOMKiller: true, kernelTCP: 8 << 20, useHierarchy: true };
    const files = ['memory.limit_in_bytes', 'memory.soft_limit_in_bytes', 'memory.memsw.limit_in_bytes', 'memory.swappiness', 'memory.kmem.tcp.limit_in_bytes', 'memory.use_hierarchy'];
    await withContainer(['sleep', '30'], withResources({ memory }, cgroupMount), (i) => {
      // kernelTCP is ignored, as runc 1.1 ignores it: the file keeps its default (unlimited).
      assert.deepEqual(files.map((f) => cgFile('memory', i, f)), ['67108864', '33554432', '100663296', '10', '9223372036854771712', '1']);
      assert.match(cgFile('memory', i, 'memory.oom_control'), /^oom_kill_disable 1$/m);
      const inside = spawnSync(rt.bin, ['--root', rt.root, 'exec', i, 'cat', '/sys/fs/cgroup/memory/memory.limit_in_bytes'], { encoding: 'utf8' });
      assert.equal(inside.stdout.trim(), '67108864', 'the container sees its limit in its own cgroup mount');
    });
    if (runc) {
      // runc 1.1.5 ignores kernelTCP (with a warning): compare the rest.
      const ri = id('rmem');
      const { kernelTCP: _k, ...rest } = memory;
      assert.equal(runc.run(['run', '-d', '--bundle', makeBundle(['sleep', '30'], withResources({ memory: rest })), ri]).code, 0);
      const own = fs.readFileSync(`/proc/${runc.state(ri).pid}/cgroup`, 'utf8');
      const memDir = path.join(dirOf('memory', ''), /^\d+:memory:(.*)$/m.exec(own)![1]);
      const theirs = files.filter((f) => !f.includes('tcp')).map((f) => fs.readFileSync(path.join(memDir, f), 'utf8').trim());
      assert.deepEqual(theirs, ['67108864', '33554432', '100663296', '10', '1']);
      runc.run(['delete', '--force', ri]);
    }
  });

  test('config-linux.md "Memory": what this kernel cannot honour is refused, naming field and controller', () => {
    refused({ memory: { useHierarchy: false } }, /\/linux\/resources\/memory\/useHierarchy: the memory controller: Linux no longer has non-hierarchical memory accounting/);
    refused({ memory: { limit: 64 << 20, swap: 32 << 20 } }, /\/memory\/swap: the memory controller: memory\+swap \(33554432\) must be at least the memory limit/);
  });

  test('config-linux.md "Memory": a process past its limit is OOM-killed, and `events` reports the OOM', async () => {
    const i = id('oom');
    const gate = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-oom-'));
    const bundle = makeBundle(['sh', '-c', 'while [ ! -e /gate/go ]; do sleep 0.05; done; tail /dev/zero'], withResources({ memory: { limit: 32 << 20, swap: 32 << 20 } }, (c) =>
      c.mounts.push({ destination: '/gate', type: 'bind', source: gate, options: ['rbind'] })));
    assert.equal(rt.run(['run', '-d', '--bundle', bundle, i]).code, 0);
    const events = rt.spawn(['events', '--interval', '200ms', i]);
    await firstLine(events.child);
    fs.writeFileSync(path.join(gate, 'go'), '');
    const r = await events.done;
    fs.rmSync(gate, { recursive: true, force: true });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n').map((l) => JSON.parse(l)).filter((e) => e.type !== 'stats'), [{ type: 'oom', id: i }], 'one oom event, then the stream ends with the container');
    assert.match(cgFile('memory', i, 'memory.oom_control'), /^oom_kill 1$/m);
    assert.equal(rt.state(i).status, 'stopped');
    assert.equal(rt.run(['delete', i]).code, 0);
  });

  test('config-linux.md "CPU": shares, quota, period, burst, idle, realtime, cpus, mems', async () => {
    const cpu = { shares: 512, quota: 50000, period: 100000, burst: 10000, idle: 0, realtimePeriod: 1000000, realtimeRuntime: 10000, cpus: '0', mems: '0' };
    await withContainer(['sleep', '30'], withResources({ cpu }), (i) => {
      assert.deepEqual(
        ['cpu.shares', 'cpu.cfs_quota_us', 'cpu.cfs_period_us', 'cpu.cfs_burst_us', 'cpu.idle', 'cpu.rt_period_us', 'cpu.rt_runtime_us'].map((f) => cgFile('cpu', i, f)),
        ['512', '50000', '100000', '10000', '0', '1000000', '10000'],
      );
      assert.equal(cgFile('cpuset', i, 'cpuset.cpus'), '0');
      assert.equal(cgFile('cpuset', i, 'cpuset.mems'), '0');
      // The realtime budget comes from the parents, which tsrun owns and gave it.
      assert.ok(Number(fs.readFileSync(path.join(dirOf('cpu', parent), 'cpu.rt_runtime_us'), 'utf8')) >= 10000);
      const affinity = fs.readFileSync(`/proc/${rt.state(i).pid}/status`, 'utf8');
      assert.match(affinity, /^Cpus_allowed_list:\s+0$/m, 'cpuset.cpus confines the process');
    });
  });

  test('config-linux.md "CPU": a cpuset cgroup gets its parent\'s cpus and mems (else joining it fails)', async () => {
    await withContainer(['sleep', '30'], undefined, (i) => {
      assert.equal(cgFile('cpuset', i, 'cpuset.cpus'), fs.readFileSync(path.join(dirOf('cpuset', ''), 'cpuset.cpus'), 'utf8').trim());
      assert.equal(cgFile('cpuset', i, 'cpuset.mems'), fs.readFileSync(path.join(dirOf('cpuset', ''), 'cpuset.mems'), 'utf8').trim());
    });
  });

  test('config-linux.md "PIDs": limit caps the number of tasks', async () => {
    const i = id('pids');
    const r = rt.run(['run', '--bundle', makeBundle(['sh', '-c', 'for n in 1 2 3 4 5 6 7 8; do sleep 5 & done 2>&1; echo done'], withResources({ pids: { limit: 4 } })), i]);
    assert.match(r.stdout + r.stderr, /can't fork|Resource temporarily unavailable/, 'the fifth task cannot be made');
    await withContainer(['sleep', '30'], withResources({ pids: { limit: 4 } }), (c) => assert.equal(cgFile('pids', c, 'pids.max'), '4'));
  });

  test('config-linux.md "Block IO": weight (BFQ) and the four throttles; per-device BFQ weight needs a bfq device', async () => {
    const dev = fs.readFileSync('/sys/block/vda/dev', 'utf8').trim().split(':').map(Number);
    const one = (rate: number) => [{ major: dev[0], minor: dev[1], rate }];
    const blockIO = {
      weight: 300, throttleReadBpsDevice: one(1048576), throttleWriteBpsDevice: one(2097152), throttleReadIOPSDevice: one(100), throttleWriteIOPSDevice: one(200),
    };
    await withContainer(['sleep', '30'], withResources({ blockIO }), (i) => {
      assert.equal(cgFile('blkio', i, 'blkio.bfq.weight'), '300');
      const devs = `${dev[0]}:${dev[1]}`;
      assert.deepEqual(
        ['read_bps_device', 'write_bps_device', 'read_iops_device', 'write_iops_device'].map((f) => cgFile('blkio', i, `blkio.throttle.${f}`)),
        [`${devs} 1048576`, `${devs} 2097152`, `${devs} 100`, `${devs} 200`],
      );
    });
    const scheduler = fs.readFileSync('/sys/block/vda/queue/scheduler', 'utf8');
    if (!scheduler.includes('[bfq]')) {
      refused({ blockIO: { weightDevice: [{ major: dev[0], minor: dev[1], weight: 200 }] } }, /\/blockIO\/weightDevice\/0\/weight: the blkio controller: .*does not use the bfq I\/O scheduler/);
    }
    refused({ blockIO: { leafWeight: 200 } }, /\/blockIO\/leafWeight: the blkio controller: leaf weights existed only with the CFQ scheduler/);
  });

  test('config-linux.md "Huge page limits", "Network", "RDMA": refused where this host lacks the controller', () => {
    const hasV1 = (c: string) => layout!.v1.some((h) => h.controllers.includes(c));
    if (!hasV1('hugetlb')) refused({ hugepageLimits: [{ pageSize: '2MB', limit: 2 << 20 }] }, /\/hugepageLimits: the hugetlb controller: /);
    if (!hasV1('net_cls')) refused({ network: { classID: 0x100001 } }, /\/network\/classID: the net_cls controller: no cgroup v1 hierarchy on this host has the net_cls controller/);
    if (!hasV1('net_prio')) refused({ network: { priorities: [{ name: 'lo', priority: 5 }] } }, /\/network\/priorities\/0: the net_prio controller/);
    if (!hasV1('rdma')) refused({ rdma: { mlx5_1: { hcaHandles: 3 } } }, /\/rdma\/mlx5_1: the rdma controller: .*CONFIG_CGROUP_RDMA and an RDMA device/);
  });

  test('config-linux.md "Unified": on hybrid, written to the container\'s unified cgroup; a v2 controller it lacks is refused', { skip: layout?.mode === 'hybrid' ? false : 'hybrid host only' }, async () => {
    await withContainer(['sleep', '30'], withResources({ unified: { 'cgroup.max.descendants': '2' } }), (i) => {
      assert.equal(cgFile('', i, 'cgroup.max.descendants'), '2');
    });
    refused({ unified: { 'memory.high': '1000000' } }, /\/unified\/memory\.high: the memory controller: .*not available to the container's cgroup/);
  });

  test('config-linux.md "Allowed Device list": deny by default, the defaults and the config\'s rules allowed; as runc', async () => {
    // The node exists (linux.devices); whether it may be opened is the cgroup's call.
    const kmsgNode: ConfigPatch = (c) => (c.linux.devices = [{ path: '/dev/kmsg', type: 'c', major: 1, minor: 11, fileMode: 0o666 }]);
    const script = 'if (echo tsrun-test > /dev/kmsg) 2>/dev/null; then echo kmsg-written; else echo kmsg-denied; fi; echo > /dev/null && echo null-ok';
    const deny = [{ allow: false, access: 'rwm' }];
    const r1 = rt.run(['run', '--bundle', makeBundle(['sh', '-c', script], withResources({ devices: deny }, kmsgNode)), id('dev')]);
    assert.equal(r1.stdout, 'kmsg-denied\nnull-ok\n', r1.stderr);
    const allow = [...deny, { allow: true, type: 'c', major: 1, minor: 11, access: 'w' }];
    const r2 = rt.run(['run', '--bundle', makeBundle(['sh', '-c', script], withResources({ devices: allow }, kmsgNode)), id('dev')]);
    assert.equal(r2.stdout, 'kmsg-written\nnull-ok\n', r2.stderr);
    await withContainer(['sleep', '30'], withResources({ devices: allow }), (i) => {
      const ours = cgFile('devices', i, 'devices.list').split('\n');
      if (runc) {
        const ri = id('rdev');
        assert.equal(runc.run(['run', '-d', '--bundle', makeBundle(['sleep', '30'], withResources({ devices: allow })), ri]).code, 0);
        const theirs = fs.readFileSync(path.join(dirOf('devices', `/${ri}`), 'devices.list'), 'utf8').trim().split('\n');
        runc.run(['delete', '--force', ri]);
        // runc 1.1 still allows /dev/net/tun (10:200); runc 1.2 and tsrun do not.
        assert.deepEqual([...ours].sort(), theirs.filter((l) => l !== 'c 10:200 rwm').sort());
      } else {
        assert.ok(ours.includes('c 1:11 w') && ours.includes('c 1:3 rwm') && !ours.includes('a *:* rwm'));
      }
    });
  });

  test('config-linux.md "Control groups": a cgroup namespace is rooted at the container\'s cgroup; a "cgroup" mount shows it', () => {
    const r = rt.run(['run', '--bundle', makeBundle(['sh', '-c', 'cat /proc/self/cgroup; ls /sys/fs/cgroup; cat /sys/fs/cgroup/pids/pids.max'], (c) => {
      c.linux.namespaces.push({ type: 'cgroup' });
      c.linux.resources = { pids: { limit: 9 } };
      cgroupMount(c);
    }), id('cgns')]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    const cgroupLines = lines.filter((l) => /^\d+:/.test(l));
    assert.ok(cgroupLines.length > 0 && cgroupLines.every((l) => l.endsWith(':/')), `every hierarchy's root is the container's cgroup:\n${r.stdout}`);
    for (const h of layout!.v1) assert.ok(lines.includes(path.basename(h.mount)), `${h.mount} is mounted inside`);
    assert.equal(lines.at(-1), '9', 'the pids hierarchy inside is the container\'s own');
  });

  test('runc pause/resume: frozen through the freezer, "paused" in state and list; runc\'s errors', async () => {
    const gate = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-pause-'));
    try {
      const bundle = makeBundle(['sh', '-c', 'i=0; while :; do i=$((i+1)); echo $i > /out/n; sleep 0.02; done'], (c) =>
        c.mounts.push({ destination: '/out', type: 'bind', source: gate, options: ['rbind'] }));
      const i = id('pause');
      assert.equal(rt.run(['run', '-d', '--bundle', bundle, i]).code, 0);
      await sleep(200);
      assert.equal(rt.run(['pause', i]).code, 0);
      assert.equal(rt.state(i).status, 'paused');
      assert.equal(cgFile('freezer', i, 'freezer.state'), 'FROZEN');
      const list = JSON.parse(rt.run(['list', '--format', 'json']).stdout);
      assert.equal(list.find((s: { id: string }) => s.id === i).status, 'paused');
      const n = fs.readFileSync(path.join(gate, 'n'), 'utf8');
      await sleep(300);
      assert.equal(fs.readFileSync(path.join(gate, 'n'), 'utf8'), n, 'nothing runs while paused');
      const again = rt.run(['pause', i]);
      assert.deepEqual([again.code, /container not running/.test(again.stderr)], [1, true]);
      assert.equal(rt.run(['resume', i]).code, 0);
      assert.equal(rt.state(i).status, 'running');
      await sleep(300);
      assert.notEqual(fs.readFileSync(path.join(gate, 'n'), 'utf8'), n, 'it runs again');
      const twice = rt.run(['resume', i]);
      assert.deepEqual([twice.code, /container not paused/.test(twice.stderr)], [1, true]);
      // A paused container is deleted with --force: killed and thawed.
      assert.equal(rt.run(['pause', i]).code, 0);
      const pid = Number(rt.state(i).pid);
      assert.equal(rt.run(['delete', '--force', i]).code, 0);
      assert.ok(!processLives(pid));
      const gone = rt.run(['pause', i]);
      assert.match(gone.stderr, /container does not exist/);
    } finally {
      fs.rmSync(gate, { recursive: true, force: true });
    }
  });

  test('runc pause: a created container can be paused (and then reports paused, as runc)', async () => {
    const i = id('pcreated');
    assert.equal(rt.run(['create', '--bundle', makeBundle(['true']), i]).code, 0);
    assert.equal(rt.run(['pause', i]).code, 0);
    assert.equal(rt.state(i).status, 'paused');
    assert.equal(rt.run(['resume', i]).code, 0);
    assert.equal(rt.state(i).status, 'created');
    if (runc) {
      const ri = id('rpcreated');
      assert.equal(runc.run(['create', '--bundle', makeBundle(['true']), ri]).code, 0);
      assert.equal(runc.run(['pause', ri]).code, 0);
      assert.equal(runc.state(ri).status, 'paused');
      assert.equal(runc.run(['resume', ri]).code, 0);
      assert.equal(runc.state(ri).status, 'created');
      runc.run(['delete', '--force', ri]);
    }
    assert.equal(rt.run(['delete', '--force', i]).code, 0);
  });

  test('runc update: the flags change the cgroup live, and state keeps them for the next update', async () => {
    await withContainer(['sleep', '30'], withResources({ cpu: { period: 100000, quota: 20000 } }), (i) => {
      const r = rt.run(['update', '--memory', '128m', '--memory-swap', '256m', '--memory-reservation', '64M', '--cpu-share', '256',
        '--cpu-quota', '30000', '--pids-limit', '12', '--cpuset-cpus', '0', '--blkio-weight', '400', i]);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(
        [cgFile('memory', i, 'memory.limit_in_bytes'), cgFile('memory', i, 'memory.memsw.limit_in_bytes'), cgFile('memory', i, 'memory.soft_limit_in_bytes'),
          cgFile('cpu', i, 'cpu.shares'), cgFile('cpu', i, 'cpu.cfs_quota_us'), cgFile('cpu', i, 'cpu.cfs_period_us'), cgFile('pids', i, 'pids.max'),
          cgFile('cpuset', i, 'cpuset.cpus'), cgFile('blkio', i, 'blkio.bfq.weight')],
        [String(128 << 20), String(256 << 20), String(64 << 20), '256', '30000', '100000', '12', '0', '400'],
      );
      const stored = JSON.parse(fs.readFileSync(path.join(rt.root, i, 'state.json'), 'utf8')).config.linux.resources;
      assert.deepEqual(stored.cpu, { period: 100000, quota: 30000, shares: 256, cpus: '0' }, 'merged into what was there');
      assert.deepEqual(stored.memory, { limit: 128 << 20, swap: 256 << 20, reservation: 64 << 20 });
    });
  });

  test('runc update --resources FILE and -: linux.resources JSON; errors name the field', async () => {
    await withContainer(['sleep', '30'], undefined, (i) => {
      const file = path.join(rt.root, 'res.json');
      fs.writeFileSync(file, JSON.stringify({ pids: { limit: 33 }, memory: { limit: 100 << 20 } }));
      assert.equal(rt.run(['update', '--resources', file, i]).code, 0);
      assert.equal(cgFile('pids', i, 'pids.max'), '33');
      const stdin = spawnSync(rt.bin, ['--root', rt.root, 'update', '-r', '-', i], { input: JSON.stringify({ pids: { limit: 44 } }), encoding: 'utf8' });
      assert.equal(stdin.status, 0, stdin.stderr);
      assert.equal(cgFile('pids', i, 'pids.max'), '44');
      // Kernel memory is ignored (as runc's update ignores --kernel-memory): nothing is written.
      fs.writeFileSync(file, JSON.stringify({ memory: { kernel: 1 << 20 } }));
      const kernel = rt.run(['update', '-r', file, i]);
      assert.equal(kernel.code, 0, kernel.stderr);
      assert.match(kernel.stderr, /res\.json: \/memory\/kernel: kernel memory limits are ignored/);
      fs.writeFileSync(file, JSON.stringify({ memory: { limit: 4096, checkBeforeUpdate: true } }));
      const check = rt.run(['update', '-r', file, i]);
      assert.match(check.stderr, /\/memory\/limit: the memory controller: the new limit 4096 is below the current usage \d+ \(checkBeforeUpdate is set\)/);
      fs.writeFileSync(file, JSON.stringify({ pids: { limit: 'many' } }));
      assert.match(rt.run(['update', '-r', file, i]).stderr, /res\.json: \/pids\/limit: must be an integer \(found \\"many\\"\)/);
      const flag = rt.run(['update', '--memory', 'lots', i]);
      assert.match(flag.stderr, /invalid value for memory: invalid size: 'lots'/);
      assert.equal(cgFile('memory', i, 'memory.limit_in_bytes'), String(100 << 20), 'the failed updates changed nothing');
    });
  });

  test('runc update: a stopped container is "container not running" (as runc)', async () => {
    const i = id('upstop');
    assert.equal(rt.run(['run', '-d', '--bundle', makeBundle(['true']), i]).code, 0);
    await rt.waitStatus(i, 'stopped');
    const r = rt.run(['update', '--memory', '100m', i]);
    assert.deepEqual([r.code, /container not running/.test(r.stderr)], [1, true]);
    assert.equal(rt.run(['delete', i]).code, 0);
  });

  test('runc ps: ps -ef rows of the container, --format json, ps options after the id; as runc', async () => {
    await withContainer(['sh', '-c', 'sleep 1000 & sleep 1000'], undefined, (i) => {
      const json = rt.run(['ps', '--format', 'json', i]);
      const pids = JSON.parse(json.stdout) as number[];
      assert.equal(pids.length, 2);
      assert.ok(pids.includes(Number(rt.state(i).pid)));
      const table = rt.run(['ps', i]).stdout.trim().split('\n');
      assert.match(table[0], /^UID\s+PID\s+PPID\s+C\s+STIME\s+TTY\s+TIME\s+CMD$/);
      assert.equal(table.length, 3);
      const custom = rt.run(['ps', i, '-o', 'pid,comm']).stdout.trim().split('\n');
      assert.match(custom[0], /^\s*PID COMMAND$/);
      assert.deepEqual(custom.slice(1).map((l) => l.trim().split(/\s+/)[1]), ['sleep', 'sleep']);
      const noPid = rt.run(['ps', i, '-o', 'comm']);
      assert.deepEqual([noPid.code, /couldn't find PID field in ps output/.test(noPid.stderr)], [1, true]);
      if (runc) {
        const ri = id('rps');
        assert.equal(runc.run(['run', '-d', '--bundle', makeBundle(['sh', '-c', 'sleep 1000 & sleep 1000']), ri]).code, 0);
        assert.equal(runc.run(['ps', ri]).stdout.split('\n')[0], rt.run(['ps', i]).stdout.split('\n')[0]);
        assert.equal(JSON.parse(runc.run(['ps', '-f', 'json', ri]).stdout).length, 2);
        runc.run(['delete', '--force', ri]);
      }
    });
  });

  test('runc events --stats: runc\'s JSON shape, values from the cgroup', async () => {
    await withContainer(['sleep', '30'], withResources({ memory: { limit: 64 << 20 }, pids: { limit: 20 } }), (i) => {
      const r = rt.run(['events', '--stats', i]);
      assert.equal(r.code, 0, r.stderr);
      const e = JSON.parse(r.stdout);
      assert.equal(e.type, 'stats');
      assert.equal(e.id, i);
      assert.deepEqual(Object.keys(e.data), ['cpu', 'cpuset', 'memory', 'pids', 'blkio', 'hugetlb', 'intel_rdt', 'network_interfaces']);
      assert.equal(e.data.memory.usage.limit, 64 << 20);
      assert.deepEqual(e.data.pids, { current: 1, limit: 20 });
      assert.ok(e.data.cpu.usage.total > 0);
      assert.match(r.stdout, /"limit":9223372036854771712/, 'uint64 values are printed exactly');
      if (runc) {
        const ri = id('rev');
        assert.equal(runc.run(['run', '-d', '--bundle', makeBundle(['sleep', '30'], withResources({ memory: { limit: 64 << 20 }, pids: { limit: 20 } })), ri]).code, 0);
        const theirs = JSON.parse(runc.run(['events', '--stats', ri]).stdout);
        runc.run(['delete', '--force', ri]);
        const shape = (o: unknown): unknown =>
          o && typeof o === 'object' && !Array.isArray(o)
            ? Object.fromEntries(Object.entries(o).filter(([k]) => k !== 'raw').map(([k, v]) => [k, shape(v)]))
            : Array.isArray(o) ? 'array' : typeof o;
        assert.deepEqual(shape(e), shape({ ...theirs, id: i }), 'the same keys and types as runc');
      }
    });
  });

  test('runc events: stats every --interval until the container stops; a stopped container is refused', async () => {
    const i = id('evint');
    // 2 s: events must start before the container stops, also on a loaded machine.
    assert.equal(rt.run(['run', '-d', '--bundle', makeBundle(['sleep', '2']), i]).code, 0);
    const r = await rt.spawn(['events', '--interval', '300ms', i]).done;
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    assert.ok(lines.length >= 1 && lines.length <= 7, `${lines.length} stats events in ~2 s`);
    assert.ok(lines.every((l) => l.type === 'stats' && l.id === i));
    const late = rt.run(['events', i]);
    assert.deepEqual([late.code, late.stderr.includes(`container with id ${i} is not running`)], [1, true]);
    assert.match(rt.run(['events', '--interval', '0s', i]).stderr, /duration interval must be greater than 0/);
    assert.equal(rt.run(['delete', i]).code, 0);
  });

  test('runc kill --all: every process in the cgroup gets the signal (no pid namespace to do it)', async () => {
    const i = id('killall');
    assert.equal(rt.run(['run', '-d', '--bundle', makeBundle(['sh', '-c', 'sleep 1000 & sleep 1000 & wait'], noPidNs), i]).code, 0);
    await sleep(100);
    const pids = JSON.parse(rt.run(['ps', '-f', 'json', i]).stdout) as number[];
    assert.equal(pids.length, 3);
    assert.equal(rt.run(['kill', '--all', i, 'KILL']).code, 0);
    for (let n = 0; n < 100 && pids.some(processLives); n++) await sleep(20);
    assert.deepEqual(pids.filter(processLives), [], 'all three are gone');
    await rt.waitStatus(i, 'stopped');
    assert.equal(rt.run(['delete', i]).code, 0);
  });

  test('runtime.md "delete": what the init left in its cgroup is killed, and the cgroup removed', async () => {
    const i = id('leftover');
    assert.equal(rt.run(['run', '-d', '--bundle', makeBundle(['sh', '-c', 'sleep 1000 & exit 0'], noPidNs), i]).code, 0);
    await rt.waitStatus(i, 'stopped');
    const left = JSON.parse(rt.run(['ps', '-f', 'json', i]).stdout) as number[];
    assert.equal(left.length, 1, 'a sleep outlived the init');
    assert.equal(rt.run(['delete', i]).code, 0);
    for (let n = 0; n < 100 && processLives(left[0]); n++) await sleep(20);
    assert.ok(!processLives(left[0]), 'killed by delete');
    for (const d of allDirs(`${parent}/${i}`)) assert.ok(!fs.existsSync(d), `${d} removed`);
  });

  test('runc exec: the new process is born in the container\'s cgroups', async () => {
    await withContainer(['sleep', '30'], undefined, (i) => {
      const r = spawnSync(rt.bin, ['--root', rt.root, 'exec', i, 'cat', '/proc/self/cgroup'], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      const lines = r.stdout.trim().split('\n');
      assert.equal(lines.length, layout!.v1.length + (layout!.unified ? 1 : 0));
      for (const l of lines) assert.ok(l.endsWith(`:${parent}/${i}`), l);
    });
  });

  test('runtime.md "create": a create that fails after the cgroup was made leaves no cgroup', () => {
    const i = id('latefail');
    const r = rt.run(['create', '--bundle', makeBundle(['/no/such/binary'], withResources({ pids: { limit: 5 } })), i]);
    assert.equal(r.code, 1);
    for (const d of allDirs(`${parent}/${i}`)) assert.ok(!fs.existsSync(d), `${d} left after a failed create`);
  });
});
