// Unit tests for the features document (src/runtime/features.ts): its shape,
// that it lists exactly what the runtime's own tables take, and that nothing
// create refuses is reported as supported. Pure: no addon, no root.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { features, type FeatureFacts } from '../../../src/runtime/features.js';
import { MOUNT_OPTION_NAMES, parseMountOptions, PROPAGATION_OPTIONS } from '../../../src/runtime/mount-options.js';
import { CAPABILITY_NAMES } from '../../../src/runtime/capabilities.js';
import { HOOK_NAMES } from '../../../src/runtime/hooks.js';
import { REFUSED_FIELDS } from '../../../src/runtime/support.js';
import { OCI_VERSION } from '../../../src/spec/version.js';
import { UnsupportedError } from '../../../src/core/errors.js';
import { idmappedMountsWork } from '../../../src/runtime/host.js';

// SECCOMP_FILTER_FLAG_LOG | SPEC_ALLOW | NEW_LISTENER | WAIT_KILLABLE_RECV
const ALL_FLAGS = 2 | 4 | 8 | 32;
/** Every architecture the runtime-spec names. */
const SPEC_ARCHS = [
  'SCMP_ARCH_X86', 'SCMP_ARCH_X86_64', 'SCMP_ARCH_X32', 'SCMP_ARCH_ARM', 'SCMP_ARCH_AARCH64',
  'SCMP_ARCH_LOONGARCH64', 'SCMP_ARCH_M68K', 'SCMP_ARCH_MIPS', 'SCMP_ARCH_MIPS64', 'SCMP_ARCH_MIPS64N32',
  'SCMP_ARCH_MIPSEL', 'SCMP_ARCH_MIPSEL64', 'SCMP_ARCH_MIPSEL64N32', 'SCMP_ARCH_PPC', 'SCMP_ARCH_PPC64',
  'SCMP_ARCH_PPC64LE', 'SCMP_ARCH_S390', 'SCMP_ARCH_S390X', 'SCMP_ARCH_SH', 'SCMP_ARCH_SHEB',
  'SCMP_ARCH_PARISC', 'SCMP_ARCH_PARISC64', 'SCMP_ARCH_RISCV64',
];
/** What libseccomp 2.5.4 resolves: all but the 2.6 additions. */
const ARCHS_2_5 = SPEC_ARCHS.filter((a) => !['SCMP_ARCH_LOONGARCH64', 'SCMP_ARCH_M68K', 'SCMP_ARCH_SH', 'SCMP_ARCH_SHEB'].includes(a));
const facts = (over: Partial<FeatureFacts> = {}): FeatureFacts => ({
  version: '9.9.9',
  seccomp: { flags: ALL_FLAGS, actions: [], libseccomp: '2.5.4', archs: ARCHS_2_5 },
  apparmorEnabled: false,
  selinuxEnabled: false,
  idmapMounts: true,
  systemdDriver: false,
  ...over,
});

test('shape: versions, hooks, annotations', () => {
  const f = features(facts());
  assert.equal(f.ociVersionMin, '1.0.0');
  assert.equal(f.ociVersionMax, OCI_VERSION);
  assert.deepEqual(f.hooks, [...HOOK_NAMES]);
  assert.deepEqual(f.hooks, ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop']);
  assert.deepEqual(f.annotations, { 'io.github.seccomp.libseccomp.version': '2.5.4', 'org.opencontainers.tsrun.version': '9.9.9' });
  assert.deepEqual(Object.keys(f).sort(), ['annotations', 'hooks', 'linux', 'mountOptions', 'ociVersionMax', 'ociVersionMin']);
});

test('mountOptions are exactly the parser\'s flag, propagation and recursive options, none of them filesystem data', () => {
  const f = features(facts());
  assert.deepEqual(f.mountOptions, [...MOUNT_OPTION_NAMES].sort());
  assert.equal(new Set(f.mountOptions).size, f.mountOptions.length);
  for (const p of Object.keys(PROPAGATION_OPTIONS)) assert.ok(f.mountOptions.includes(p), p);
  for (const o of ['ro', 'rbind', 'nosymfollow', 'rro', 'rnoatime', 'rslave', 'defaults']) assert.ok(f.mountOptions.includes(o), o);
  // Each listed option is the parser's own: none of them reaches the filesystem as data.
  for (const o of f.mountOptions) assert.deepEqual(parseMountOptions([o], '/mounts/0').data, [], o);
  // Filesystem options pass through as data and are not listed.
  for (const o of ['mode=755', 'size=64k', 'newinstance', 'acl', 'silent', 'loud', 'iversion']) {
    assert.deepEqual(parseMountOptions([o], '/mounts/0').data, [o]);
    assert.ok(!f.mountOptions.includes(o), o);
  }
});

test('refused mount options are not listed; idmap and ridmap are, and idmapped mounts are enabled only where the kernel has them', () => {
  const f = features(facts());
  assert.ok(!f.mountOptions.includes('tmpcopyup'));
  assert.throws(() => parseMountOptions(['tmpcopyup'], '/mounts/0'), UnsupportedError);
  for (const o of ['idmap', 'ridmap']) assert.ok(f.mountOptions.includes(o), o);
  assert.deepEqual(f.linux.mountExtensions, { idmap: { enabled: true } });
  assert.deepEqual(features(facts({ idmapMounts: false })).linux.mountExtensions, { idmap: { enabled: false } });
});

test('idmappedMountsWork: Linux 5.12 and later', () => {
  assert.equal(idmappedMountsWork('5.11.22-foo'), false);
  assert.equal(idmappedMountsWork('5.12.0'), true);
  assert.equal(idmappedMountsWork('6.18.1-amd64'), true);
  assert.equal(idmappedMountsWork('4.19.0'), false);
  assert.equal(idmappedMountsWork('nonsense'), false);
});

test('refused config fields are reported as not supported', () => {
  const f = features(facts());
  assert.ok(REFUSED_FIELDS.includes('/linux/intelRdt'));
  // netDevices are moved (netdevices.ts, native/init/netdev.cc).
  assert.ok(!REFUSED_FIELDS.includes('/linux/netDevices'));
  assert.deepEqual(f.linux.netDevices, { enabled: true });
  assert.deepEqual(f.linux.intelRdt, { enabled: false });
  // Nothing else under linux says enabled while create refuses it.
  assert.ok(!REFUSED_FIELDS.includes('/linux/resources'));
  assert.ok(!REFUSED_FIELDS.includes('/linux/seccomp'));
});

test('cgroup: cgroupfs v1 and v2 with rdma; systemd only where its driver can run; all false if resources were refused', () => {
  assert.deepEqual(features(facts()).linux.cgroup, { v1: true, v2: true, systemd: false, systemdUser: false, rdma: true });
  assert.equal(features(facts({ systemdDriver: true })).linux.cgroup.systemd, true);
  assert.equal(features(facts({ systemdDriver: true, refused: ['/linux/resources'] })).linux.cgroup.systemd, false);
  assert.deepEqual(features(facts({ refused: ['/linux/resources'] })).linux.cgroup, { v1: false, v2: false, systemd: false, systemdUser: false, rdma: false });
  assert.equal(features(facts({ refused: ['/linux/resources/rdma'] })).linux.cgroup.rdma, false);
  assert.deepEqual(features(facts({ refused: ['/linux/netDevices'] })).linux.cgroup.v2, true);
  assert.equal(features(facts({ refused: [] })).linux.netDevices.enabled, true);
});

test('namespaces: every type, cgroup and time included', () => {
  assert.deepEqual(features(facts()).linux.namespaces, ['cgroup', 'ipc', 'mount', 'network', 'pid', 'time', 'user', 'uts']);
});

test('capabilities: every name tsrun knows, in number order, also those this kernel may lack', () => {
  const caps = features(facts()).linux.capabilities;
  assert.deepEqual(caps, [...CAPABILITY_NAMES]);
  assert.equal(caps[0], 'CAP_CHOWN');
  assert.equal(caps.at(-1), 'CAP_CHECKPOINT_RESTORE');
});

test('seccomp: recognised names; archs are those libseccomp resolves, supportedFlags the kernel', () => {
  const s = features(facts()).linux.seccomp;
  assert.equal(s.enabled, true);
  assert.deepEqual(s.operators, ['SCMP_CMP_EQ', 'SCMP_CMP_GE', 'SCMP_CMP_GT', 'SCMP_CMP_LE', 'SCMP_CMP_LT', 'SCMP_CMP_MASKED_EQ', 'SCMP_CMP_NE']);
  assert.deepEqual(s.actions, [
    'SCMP_ACT_ALLOW', 'SCMP_ACT_ERRNO', 'SCMP_ACT_KILL', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_KILL_THREAD', 'SCMP_ACT_LOG',
    'SCMP_ACT_NOTIFY', 'SCMP_ACT_TRACE', 'SCMP_ACT_TRAP',
  ]);
  const known = ['SECCOMP_FILTER_FLAG_TSYNC', 'SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW', 'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV'];
  assert.deepEqual(s.knownFlags, known);
  assert.deepEqual(s.supportedFlags, known);
  // Exactly the architectures the facts say libseccomp resolves, sorted.
  assert.deepEqual(s.archs, [...ARCHS_2_5].sort());
  for (const a of ['SCMP_ARCH_LOONGARCH64', 'SCMP_ARCH_M68K', 'SCMP_ARCH_SH', 'SCMP_ARCH_SHEB']) assert.ok(!s.archs.includes(a), a);
  const newer = features(facts({ seccomp: { flags: 0, actions: [], libseccomp: '2.6.0', archs: SPEC_ARCHS } })).linux.seccomp;
  assert.ok(newer.archs.includes('SCMP_ARCH_LOONGARCH64') && newer.archs.includes('SCMP_ARCH_SHEB'));
  assert.equal(newer.archs.length, 23);
  // The version plays no part: a 2.6 that lacked riscv64 would not list it, and no name outside the spec is listed.
  const odd = features(facts({ seccomp: { flags: 0, actions: [], libseccomp: '2.6.0', archs: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_Z80'] } })).linux.seccomp;
  assert.deepEqual(odd.archs, ['SCMP_ARCH_X86_64']);
  // An old kernel: only TSYNC, which tsrun honours without the kernel (init is single-threaded).
  assert.deepEqual(newer.supportedFlags, ['SECCOMP_FILTER_FLAG_TSYNC']);
  assert.deepEqual(newer.knownFlags, known);
});

test('apparmor and selinux follow the host facts', () => {
  assert.deepEqual(features(facts()).linux.apparmor, { enabled: false });
  const f = features(facts({ apparmorEnabled: true, selinuxEnabled: true }));
  assert.deepEqual([f.linux.apparmor, f.linux.selinux], [{ enabled: true }, { enabled: true }]);
});
