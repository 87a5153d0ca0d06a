// The pure parts of checkpoint/restore: runc's flags as CRIU options, and
// which mounts CRIU must be told are external, at dump and at restore.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { commonCriuOpts, externalMounts, freezerDir } from '../../../src/runtime/criu-opts.js';
import type { CgroupRecord } from '../../../src/cgroups/index.js';
import type { Config } from '../../../src/spec/types.js';

const hybrid: CgroupRecord = {
  mode: 'hybrid' as CgroupRecord['mode'],
  path: '/tsrun/c1',
  ownedFrom: '/tsrun',
  v1: [
    { mount: '/sys/fs/cgroup/freezer', controllers: ['freezer'], dir: '/sys/fs/cgroup/freezer/tsrun/c1' },
    { mount: '/sys/fs/cgroup/memory', controllers: ['memory'], dir: '/sys/fs/cgroup/memory/tsrun/c1' },
  ],
  unified: { mount: '/sys/fs/cgroup/unified', dir: '/sys/fs/cgroup/unified/tsrun/c1' },
  created: [],
};

const config = {
  ociVersion: '1.2.0',
  root: { path: 'rootfs' },
  mounts: [
    { destination: '/proc', type: 'proc', source: 'proc' },
    { destination: '/data', type: 'bind', source: '/srv/data', options: ['rbind'] },
    { destination: '/etc/hosts', source: '/var/lib/x/hosts', options: ['bind', 'ro'] },
    { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup' },
  ],
  linux: { maskedPaths: ['/proc/kcore', '/proc/acpi'] },
} as unknown as Config;

test('dump: bind mounts by destination, masked files as /dev/null, the cgroup binds of a v1 "cgroup" mount', () => {
  assert.deepEqual(externalMounts(config, 'dump', ['/proc/kcore'], hybrid), [
    { key: '/data', val: '/data' },
    { key: '/etc/hosts', val: '/etc/hosts' },
    { key: '/sys/fs/cgroup/freezer', val: '/sys/fs/cgroup/freezer' },
    { key: '/sys/fs/cgroup/memory', val: '/sys/fs/cgroup/memory' },
    { key: '/sys/fs/cgroup/unified', val: '/sys/fs/cgroup/unified' },
    { key: '/proc/kcore', val: '/dev/null' },
  ]);
});

test('restore: the same keys onto the host paths of the config and of the new cgroup; /dev/null for masked files', () => {
  assert.deepEqual(externalMounts(config, 'restore', [], hybrid), [
    { key: '/data', val: '/srv/data' },
    { key: '/etc/hosts', val: '/var/lib/x/hosts' },
    { key: '/sys/fs/cgroup/freezer', val: '/sys/fs/cgroup/freezer/tsrun/c1' },
    { key: '/sys/fs/cgroup/memory', val: '/sys/fs/cgroup/memory/tsrun/c1' },
    { key: '/sys/fs/cgroup/unified', val: '/sys/fs/cgroup/unified/tsrun/c1' },
    { key: '/dev/null', val: '/dev/null' },
  ]);
});

test('a cgroup namespace makes the cgroup mounts real ones: nothing external for them', () => {
  const withNs = { ...config, linux: { ...config.linux, namespaces: [{ type: 'cgroup' }] } } as Config;
  assert.ok(!externalMounts(withNs, 'dump', [], hybrid).some((m) => m.key.startsWith('/sys/fs/cgroup')));
});

test('the freezer CRIU freezes: v1 freezer, else the unified cgroup', () => {
  assert.equal(freezerDir(hybrid), '/sys/fs/cgroup/freezer/tsrun/c1');
  assert.equal(freezerDir({ ...hybrid, v1: [] }), '/sys/fs/cgroup/unified/tsrun/c1');
  assert.equal(freezerDir(undefined), undefined);
});

test("runc's flags as criu_opts; bad --manage-cgroups-mode and --empty-ns values are refused by name", () => {
  const o = commonCriuOpts({ tcpEstablished: true, manageCgroupsMode: 'strict', emptyNs: ['network'] });
  assert.equal(o.tcp_established, true);
  assert.equal(o.manage_cgroups_mode, 'STRICT');
  assert.equal(o.empty_ns, 0x40000000);
  assert.throws(() => commonCriuOpts({ manageCgroupsMode: 'hard' }), /--manage-cgroups-mode: invalid value "hard"/);
  assert.throws(() => commonCriuOpts({ emptyNs: ['time'] }), /--empty-ns: unknown namespace "time"/);
});
