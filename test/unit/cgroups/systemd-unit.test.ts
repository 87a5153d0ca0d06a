// The systemd cgroup driver's planning (cgroups/systemd-unit.ts, systemd.ts):
// unit names and slices, runc's resource-to-property mapping, the
// org.systemd.property.* annotations, and what create, update and delete
// ask of systemd (a recording fake bus). No root, no systemd.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  annotationProperties, deviceProperties, expandSlice, listToMask, parseGVariant, resourceProperties, systemdUnitOf, unitCgroupPath,
} from '../../../src/cgroups/systemd-unit.js';
import { planSystemdRecord, SystemdCgroup, systemdDriverProblem } from '../../../src/cgroups/systemd.js';
import type { SystemdBus } from '../../../src/cgroups/systemd-bus.js';
import { placeCgroup } from '../../../src/cgroups/paths.js';
import { applyResources } from '../../../src/cgroups/resources.js';
import type { Config } from '../../../src/spec/types.js';

const cfg = (linux: Record<string, unknown> = {}, annotations?: Record<string, string>) =>
  ({ ociVersion: '1.2.0', root: { path: 'rootfs' }, linux, annotations }) as unknown as Config;
const props = (list: [string, unknown][]) => Object.fromEntries(list);
const MAX = '18446744073709551615';

test('cgroupsPath "slice:prefix:name" -> <prefix>-<name>.scope in <slice>; empty -> system.slice:tsrun:<id>', () => {
  assert.deepEqual(systemdUnitOf('machine.slice:libpod:abc', 'x'), { unit: 'libpod-abc.scope', slice: 'machine.slice' });
  assert.deepEqual(systemdUnitOf(undefined, 'c1'), { unit: 'tsrun-c1.scope', slice: 'system.slice' });
  assert.deepEqual(systemdUnitOf('', 'c1'), { unit: 'tsrun-c1.scope', slice: 'system.slice' });
  // An empty slice is system.slice (runc).
  assert.deepEqual(systemdUnitOf(':x:c1', 'c1'), { unit: 'x-c1.scope', slice: 'system.slice' });
  assert.throws(() => systemdUnitOf('/machine/c1', 'c1'), /\/linux\/cgroupsPath: "\/machine\/c1" is not a systemd path: with --systemd-cgroup it must be "slice:prefix:name"/);
  assert.throws(() => systemdUnitOf('a.slice:p:', 'c1'), /has no name/);
  assert.throws(() => systemdUnitOf('system.slice:p:pod.slice', 'c1'), /names a slice/);
  assert.throws(() => systemdUnitOf('system.slice:p:a b', 'c1'), /systemd refuses/);
  assert.throws(() => systemdUnitOf('system:p:c1', 'c1'), /"system" is not a slice name: it must end in ".slice"/);
});

test('slices expand as systemd lays them out', () => {
  assert.equal(expandSlice('system.slice'), '/system.slice');
  assert.equal(expandSlice('a-b-c.slice'), '/a.slice/a-b.slice/a-b-c.slice');
  assert.equal(expandSlice('-.slice'), '');
  assert.throws(() => expandSlice('a--b.slice'), /must not be empty/);
  assert.throws(() => expandSlice('-a.slice'), /must not be empty/);
  assert.equal(unitCgroupPath({ unit: 'k-c1.scope', slice: 'kubepods-besteffort.slice' }), '/kubepods.slice/kubepods-besteffort.slice/k-c1.scope');
});

test('without --systemd-cgroup, a systemd path says which flag it needs', () => {
  assert.throws(() => placeCgroup(cfg({ cgroupsPath: 'system.slice:tsrun:c1' }), 'c1'), /pass --systemd-cgroup/);
});

test('resources become runc\'s unit properties', () => {
  const { props: p } = resourceProperties(
    {
      memory: { limit: 64 << 20, reservation: 32 << 20, swap: 96 << 20 },
      cpu: { shares: 1024, quota: 50000, period: 100000, cpus: '0-2,9', mems: '0' },
      pids: { limit: 20 },
    },
    { devices: false },
  );
  assert.deepEqual(props(p), {
    MemoryMax: ['t', String(64 << 20)],
    MemoryLow: ['t', String(32 << 20)],
    MemorySwapMax: ['t', String(32 << 20)],
    CPUWeight: ['t', '100'],
    CPUQuotaPeriodUSec: ['t', '100000'],
    CPUQuotaPerSecUSec: ['t', '500000'],
    AllowedCPUs: ['ay', [0b111, 0b10]],
    AllowedMemoryNodes: ['ay', [1]],
    TasksMax: ['t', '20'],
  });
  // -1 is infinity; a quota per second rounds up to systemd's 10 ms step.
  assert.deepEqual(props(resourceProperties({ memory: { limit: -1 }, pids: { limit: -1 }, cpu: { quota: 12345, period: 100000 } }, { devices: false }).props), {
    MemoryMax: ['t', MAX], MemorySwapMax: ['t', MAX], TasksMax: ['t', MAX], CPUQuotaPeriodUSec: ['t', '100000'], CPUQuotaPerSecUSec: ['t', '130000'],
  });
  // Nothing set: no property.
  assert.deepEqual(resourceProperties({}, { devices: false }).props, []);
  assert.throws(() => resourceProperties({ memory: { swap: 10 } }, { devices: false }), /memory\/swap: the memory controller: a swap limit needs a memory limit/);
  assert.throws(() => resourceProperties({ cpu: { cpus: '0-x' } }, { devices: false }), /cpu\/cpus: the cpuset controller: "0-x" is not a list/);
});

test('unified keys systemd has properties for are mapped; the rest go to cgroupfs only', () => {
  assert.deepEqual(props(resourceProperties({ unified: { 'memory.high': '1000', 'pids.max': 'max', 'cpu.max': 'max 50000', 'io.weight': '10' } }, { devices: false }).props), {
    MemoryHigh: ['t', '1000'], TasksMax: ['t', MAX], CPUQuotaPeriodUSec: ['t', '50000'], CPUQuotaPerSecUSec: ['t', MAX],
  });
  assert.throws(() => resourceProperties({ unified: { 'memory.max': 'lots' } }, { devices: false }), /unified\/memory.max: .*"lots" is not a number or "max"/);
});

test('devices: an allow-list is DevicePolicy=strict with DeviceAllow; allow-all by default is auto', () => {
  const proc = { c: new Map([[136, 'pts'], [5, '/dev/tty']]), b: new Map<number, string>() };
  const { props: p, warnings } = deviceProperties([{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 10, minor: 200, access: 'rw' }, { allow: true, type: 'c', major: 99, access: 'r' }], proc);
  const allow = props(p).DeviceAllow as [string, [string, string][]];
  assert.deepEqual(props(p).DevicePolicy, ['s', 'strict']);
  assert.equal(allow[0], 'a(ss)');
  assert.ok(allow[1].some(([d, a]) => d === '/dev/char/10:200' && a === 'rw'));
  assert.ok(allow[1].some(([d, a]) => d === 'char-*' && a === 'm'));
  assert.ok(allow[1].some(([d]) => d === 'char-pts'));
  assert.match(warnings.join('\n'), /c 99:\* \(no such major in \/proc\/devices\)/);
  assert.deepEqual(props(deviceProperties([{ allow: true, access: 'rwm' }], proc).props), { DevicePolicy: ['s', 'auto'], DeviceAllow: ['a(ss)', []] });
});

test('org.systemd.property.* annotations: GVariant text, *Sec in microseconds', () => {
  assert.deepEqual(
    annotationProperties({
      'org.systemd.property.TimeoutStopSec': 'uint64 17',
      'org.systemd.property.CollectMode': "'inactive-or-failed'",
      'org.systemd.property.SendSIGHUP': 'true',
      'org.systemd.property.RuntimeMaxSec': '1.5',
      other: 'x',
    }),
    [
      ['TimeoutStopUSec', ['t', '17000000']],
      ['CollectMode', ['s', 'inactive-or-failed']],
      ['SendSIGHUP', ['b', true]],
      ['RuntimeMaxUSec', ['t', '1500000']],
    ],
  );
  assert.deepEqual(parseGVariant("['a', 'b']", '/x'), ['as', ['a', 'b']]);
  assert.deepEqual(parseGVariant('@t 5', '/x'), ['t', '5']);
  assert.deepEqual(parseGVariant('-3', '/x'), ['i', -3]);
  assert.throws(() => annotationProperties({ 'org.systemd.property.X': '{1: 2}' }), /\/annotations\/org.systemd.property.X: "\{1: 2\}" is not a value tsrun can pass/);
  assert.throws(() => annotationProperties({ 'org.systemd.property.TimeoutStopSec': "'soon'" }), /TimeoutStopSec takes a number of seconds/);
  assert.throws(() => annotationProperties({ 'org.systemd.property.byte': 'byte 300' }), /not a systemd property name/);
  assert.throws(() => annotationProperties({ 'org.systemd.property.Nice': 'byte 300' }), /out of range for byte/);
});

test('cpuset lists as byte masks', () => {
  assert.deepEqual(listToMask('0', '/c'), [1]);
  assert.deepEqual(listToMask('7-8', '/c'), [0x80, 1]);
});

test('the driver runs only on a pure cgroup v2 host with systemd as init', () => {
  assert.match(systemdDriverProblem({ mode: 'hybrid', v1: [], unified: '/sys/fs/cgroup/unified' })!, /hybrid .* pure cgroup v2 host/);
  assert.match(systemdDriverProblem({ mode: 'v2', v1: [], unified: '/sys/fs/cgroup' }, '/nonexistent')!, /systemd is not this host's init/);
  assert.equal(systemdDriverProblem({ mode: 'v2', v1: [], unified: '/sys/fs/cgroup' }, os.tmpdir()), undefined);
});

/** A recording bus that plays systemd on a fake cgroup tree. */
function fakeBus(cgRoot: string) {
  const calls: string[] = [];
  const dirs = new Map<string, string>();
  const bus: SystemdBus = {
    startUnit(unit, properties) {
      calls.push(`start ${unit} ${properties.map(([k]) => k).join(',')}`);
      const slice = properties.find(([k]) => k === 'Slice')![1][1] as string;
      dirs.set(unit, path.join(cgRoot, expandSlice(slice), unit));
      fs.mkdirSync(dirs.get(unit)!, { recursive: true });
    },
    setProperties(unit, properties) {
      calls.push(`set ${unit} ${JSON.stringify(properties)}`);
    },
    stopUnit(unit) {
      calls.push(`stop ${unit}`);
      // systemd removes the scope's cgroup with it.
      fs.rmSync(dirs.get(unit)!, { recursive: true, force: true });
    },
    unitState: () => 'active',
  };
  return { bus, calls };
}

test('create starts the scope with the first process and the planned properties; update sets properties; delete stops it', () => {
  const cgRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-sd-unit-'));
  const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-sd-run-'));
  try {
    const layout = { mode: 'v2' as const, v1: [], unified: cgRoot };
    const record = planSystemdRecord(
      cfg({ cgroupsPath: 'system.slice:t:c1', resources: { pids: { limit: 5 } } }, { 'org.systemd.property.CollectMode': "'inactive-or-failed'" }),
      'c1', layout, () => {}, runDir,
    );
    assert.throws(() => planSystemdRecord(cfg(), 'c1', layout, () => {}, path.join(runDir, 'none')), /--systemd-cgroup: systemd is not this host's init/);
    assert.equal(record.path, '/system.slice/t-c1.scope');
    assert.equal(record.unified!.dir, path.join(cgRoot, 'system.slice/t-c1.scope'));
    const { bus, calls } = fakeBus(cgRoot);
    const cg = new SystemdCgroup(record, { attachDeviceProgram: () => {} }, bus);
    assert.deepEqual(cg.create(4242), [record.unified!.dir]);
    assert.match(calls[0], /^start t-c1.scope Description,Slice,PIDs,Delegate,MemoryAccounting,CPUAccounting,IOAccounting,TasksAccounting,DefaultDependencies,DevicePolicy,DeviceAllow,TasksMax,CollectMode$/);
    assert.equal(record.systemd!.start, undefined, 'the planned properties are not kept once the scope is started');
    fs.writeFileSync(path.join(record.unified!.dir, 'cgroup.procs'), '');
    fs.writeFileSync(path.join(record.unified!.dir, 'cgroup.controllers'), 'memory pids');
    for (const f of ['memory.max', 'memory.swap.max']) fs.writeFileSync(path.join(record.unified!.dir, f), 'max');
    // update: the changed fields' properties, with the other half of a conversion from the current ones.
    applyResources(cg, { memory: { swap: 96 << 20 } }, { create: false, current: { memory: { limit: 64 << 20 } }, kernel: [6, 1], hugepageSizes: [] });
    assert.equal(calls[1], `set t-c1.scope ${JSON.stringify([['MemoryMax', ['t', String(64 << 20)]], ['MemorySwapMax', ['t', String(32 << 20)]]])}`);
    cg.removeCreated();
    assert.equal(calls.at(-1), 'stop t-c1.scope');
    assert.ok(!fs.existsSync(record.unified!.dir));
  } finally {
    fs.rmSync(cgRoot, { recursive: true, force: true });
    fs.rmSync(runDir, { recursive: true, force: true });
  }
});
