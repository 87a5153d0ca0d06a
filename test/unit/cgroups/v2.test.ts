// Unit tests for the cgroup v2 code (src/cgroups/v2.ts and cgroup.ts): on a
// fake cgroupfs (a temp dir laid out like v2), and, as root, on this host's
// real unified hierarchy (the cgroup2 mount of a hybrid host, or / on v2),
// where freezing, cgroup.kill and the BPF device program really act.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { applyResources, finishCreate, openCgroup, type CgroupRecord } from '../../../src/cgroups/index.js';
import { hostLayout } from '../../../src/cgroups/hierarchy.js';
import { CgroupError } from '../../../src/cgroups/errors.js';
import { statsV2 } from '../../../src/cgroups/stats.js';
import { nativeCore } from '../../../src/core/native.js';

const FACTS = { kernel: [6, 18] as [number, number], hugepageSizes: ['2MB'] };

/** A fake v2 tree: each cgroup is a directory with the files the kernel would put there. */
function fakeTree(root: string, cgroups: Record<string, Record<string, string>>): void {
  for (const [rel, files] of Object.entries(cgroups)) {
    const dir = path.join(root, rel);
    fs.mkdirSync(dir, { recursive: true });
    for (const [f, v] of Object.entries(files)) fs.writeFileSync(path.join(dir, f), v);
  }
}

const LEAF = {
  'cgroup.controllers': 'cpu memory pids', 'cgroup.procs': '', 'cgroup.freeze': '0', 'cgroup.events': 'populated 0\nfrozen 0\n',
  'cgroup.subtree_control': '', 'memory.max': 'max', 'memory.swap.max': 'max', 'memory.low': '0', 'memory.high': 'max',
  'cpu.weight': '100', 'cpu.max': 'max 100000', 'pids.max': 'max',
};

function fakeRecord(root: string, cgPath: string, ownedFrom: string): CgroupRecord {
  return { mode: 'v2', path: cgPath, ownedFrom, v1: [], unified: { mount: root, dir: path.join(root, cgPath) }, created: [] };
}

function withFake(fn: (root: string, programs: [string, Buffer][]) => void): void {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-fake-cgroup2-'));
  try {
    fn(root, []);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

test('v2 (fake cgroupfs): create enables every controller in each ancestor, the root included (runc)', () => {
  withFake((root) => {
    fakeTree(root, {
      '.': { 'cgroup.controllers': 'cpu memory pids', 'cgroup.subtree_control': 'memory' },
      tsrun: { 'cgroup.controllers': 'memory', 'cgroup.subtree_control': '' },
      'tsrun/c1': LEAF,
    });
    openCgroup(fakeRecord(root, '/tsrun/c1', '/tsrun')).create();
    assert.equal(fs.readFileSync(path.join(root, 'cgroup.subtree_control'), 'utf8'), '+cpu +pids', 'the root: what it lacks, in one write');
    assert.equal(fs.readFileSync(path.join(root, 'tsrun/cgroup.subtree_control'), 'utf8'), '+cpu +memory +pids', '/tsrun passes on all');
    assert.equal(fs.readFileSync(path.join(root, 'tsrun/c1/cgroup.subtree_control'), 'utf8'), '', 'the container holds processes: it enables nothing');
  });
});

test('v2 (fake cgroupfs): apply writes the converted values and attaches the device program', () => {
  withFake((root) => {
    fakeTree(root, { 'tsrun/c1': LEAF });
    const programs: [string, Buffer][] = [];
    const cg = openCgroup(fakeRecord(root, '/tsrun/c1', '/tsrun'), { attachDeviceProgram: (d, p) => programs.push([d, p]) });
    applyResources(cg, { memory: { limit: 1 << 30, swap: 2 ** 31, reservation: 1 << 20 }, cpu: { shares: 2048, quota: 25000 }, pids: { limit: 42 }, unified: { 'memory.high': '999' } }, { create: true, ...FACTS });
    const read = (f: string) => fs.readFileSync(path.join(root, 'tsrun/c1', f), 'utf8');
    assert.equal(read('memory.max'), String(1 << 30));
    assert.equal(read('memory.swap.max'), String(1 << 30), 'memory+swap 2G with a 1G limit: 1G of swap');
    assert.equal(read('memory.low'), String(1 << 20));
    assert.equal(read('cpu.weight'), '174');
    assert.equal(read('cpu.max'), '25000');
    assert.equal(read('pids.max'), 'max', 'pids.max waits until stage 0 has exited');
    finishCreate(cg);
    assert.equal(read('pids.max'), '42');
    assert.equal(read('memory.high'), '999');
    assert.equal(programs.length, 1);
    assert.equal(programs[0][0], path.join(root, 'tsrun/c1'));
  });
});

test('v2 (fake cgroupfs): a file the kernel lacks is a CgroupError naming field, controller and file', () => {
  withFake((root) => {
    const leaf: Record<string, string> = { ...LEAF };
    delete leaf['pids.max'];
    fakeTree(root, { 'tsrun/c1': leaf });
    const cg = openCgroup(fakeRecord(root, '/tsrun/c1', '/tsrun'), { attachDeviceProgram: () => {} });
    assert.throws(() => applyResources(cg, { pids: { limit: 3 } }, { create: false, ...FACTS }), (e: Error) =>
      e instanceof CgroupError && /^config\.json: \/linux\/resources\/pids\/limit: the pids controller: cannot write "3" to .*pids\.max: ENOENT/.test(e.message));
  });
});

test('v2 (fake cgroupfs): pids of the cgroup and below; freeze waits for cgroup.events', () => {
  withFake((root) => {
    fakeTree(root, { 'tsrun/c1': { ...LEAF, 'cgroup.procs': '12\n34\n' }, 'tsrun/c1/sub': { 'cgroup.procs': '56\n' } });
    const cg = openCgroup(fakeRecord(root, '/tsrun/c1', '/tsrun'));
    assert.deepEqual(cg.pids().sort(), [12, 34, 56]);
    fs.writeFileSync(path.join(root, 'tsrun/c1/cgroup.events'), 'populated 1\nfrozen 1\n');
    cg.freeze();
    assert.equal(fs.readFileSync(path.join(root, 'tsrun/c1/cgroup.freeze'), 'utf8'), '1');
    assert.equal(cg.isFrozen(), true);
  });
});

test('v2 (fake cgroupfs): stats in runc\'s shape, "max" as MaxUint64', () => {
  withFake((root) => {
    fakeTree(root, {
      'tsrun/c1': {
        ...LEAF, 'cpu.stat': 'usage_usec 1500\nuser_usec 1000\nsystem_usec 500\nnr_periods 4\nnr_throttled 1\nthrottled_usec 7\n',
        'memory.current': '4096', 'memory.stat': 'file 100\nanon 200\n', 'memory.events': 'oom 0\noom_kill 2\nmax 3\n',
        'memory.swap.current': '0', 'pids.current': '2', 'io.stat': '8:0 rbytes=10 wbytes=20 rios=1 wios=2 dbytes=0 dios=0\n',
        'hugetlb.2MB.current': '0', 'hugetlb.2MB.events': 'max 0\n',
      },
    });
    const s = statsV2(fakeRecord(root, '/tsrun/c1', '/tsrun'));
    assert.deepEqual(s.cpu, { usage: { total: 1500000, kernel: 500000, user: 1000000 }, throttling: { periods: 4, throttled_periods: 1, throttled_time: 7000 } });
    assert.deepEqual(s.memory.usage, { limit: 18446744073709551615n, usage: 4096, failcnt: 3 });
    assert.equal(s.memory.cache, 100);
    assert.deepEqual(s.memory.raw, { anon: 200, file: 100 }, 'sorted, as Go encodes maps');
    assert.deepEqual(s.pids, { current: 2 });
    // minor 0 is left out: omitempty, as runc prints it.
    assert.deepEqual(s.blkio.ioServiceBytesRecursive, [{ major: 8, op: 'Read', value: 10 }, { major: 8, op: 'Write', value: 20 }]);
    assert.deepEqual(s.hugetlb, { '2MB': { failcnt: 0 } });
  });
});

// The real unified hierarchy: on this hybrid host it has no controllers, but
// freezing, cgroup.kill, cgroup.procs and BPF device programs all work there.
const unified = (() => {
  try {
    return hostLayout().unified;
  } catch {
    return undefined;
  }
})();
const realSkip = process.getuid?.() !== 0 ? 'needs root' : !unified ? 'no cgroup2 mount on this host' : false;

test('v2 (real unified hierarchy): create, join, freeze, device program, cgroup.kill, destroy', { skip: realSkip }, async () => {
  const record: CgroupRecord = {
    mode: 'v2', path: `/tsrun/unit-${process.pid}`, ownedFrom: '/tsrun', v1: [],
    unified: { mount: unified!, dir: path.join(unified!, `tsrun/unit-${process.pid}`) }, created: [],
  };
  // A device program is attached through the kernel calls given (create's: the runtime's core).
  const cg = openCgroup(record, nativeCore);
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-unit-dev-'));
  // /dev/kmsg's numbers: not among the devices a container is allowed.
  const node = path.join(scratch, 'kmsg');
  assert.equal(spawnSync('mknod', [node, 'c', '1', '11']).status, 0, 'mknod');
  fs.closeSync(fs.openSync(node, 'r')); // outside the cgroup it opens: a refusal below is the program's
  const child = spawn('sh', ['-c', `read x; (: < /dev/null) && echo null-ok; if (: < ${node}) 2>/dev/null; then echo kmsg-ok; else echo kmsg-denied; fi; read y`], {
    stdio: ['pipe', 'pipe', 'ignore'],
  });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((r) => child.on('exit', (_c, sig) => r(sig ? os.constants.signals[sig] : null)));
  try {
    cg.create();
    assert.ok(fs.existsSync(record.unified!.dir));
    applyResources(cg, { unified: { 'cgroup.max.descendants': '3' } }, { create: true, ...FACTS });
    assert.equal(fs.readFileSync(path.join(record.unified!.dir, 'cgroup.max.descendants'), 'utf8').trim(), '3');
    cg.addProcess(child.pid!);
    assert.deepEqual(cg.pids(), [child.pid]);
    cg.freeze();
    assert.equal(cg.isFrozen(), true);
    assert.match(fs.readFileSync(path.join(record.unified!.dir, 'cgroup.events'), 'utf8'), /^frozen 1$/m);
    cg.thaw();
    assert.equal(cg.isFrozen(), false);
    child.stdin.write('go\n');
    for (let i = 0; i < 200 && !out.includes('kmsg-'); i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(out, 'null-ok\nkmsg-denied\n', 'the device program allows /dev/null and refuses other devices');
    cg.kill(os.constants.signals.SIGKILL);
    assert.equal(await exited, os.constants.signals.SIGKILL, 'cgroup.kill killed it');
    cg.destroy();
    assert.ok(!fs.existsSync(record.unified!.dir), 'the cgroup is gone');
    assert.ok(!fs.existsSync(path.join(unified!, 'tsrun')) || fs.readdirSync(path.join(unified!, 'tsrun')).some((e) => !e.includes('.')),
      'our parent goes once it is empty');
    cg.destroy();
  } finally {
    child.kill('SIGKILL');
    try {
      cg.destroy();
    } catch {
      // reported above
    }
    fs.rmSync(scratch, { recursive: true, force: true });
  }
});
