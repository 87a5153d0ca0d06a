// Unit tests for the cgroup v1 code (src/cgroups/v1.ts, cgroup.ts, stats.ts)
// on a fake cgroupfs: temp dirs laid out like v1 hierarchies, each cgroup a
// directory holding the files the kernel would put there.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { applyResources, finishCreate, openCgroup, type CgroupRecord } from '../../../src/cgroups/index.js';
import { statsJson, statsV1 } from '../../../src/cgroups/stats.js';

const FACTS = { kernel: [6, 18] as [number, number], hugepageSizes: ['2MB'] };

const FILES: Record<string, Record<string, string>> = {
  memory: {
    'memory.limit_in_bytes': '9223372036854771712', 'memory.memsw.limit_in_bytes': '9223372036854771712', 'memory.usage_in_bytes': '4096',
    'memory.max_usage_in_bytes': '8192', 'memory.failcnt': '0', 'memory.memsw.usage_in_bytes': '4096', 'memory.memsw.max_usage_in_bytes': '8192',
    'memory.memsw.failcnt': '0', 'memory.kmem.limit_in_bytes': '9223372036854771712', 'memory.kmem.usage_in_bytes': '0', 'memory.kmem.failcnt': '0',
    'memory.kmem.tcp.limit_in_bytes': '9223372036854771712', 'memory.kmem.tcp.failcnt': '0', 'memory.stat': 'rss 100\ncache 20\n',
    'memory.oom_control': 'oom_kill_disable 0\nunder_oom 0\noom_kill 0\n', 'memory.soft_limit_in_bytes': '',
  },
  'cpu,cpuacct': {
    'cpu.shares': '1024', 'cpu.cfs_quota_us': '-1', 'cpu.cfs_period_us': '100000', 'cpu.stat': 'nr_periods 2\nnr_throttled 0\nthrottled_time 0\n',
    'cpuacct.usage': '3000', 'cpuacct.usage_percpu': '1000 2000 \n', 'cpuacct.usage_all': 'cpu user system\n0 400 600\n1 0 2000\n',
    'cpuacct.stat': 'user 2\nsystem 3\n',
  },
  freezer: { 'freezer.state': 'THAWED' },
  pids: { 'pids.max': 'max', 'pids.current': '3' },
  devices: { 'devices.allow': '', 'devices.deny': '' },
};

function withFake(fn: (record: CgroupRecord, root: string) => void): void {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-fake-cgroup1-'));
  try {
    const v1 = Object.keys(FILES).map((name) => {
      const mount = path.join(root, name);
      const dir = path.join(mount, 'tsrun/c1');
      fs.mkdirSync(dir, { recursive: true });
      for (const [f, v] of Object.entries(FILES[name])) fs.writeFileSync(path.join(dir, f), v);
      fs.writeFileSync(path.join(dir, 'cgroup.procs'), '');
      return { mount, controllers: name.split(','), dir };
    });
    fn({ mode: 'v1', path: '/tsrun/c1', ownedFrom: '/tsrun', v1, created: [] }, root);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

const read = (record: CgroupRecord, controller: string, f: string) =>
  fs.readFileSync(path.join(record.v1.find((h) => h.controllers.includes(controller))!.dir, f), 'utf8');

test('v1 (fake cgroupfs): apply writes each controller\'s files in its own hierarchy; co-mounted cpu,cpuacct is one', () => {
  withFake((record) => {
    const cg = openCgroup(record, { attachDeviceProgram: () => assert.fail('v1 has no device program') });
    applyResources(cg, { memory: { limit: 1 << 20, reservation: 1 << 19 }, cpu: { shares: 512, quota: 20000 }, pids: { limit: 8 } }, { create: true, ...FACTS });
    assert.equal(read(record, 'memory', 'memory.limit_in_bytes'), String(1 << 20));
    assert.equal(read(record, 'memory', 'memory.soft_limit_in_bytes'), String(1 << 19));
    assert.equal(read(record, 'cpu', 'cpu.shares'), '512');
    assert.equal(read(record, 'cpuacct', 'cpu.cfs_quota_us'), '20000', 'cpu and cpuacct share a directory');
    assert.equal(read(record, 'pids', 'pids.max'), 'max', 'pids.max waits until stage 0 has exited');
    finishCreate(cg);
    assert.equal(read(record, 'pids', 'pids.max'), '8');
    // The device rules are the last write of each file here (a real kernel keeps them all).
    assert.equal(read(record, 'devices', 'devices.deny'), 'a');
    assert.equal(read(record, 'devices', 'devices.allow'), 'c 5:2 rwm');
  });
});

test('v1 (fake cgroupfs): cpu.shares is read back, so a value the kernel changed is caught', () => {
  withFake((record) => {
    const cg = openCgroup(record);
    // A file that takes the write but reads back something else, as a kernel that clamps the value does.
    const file = path.join(record.v1.find((h) => h.controllers.includes('cpu'))!.dir, 'cpu.shares');
    fs.rmSync(file);
    fs.symlinkSync('/dev/null', file);
    assert.throws(() => applyResources(cg, { cpu: { shares: 1 << 20 } }, { create: false, ...FACTS }),
      /\/cpu\/shares: the cpu controller: the kernel set cpu\.shares to , not 1048576: the value is out of its range/);
  });
});

test('v1 (fake cgroupfs): addProcess joins every hierarchy; freeze and thaw through freezer.state', () => {
  withFake((record) => {
    const cg = openCgroup(record);
    cg.addProcess(4242);
    for (const h of record.v1) assert.equal(fs.readFileSync(path.join(h.dir, 'cgroup.procs'), 'utf8'), '4242');
    assert.deepEqual(cg.pids(), [4242]);
    assert.equal(cg.isFrozen(), false);
    cg.freeze();
    assert.equal(read(record, 'freezer', 'freezer.state'), 'FROZEN');
    assert.equal(cg.isFrozen(), true);
    cg.thaw();
    assert.equal(cg.isFrozen(), false);
  });
});

test('v1 (fake cgroupfs): stats in runc\'s shape; uint64 limits printed exactly', () => {
  withFake((record) => {
    const s = statsV1(record);
    assert.deepEqual(s.cpu, {
      usage: { total: 3000, percpu: [1000, 2000], percpu_kernel: [600, 2000], percpu_user: [400, 0], kernel: 30000000, user: 20000000 },
      throttling: { periods: 2 },
    });
    assert.deepEqual(s.memory.usage, { limit: 9223372036854771712n, usage: 4096, max: 8192, failcnt: 0 });
    assert.deepEqual(s.memory.kernelTCP, { limit: 9223372036854771712n, failcnt: 0 });
    assert.equal(s.memory.cache, 20);
    assert.deepEqual(s.pids, { current: 3 }, '"max" is no limit: left out');
    assert.deepEqual(s.cpuset, {});
    const json = statsJson({ type: 'stats', id: 'c1', data: s });
    assert.match(json, /"usage":\{"limit":9223372036854771712,"usage":4096,"max":8192,"failcnt":0\}/);
    assert.match(json, /"raw":\{"cache":20,"rss":100\}/, 'raw sorted, as Go encodes maps');
    assert.match(json, /"blkio":\{\},"hugetlb":\{\},"intel_rdt":\{\},"network_interfaces":null\}\}$/);
  });
});
