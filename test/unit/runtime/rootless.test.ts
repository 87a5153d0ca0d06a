// Rootless decisions without root: runc's two conditions, the default state
// root, how maps are written, subordinate ranges, and rootless cgroups.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { defaultStateRoot, parseRootlessFlag, prepareXdgRoot, rootlessCgroups, runningInUserNs } from '../../../src/runtime/rootless.js';
import { checkSubordinateRanges, planRootlessMaps, subordinateRanges } from '../../../src/runtime/idmap-helpers.js';
import { planIdMaps } from '../../../src/runtime/userns.js';
import { limitFields, ownCgroups, withoutDeviceRules } from '../../../src/runtime/rootless-cgroup.js';
import type { Config } from '../../../src/spec/types.js';

const userConfig = (uid: Config['linux'] extends infer L ? L : never, extra: Partial<Config> = {}): Config =>
  ({ ociVersion: '1.2.0', root: { path: 'rootfs' }, process: { cwd: '/', args: ['id'], user: { uid: 0, gid: 0 } }, linux: uid, ...extra }) as Config;

test('the initial user namespace maps every id onto itself; any other map is a user namespace', () => {
  assert.equal(runningInUserNs('         0          0 4294967295\n'), false);
  assert.equal(runningInUserNs('         0       1001          1\n'), true);
  assert.equal(runningInUserNs('0 1001 1\n1 100000 65536\n'), true);
});

test('--rootless: auto unless true or false; anything else is refused by name', () => {
  assert.equal(parseRootlessFlag(undefined), 'auto');
  assert.equal(parseRootlessFlag('true'), 'true');
  assert.equal(parseRootlessFlag('false'), 'false');
  assert.throws(() => parseRootlessFlag('yes'), /--rootless must be true, false or auto, not "yes"/);
});

test('rootless cgroups: a non-root euid, or uid 0 in a user namespace; the flag overrides both', () => {
  const host = { euid: 0, inUserNs: () => false };
  assert.equal(rootlessCgroups('auto', host), false, 'real root');
  assert.equal(rootlessCgroups('auto', { euid: 1001, inUserNs: () => false }), true, 'rootless by euid');
  assert.equal(rootlessCgroups('auto', { euid: 0, inUserNs: () => true }), true, 'uid 0 in a user namespace (rootless podman)');
  assert.equal(rootlessCgroups('true', host), true);
  assert.equal(rootlessCgroups('false', { euid: 1001, inUserNs: () => true }), false);
});

test('default root: $XDG_RUNTIME_DIR/tsrun for a user, never for real root, runc\'s $USER rule in a user namespace', () => {
  const xdg = { XDG_RUNTIME_DIR: '/run/user/1001' };
  assert.deepEqual(defaultStateRoot({ euid: 1001, inUserNs: () => false, env: xdg }), { root: '/run/user/1001/tsrun', xdg: true });
  // sudo -E keeps the user's XDG_RUNTIME_DIR: root's state must not go where the user can write.
  assert.deepEqual(defaultStateRoot({ euid: 0, inUserNs: () => false, env: xdg }), { root: '/run/tsrun', xdg: false });
  assert.deepEqual(defaultStateRoot({ euid: 0, inUserNs: () => true, env: xdg }), { root: '/run/user/1001/tsrun', xdg: true }, 'no USER: rootless podman');
  assert.deepEqual(defaultStateRoot({ euid: 0, inUserNs: () => true, env: { ...xdg, USER: 'root' } }), { root: '/run/tsrun', xdg: false });
  assert.deepEqual(defaultStateRoot({ euid: 0, inUserNs: () => false, env: {} }), { root: '/run/tsrun', xdg: false });
  assert.throws(() => defaultStateRoot({ euid: 1001, inUserNs: () => false, env: {} }), /XDG_RUNTIME_DIR is not set.*export XDG_RUNTIME_DIR=\/run\/user\/\$\(id -u\).*--root DIR/);
});

test('the XDG root is made 0700 with the sticky bit; one that cannot be made is explained', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-unit-xdg-'));
  try {
    prepareXdgRoot(path.join(dir, 'tsrun'));
    assert.equal(fs.statSync(path.join(dir, 'tsrun')).mode & 0o7777, 0o1700);
    fs.writeFileSync(path.join(dir, 'file'), '');
    assert.throws(() => prepareXdgRoot(path.join(dir, 'file', 'tsrun')), /cannot use .*file\/tsrun \(under XDG_RUNTIME_DIR\) as the state root: ENOTDIR.*or give --root DIR/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('maps: the caller\'s own id alone is written directly (setgroups denied); anything else by newuidmap/newgidmap', () => {
  const self = { uidMappings: [{ containerID: 0, hostID: 1001, size: 1 }], gidMappings: [{ containerID: 0, hostID: 1001, size: 1 }] };
  assert.deepEqual(planRootlessMaps(userConfig(self), { euid: 1001, egid: 1001 }), { uid: 'direct', gid: 'direct', denySetgroups: true });
  const ranges = {
    uidMappings: [{ containerID: 0, hostID: 1001, size: 1 }, { containerID: 1, hostID: 100000, size: 65536 }],
    gidMappings: [{ containerID: 0, hostID: 1001, size: 1 }, { containerID: 1, hostID: 100000, size: 65536 }],
  };
  assert.deepEqual(planRootlessMaps(userConfig(ranges), { euid: 1001, egid: 1001 }), { uid: 'helper', gid: 'helper', denySetgroups: false });
  // Another user's id, even alone, is for newuidmap to allow or not.
  assert.equal(planRootlessMaps(userConfig(self), { euid: 1002, egid: 1002 }).uid, 'helper');
});

test('additionalGids with setgroups denied is an explained error at its config path', () => {
  const self = { uidMappings: [{ containerID: 0, hostID: 1001, size: 1 }], gidMappings: [{ containerID: 0, hostID: 1001, size: 1 }] };
  const config = userConfig(self, { process: { cwd: '/', args: ['id'], user: { uid: 0, gid: 0, additionalGids: [10] } } });
  assert.throws(() => planRootlessMaps(config, { euid: 1001, egid: 1001 }), /\/process\/user\/additionalGids: .*setgroups\(2\) denied.*\(10\)/);
});

test('a rootless caller without a user namespace is told to add one, naming /linux/namespaces', () => {
  const config = userConfig({ namespaces: [{ type: 'pid' }] });
  assert.throws(() => planIdMaps(config, { euid: 1001, egid: 1001, name: 'u' }), /config\.json: \/linux\/namespaces: tsrun runs as uid 1001 \(rootless\).*\{"type": "user"\}/);
  assert.equal(planIdMaps(config), undefined, 'as root nothing is needed');
});

test('subordinate ranges: by name or uid; maps outside them (or no entry at all) are explained before newuidmap runs', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-unit-subuid-'));
  const file = path.join(dir, 'subuid');
  try {
    fs.writeFileSync(file, 'alice:100000:65536\n1001:300000:10\nbob:200000:65536\n');
    assert.deepEqual(subordinateRanges(file, { name: 'alice', uid: 1001 }), [{ start: 100000, count: 65536 }, { start: 300000, count: 10 }]);
    const owner = { name: 'alice', id: 1001, file };
    checkSubordinateRanges([{ containerID: 0, hostID: 1001, size: 1 }, { containerID: 1, hostID: 100000, size: 65536 }], '/linux/uidMappings', owner);
    assert.throws(
      () => checkSubordinateRanges([{ containerID: 1, hostID: 100000, size: 70000 }], '/linux/uidMappings', owner),
      /\/linux\/uidMappings\/0: host ids 100000-169999 .* are outside alice \(1001\)'s ranges in .*subuid \(100000-165535, 300000-300009\)/,
    );
    assert.throws(
      () => checkSubordinateRanges([{ containerID: 1, hostID: 200000, size: 10 }], '/linux/gidMappings', { name: 'carol', id: 1003, file }),
      /\/linux\/gidMappings\/0: host ids 200000-200009 are not yours: .*subuid has no entry for carol \(1003\).*usermod --add-subuids/,
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('rootless cgroups: limits are what is not a device rule; device rules are dropped', () => {
  assert.deepEqual(limitFields(undefined), []);
  assert.deepEqual(limitFields({ devices: [{ allow: false, access: 'rwm' }] }), []);
  assert.deepEqual(limitFields({ devices: [], memory: {}, pids: { limit: 10 } }), ['pids']);
  assert.deepEqual(withoutDeviceRules({ devices: [{ allow: false }], pids: { limit: 10 } }), { pids: { limit: 10 } });
});

test('own cgroups are read from /proc/self/cgroup, v1 by controller list and the unified one', () => {
  const own = ownCgroups('12:cpu,cpuacct:/user.slice\n4:memory:/a\n1:name=systemd:/x\n0::/user.slice/user-1001.slice/session-1.scope\n');
  assert.equal(own.unified, '/user.slice/user-1001.slice/session-1.scope');
  assert.equal(own.v1.get('cpu,cpuacct'), '/user.slice');
  assert.equal(own.v1.get('memory'), '/a');
});
