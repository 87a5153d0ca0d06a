// Unit tests for src/cgroups: the v1 -> v2 conversions, cgroupsPath rules and
// host layout detection (convert.ts, paths.ts, hierarchy.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Config } from '../../../src/spec/types.js';
import { blkioToIoWeight, hostHugepageSizes, hugepageKb, kernelVersion, parseList, sharesToWeight, swapToV2 } from '../../../src/cgroups/convert.js';
import { parseLayout } from '../../../src/cgroups/hierarchy.js';
import { placeCgroup } from '../../../src/cgroups/paths.js';
import { planCgroupRecord } from '../../../src/cgroups/index.js';

test('shares -> weight: the quadratic fit of runc >= 1.3.2 / crun >= 1.23 (min, default and max map onto each other)', () => {
  const cases: [number, number][] = [[0, 0], [1, 1], [2, 1], [3, 2], [512, 59], [1024, 100], [2048, 174], [262143, 10000], [262144, 10000], [1e6, 10000]];
  for (const [shares, weight] of cases) assert.equal(sharesToWeight(shares), weight, `shares ${shares}`);
  // Runc 1.1.5's linear formula would give 39 for 1024: this is the one that gives the v2 default.
  assert.notEqual(sharesToWeight(1024), 1 + Math.floor(((1024 - 2) * 9999) / 262142));
});

test('blkio weight -> io.weight: runc linear map, 10 -> 1, 1000 -> 10000', () => {
  assert.equal(blkioToIoWeight(0), 0);
  assert.equal(blkioToIoWeight(10), 1);
  assert.equal(blkioToIoWeight(500), 4950);
  assert.equal(blkioToIoWeight(1000), 10000);
});

test('memory+swap -> memory.swap.max: as runc converts it', () => {
  assert.deepEqual(swapToV2(0, 0), {});
  assert.deepEqual(swapToV2(0, -1), { value: -1 }, 'unlimited memory and no swap setting: unlimited swap');
  assert.deepEqual(swapToV2(-1, 1000), { value: -1 });
  assert.deepEqual(swapToV2(3000, 1000), { value: 2000 });
  assert.deepEqual(swapToV2(1000, 1000), { value: 0 }, 'equal: no swap at all');
  assert.match(swapToV2(500, 1000).error!, /must be at least the memory limit/);
  assert.match(swapToV2(500, 0).error!, /needs a memory limit/);
});

test('parsers: cpu lists, huge page sizes, kernel versions', () => {
  assert.deepEqual(parseList('0-2,5,7-8\n'), [0, 1, 2, 5, 7, 8]);
  assert.deepEqual(parseList(''), []);
  assert.equal(hugepageKb('2MB'), 2048);
  assert.equal(hugepageKb('1GB'), 1024 * 1024);
  assert.equal(hugepageKb('64KB'), 64);
  assert.equal(hugepageKb('2M'), undefined);
  assert.deepEqual(kernelVersion('6.18.44-fc-v782'), [6, 18]);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-hp-'));
  try {
    for (const d of ['hugepages-1048576kB', 'hugepages-2048kB', 'hugepages-64kB', 'other']) fs.mkdirSync(path.join(dir, d));
    assert.deepEqual(hostHugepageSizes(dir), ['64KB', '2MB', '1GB']);
  } finally {
    fs.rmSync(dir, { recursive: true });
  }
  assert.deepEqual(hostHugepageSizes('/nonexistent'), []);
});

const cfg = (cgroupsPath?: string) => ({ ociVersion: '1.3.0', linux: cgroupsPath === undefined ? {} : { cgroupsPath } }) as Config;

test('config-linux.md "Cgroups Path": none -> /tsrun/<id>; relative under /tsrun; absolute as given', () => {
  assert.deepEqual(placeCgroup(cfg(), 'c1'), { path: '/tsrun/c1', ownedFrom: '/tsrun' });
  assert.deepEqual(placeCgroup(cfg(''), 'c1'), { path: '/tsrun/c1', ownedFrom: '/tsrun' });
  assert.deepEqual(placeCgroup(cfg('pods/p1/c1'), 'c1'), { path: '/tsrun/pods/p1/c1', ownedFrom: '/tsrun' });
  assert.deepEqual(placeCgroup(cfg('./a//b/'), 'c1'), { path: '/tsrun/a/b', ownedFrom: '/tsrun' });
  assert.deepEqual(placeCgroup(cfg('/machine/c1'), 'c1'), { path: '/machine/c1', ownedFrom: '' }, 'only what create makes is ours');
  assert.deepEqual(placeCgroup(cfg('/tsrun/x'), 'c1'), { path: '/tsrun/x', ownedFrom: '/tsrun' });
});

test('config-linux.md "Cgroups Path": invalid values are errors naming the field', () => {
  assert.throws(() => placeCgroup(cfg('/'), 'c1'), /\/linux\/cgroupsPath: the root cgroup cannot be a container's cgroup/);
  assert.throws(() => placeCgroup(cfg('../escape'), 'c1'), /\/linux\/cgroupsPath: "..\/escape" must not contain ".."/);
  assert.throws(() => placeCgroup(cfg('/a/../b'), 'c1'), /must not contain ".."/);
  assert.throws(() => placeCgroup(cfg('system.slice:tsrun:c1'), 'c1'), /systemd "slice:prefix:name" path, which needs the systemd driver: pass --systemd-cgroup/);
});

const HYBRID = `31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
33 31 0:30 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw,nsdelegate
90 27 0:32 /tsrun/c1 /run/x/memory rw,relatime - cgroup cgroup rw,memory
91 27 0:32 / /mnt/memory\\040again rw,relatime - cgroup cgroup rw,memory
`;

test('host layout: hybrid from mountinfo; bind mounts of sub-cgroups and second mounts are ignored', () => {
  const l = parseLayout(HYBRID);
  assert.equal(l.mode, 'hybrid');
  assert.equal(l.unified, '/sys/fs/cgroup/unified');
  assert.deepEqual(l.v1, [
    { mount: '/sys/fs/cgroup/cpu', controllers: ['cpu'] },
    { mount: '/sys/fs/cgroup/cpu,cpuacct', controllers: ['cpu', 'cpuacct'] },
    { mount: '/sys/fs/cgroup/memory', controllers: ['memory'] },
    { mount: '/sys/fs/cgroup/systemd', controllers: ['name=systemd'] },
  ]);
});

test('host layout: pure v2, pure v1, and none', () => {
  const v2 = parseLayout('30 23 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot\n');
  assert.deepEqual(v2, { mode: 'v2', v1: [], unified: '/sys/fs/cgroup' });
  const v1 = parseLayout('35 31 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n');
  assert.deepEqual(v1, { mode: 'v1', v1: [{ mount: '/sys/fs/cgroup/memory', controllers: ['memory'] }] });
  assert.throws(() => parseLayout('22 27 0:21 / /proc rw - proc proc rw\n'), /no cgroup filesystem is mounted/);
});

test('the record: one directory per hierarchy at the same path, and the unified one', () => {
  const r = planCgroupRecord(cfg('/machine/c1'), 'c1', { layout: parseLayout(HYBRID) });
  assert.equal(r.mode, 'hybrid');
  assert.deepEqual(r.v1.map((h) => h.dir), [
    '/sys/fs/cgroup/cpu/machine/c1', '/sys/fs/cgroup/cpu,cpuacct/machine/c1', '/sys/fs/cgroup/memory/machine/c1', '/sys/fs/cgroup/systemd/machine/c1',
  ]);
  assert.deepEqual(r.unified, { mount: '/sys/fs/cgroup/unified', dir: '/sys/fs/cgroup/unified/machine/c1' });
  const v2 = planCgroupRecord(cfg(), 'c2', { layout: parseLayout('30 23 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n') });
  assert.deepEqual(v2, { mode: 'v2', path: '/tsrun/c2', ownedFrom: '/tsrun', v1: [], unified: { mount: '/sys/fs/cgroup', dir: '/sys/fs/cgroup/tsrun/c2' }, created: [] });
});
