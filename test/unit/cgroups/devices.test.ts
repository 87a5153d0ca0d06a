// Unit tests for linux.resources.devices: the emulator (device-rules.ts), its
// v1 text, and the v2 BPF program (device-bpf.ts), run through an interpreter
// of the instructions it emits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DeviceCgroup } from '../../../src/spec/types.js';
import { configDeviceRules, containerDeviceState, emulate, ruleText, type DeviceRule } from '../../../src/cgroups/device-rules.js';
import { deviceProgram, runDeviceProgram } from '../../../src/cgroups/device-bpf.js';
import { CgroupError } from '../../../src/cgroups/errors.js';

const rule = (allow: boolean, type: 'a' | 'c' | 'b', major = -1, minor = -1, access = 'rwm'): DeviceRule => ({ allow, type, major, minor, access });

test('config-linux.md "Allowed Device list": entries are applied in order; "a" resets', () => {
  assert.deepEqual(emulate([rule(true, 'a')]), { defaultAllow: true, exceptions: [] });
  assert.deepEqual(emulate([rule(true, 'a'), rule(false, 'c', 1, 3, 'w')]), { defaultAllow: true, exceptions: [rule(false, 'c', 1, 3, 'w')] });
  // Deny after allow of the same device takes access away; all of it removes the exception.
  assert.deepEqual(emulate([rule(true, 'c', 1, 3, 'rwm'), rule(false, 'c', 1, 3, 'w')]), { defaultAllow: false, exceptions: [rule(true, 'c', 1, 3, 'rm')] });
  assert.deepEqual(emulate([rule(true, 'c', 1, 3, 'rw'), rule(false, 'c', 1, 3, 'rwm')]), { defaultAllow: false, exceptions: [] });
  // A later "a" forgets everything before it, whatever its numbers (the kernel's rule).
  assert.deepEqual(emulate([rule(true, 'c', 1, 3), rule(false, 'a', 1, 3, 'r')]), { defaultAllow: false, exceptions: [] });
  // Two allows of one device merge.
  assert.deepEqual(emulate([rule(true, 'b', 8, 0, 'r'), rule(true, 'b', 8, 0, 'w')]).exceptions, [rule(true, 'b', 8, 0, 'rw')]);
});

test('devices: the config first, then the defaults, from deny-all (runc)', () => {
  const state = containerDeviceState([{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 10, minor: 229, access: 'rw' }]);
  assert.equal(state.defaultAllow, false);
  assert.deepEqual(state.exceptions.map(ruleText), [
    'c 10:229 rw', 'c *:* m', 'b *:* m', 'c 1:3 rwm', 'c 1:8 rwm', 'c 1:7 rwm', 'c 5:0 rwm', 'c 1:5 rwm', 'c 1:9 rwm', 'c 136:* rwm', 'c 5:2 rwm',
  ]);
});

test('devices: bad entries are CgroupErrors naming the entry', () => {
  const bad = (d: DeviceCgroup, re: RegExp) => assert.throws(() => configDeviceRules([d]), (e: Error) => e instanceof CgroupError && re.test(e.message));
  bad({ allow: true, type: 'u' }, /\/linux\/resources\/devices\/0\/type: the devices controller: "u" is not a device type/);
  bad({ allow: true, access: 'rx' }, /\/devices\/0\/access: the devices controller: access "rx" may hold only r, w and m/);
  bad({ allow: true, type: 'c', major: -5 }, /\/devices\/0\/major: .* -5 is not a device number/);
  assert.equal(configDeviceRules([{ allow: true, type: 'c', major: 1, minor: 3 }])[0].access, 'rwm', 'no access means all of it');
});

test('v2 device program: the defaults allow /dev/null, /dev/pts/*, mknod; refuse other devices', () => {
  const p = deviceProgram(containerDeviceState([{ allow: false, access: 'rwm' }]));
  assert.ok(runDeviceProgram(p, 'c', 1, 3, 'rw'), '/dev/null read+write');
  assert.ok(runDeviceProgram(p, 'c', 136, 7, 'rw'), '/dev/pts/7');
  assert.ok(runDeviceProgram(p, 'b', 8, 0, 'm'), 'mknod of any block device');
  assert.ok(!runDeviceProgram(p, 'b', 8, 0, 'r'), 'but not reading it');
  assert.ok(!runDeviceProgram(p, 'c', 1, 11, 'w'), '/dev/kmsg');
  assert.ok(!runDeviceProgram(p, 'c', 10, 200, 'rw'), 'no /dev/net/tun (runc >= 1.2)');
});

test('v2 device program: an allow rule must cover the whole access; a deny rule refuses any part of it', () => {
  const allowR = deviceProgram(containerDeviceState([{ allow: true, type: 'c', major: 1, minor: 11, access: 'r' }]));
  assert.ok(runDeviceProgram(allowR, 'c', 1, 11, 'r'));
  assert.ok(!runDeviceProgram(allowR, 'c', 1, 11, 'rw'), 'rw is not covered by r');
  const blacklist = deviceProgram(emulate([rule(true, 'a'), rule(false, 'c', 1, 3, 'w')]));
  assert.ok(runDeviceProgram(blacklist, 'c', 1, 3, 'r'));
  assert.ok(!runDeviceProgram(blacklist, 'c', 1, 3, 'w'));
  assert.ok(!runDeviceProgram(blacklist, 'c', 1, 3, 'rw'), 'the write half is denied');
  assert.ok(runDeviceProgram(blacklist, 'b', 1, 3, 'rw'), 'the type matters');
  // Majors and minors are u32: the compare must not sign-extend.
  const big = deviceProgram(emulate([rule(true, 'c', 0xfffffff0, 0x80000001, 'r')]));
  assert.ok(runDeviceProgram(big, 'c', 0xfffffff0, 0x80000001, 'r'));
  assert.ok(!runDeviceProgram(big, 'c', 0xfffffff0, 1, 'r'));
});

test('v2 device program: well-formed (8-byte instructions, jumps inside it, ends with exit)', () => {
  const p = deviceProgram(containerDeviceState(undefined));
  assert.equal(p.length % 8, 0);
  const n = p.length / 8;
  for (let i = 0; i < n; i++) {
    const code = p.readUInt8(i * 8);
    if ((code & 0x07) === 0x06 || ((code & 0x07) === 0x05 && code !== 0x95)) {
      const target = i + 1 + p.readInt16LE(i * 8 + 2);
      assert.ok(target > i && target < n, `jump at ${i} lands at ${target}`);
    }
  }
  assert.equal(p.readUInt8((n - 1) * 8), 0x95, 'the last instruction is exit');
});
