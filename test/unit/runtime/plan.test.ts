// Unit tests for the create planner (src/runtime/plan.ts buildCreatePlan) and the unsupported-field list (src/runtime/support.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from '../../../src/spec/types.js';
import { buildCreatePlan, PlanError, rootfsPath, type PlanOptions } from '../../../src/runtime/plan.js';
import { MS } from '../../../src/runtime/linux.js';
import { TsrunError, UnsupportedError } from '../../../src/core/errors.js';
import { refuseUnsupported } from '../../../src/runtime/support.js';
import type { HostFacts } from '../../../src/runtime/host.js';
import { planIdMaps } from '../../../src/runtime/userns.js';
import type { CgroupRecord } from '../../../src/cgroups/index.js';

type Doc = Record<string, any>;

const BUNDLE = '/bundles/busybox';
// A host with every capability and no rlimit ceilings: planning must not read the real one.
export const FAKE_HOST: HostFacts = {
  lastCap: 40, capEff: (1n << 41n) - 1n, hardLimits: Array(16).fill(Infinity), apparmorEnabled: false, selinuxEnabled: false,
};
const OPTS: PlanOptions = {
  id: 'c1', bundle: BUNDLE, fifoPath: '/run/tsrun/c1/exec.fifo', host: FAKE_HOST, warn: () => assert.fail('unexpected warning'),
};

/** The process plan of busybox(), with overrides. */
function processPlan(over: Doc = {}): Doc {
  return {
    args: ['sh', '-c', 'echo hi'], env: ['PATH=/bin', 'TERM=xterm'], cwd: '/', uid: 0, gid: 0, additionalGids: [],
    umask: 0o022, capabilities: { bounding: 0n, effective: 0n, inheritable: 0n, permitted: 0n, ambient: 0n },
    lastCap: 40, rlimits: [], inheritedNofile: undefined, noNewPrivileges: false, oomScoreAdj: undefined,
    scheduler: undefined, ioPriority: undefined, cpuAffinityInitial: [], cpuAffinityFinal: [],
    apparmorProfile: undefined, selinuxLabel: undefined, personality: undefined, seccomp: undefined, preserveFds: 0, terminal: false, consoleSize: undefined, pidfdSocket: false, memoryPolicy: undefined, ...over,
  };
}

function busybox(): Doc {
  return {
    ociVersion: '1.3.0',
    root: { path: 'rootfs', readonly: true },
    process: { cwd: '/', args: ['sh', '-c', 'echo hi'], env: ['PATH=/bin', 'TERM=xterm'], user: { uid: 0, gid: 0 } },
    hostname: 'box',
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
      { destination: '/data', type: 'bind', source: 'data', options: ['rbind', 'ro', 'rprivate'] },
    ],
    linux: {
      namespaces: [{ type: 'pid' }, { type: 'mount' }, { type: 'uts' }, { type: 'ipc' }, { type: 'network' }],
    },
  };
}

// runc's default devices (config-linux.md "Default Devices") and /dev links.
const DEFAULT_DEVICES = [
  ['/dev/null', 1, 3], ['/dev/zero', 1, 5], ['/dev/full', 1, 7],
  ['/dev/random', 1, 8], ['/dev/urandom', 1, 9], ['/dev/tty', 5, 0],
].map(([path, major, minor]) => ({ path, type: 'c', major, minor, fileMode: 0o666, uid: 0, gid: 0, configPath: '/linux/devices' }));
const DEFAULT_LINKS = [
  { path: '/dev/fd', target: '/proc/self/fd', replace: false },
  { path: '/dev/stdin', target: '/proc/self/fd/0', replace: false },
  { path: '/dev/stdout', target: '/proc/self/fd/1', replace: false },
  { path: '/dev/stderr', target: '/proc/self/fd/2', replace: false },
  ...(existsSync('/proc/kcore') ? [{ path: '/dev/core', target: '/proc/kcore', replace: false }] : []),
  { path: '/dev/ptmx', target: 'pts/ptmx', replace: true },
];

const plan = (doc: Doc, opts: Partial<PlanOptions> = {}) => buildCreatePlan(doc as Config, { ...OPTS, ...opts });

/** Runs the planner on a mutated busybox config and returns what it threw. */
function refusal(mutate: (d: Doc) => void, opts: Partial<PlanOptions> = {}): TsrunError {
  const doc = busybox();
  mutate(doc);
  try {
    plan(doc, opts);
  } catch (e) {
    assert.ok(e instanceof TsrunError, `expected a TsrunError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected the config to be refused');
}

test('a busybox config gives the expected plan', () => {
  assert.deepEqual(plan(busybox()), {
    version: 1,
    mode: 'create',
    bundle: BUNDLE,
    rootfs: '/bundles/busybox/rootfs',
    readonlyRoot: true,
    noPivot: false,
    newMountNamespace: true,
    joinedMountNamespace: false,
    hostMountRecord: undefined,
    rootfsPropagation: MS.SLAVE | MS.REC,
    rootfsPropagationAfter: 0,
    namespaces: [
      { type: 'pid', cloneFlag: 0x20000000, configPath: '/linux/namespaces/0' },
      { type: 'mount', cloneFlag: 0x00020000, configPath: '/linux/namespaces/1' },
      { type: 'uts', cloneFlag: 0x04000000, configPath: '/linux/namespaces/2' },
      { type: 'ipc', cloneFlag: 0x08000000, configPath: '/linux/namespaces/3' },
      { type: 'network', cloneFlag: 0x40000000, configPath: '/linux/namespaces/4' },
    ],
    hostname: 'box',
    domainname: undefined,
    mounts: [
      { destination: '/proc', source: 'proc', type: 'proc', flags: 0, propagation: [], data: '', recAttrSet: 0, recAttrClr: 0, configPath: '/mounts/0' },
      {
        destination: '/dev', source: 'tmpfs', type: 'tmpfs', flags: MS.NOSUID | MS.STRICTATIME, propagation: [],
        data: 'mode=755,size=65536k', recAttrSet: 0, recAttrClr: 0, configPath: '/mounts/1',
      },
      {
        destination: '/data', source: '/bundles/busybox/data', type: '', flags: MS.BIND | MS.REC | MS.RDONLY,
        propagation: [MS.PRIVATE | MS.REC], data: '', recAttrSet: 0, recAttrClr: 0, configPath: '/mounts/2',
      },
    ],
    devices: DEFAULT_DEVICES,
    bindDevices: false,
    devSymlinks: DEFAULT_LINKS,
    sysctl: [],
    timeOffsets: undefined,
    readonlyPaths: [],
    maskedPaths: [],
    fifoPath: '/run/tsrun/c1/exec.fifo',
    sessionKeyring: 'c1',
    process: processPlan(),
    hooksSync: false,
    hooks: { createContainer: [], startContainer: [], outputLimit: 256 },
    cgroupSync: true,
    netDevices: [],
  });
});

test('rootfs: relative to the bundle, absolute kept; readonly only when true', () => {
  assert.equal(plan(busybox()).rootfs, '/bundles/busybox/rootfs');
  const abs = busybox();
  abs.root = { path: '/srv/roots/x/' };
  assert.equal(plan(abs).rootfs, '/srv/roots/x');
  assert.equal(plan(abs).readonlyRoot, false);
  const dotted = busybox();
  dotted.root = { path: '../shared/./rootfs' };
  assert.equal(plan(dotted).rootfs, '/bundles/shared/rootfs');
  assert.equal(rootfsPath(busybox() as Config, '/b'), '/b/rootfs');
});

test('mounts: bind sources resolve against the bundle, destinations become absolute', () => {
  const doc = busybox();
  doc.mounts = [
    { destination: 'data', type: 'bind', source: './data' },
    { destination: 'etc/hosts', source: '/etc/hosts', options: ['bind'] },
    { destination: '/x/../y/', source: '../outside', options: ['rbind'] },
    { destination: 'tmp', type: 'tmpfs', source: 'relative-not-a-path' },
    { destination: '/sys', type: 'sysfs' },
    { destination: '/b2', source: '/abs', type: 'none', options: ['bind'] },
  ];
  const warnings: string[] = [];
  const mounts = plan(doc, { warn: (m) => warnings.push(m) }).mounts;
  // config.md: relative destinations are deprecated; runc 1.1 warns too.
  assert.deepEqual(warnings, [
    '/mounts/0/destination: "data" is not absolute; it is mounted at /data (relative destinations are deprecated)',
    '/mounts/1/destination: "etc/hosts" is not absolute; it is mounted at /etc/hosts (relative destinations are deprecated)',
    '/mounts/3/destination: "tmp" is not absolute; it is mounted at /tmp (relative destinations are deprecated)',
  ]);
  assert.deepEqual(mounts.map((m) => [m.destination, m.source, m.type, m.flags]), [
    ['/data', '/bundles/busybox/data', '', MS.BIND],
    ['/etc/hosts', '/etc/hosts', '', MS.BIND],
    ['/y', '/bundles/outside', '', MS.BIND | MS.REC],
    ['/tmp', 'relative-not-a-path', 'tmpfs', 0],
    ['/sys', 'sysfs', 'sysfs', 0],
    ['/b2', '/abs', '', MS.BIND],
  ]);
  assert.deepEqual(mounts.map((m) => m.configPath), ['/mounts/0', '/mounts/1', '/mounts/2', '/mounts/3', '/mounts/4', '/mounts/5']);
});

test('type "bind" alone sets MS_BIND; options keep their flags', () => {
  const doc = busybox();
  doc.mounts = [{ destination: '/d', type: 'bind', source: '/host', options: ['nosuid', 'ro'] }];
  const [m] = plan(doc).mounts;
  assert.equal(m.flags, MS.BIND | MS.NOSUID | MS.RDONLY);
  assert.equal(m.type, '');
});

test('rootfsPropagation: slave by default, private and slave recursive', () => {
  assert.equal(plan(busybox()).rootfsPropagation, MS.SLAVE | MS.REC);
  const priv = busybox();
  priv.linux.rootfsPropagation = 'private';
  assert.equal(plan(priv).rootfsPropagation, MS.PRIVATE | MS.REC);
  const slave = busybox();
  slave.linux.rootfsPropagation = 'slave';
  assert.equal(plan(slave).rootfsPropagation, MS.SLAVE | MS.REC);
});

test('rootfsPropagation shared and unbindable are applied before the mounts and again after pivot_root', () => {
  for (const [p, flag] of [['shared', MS.SHARED], ['unbindable', MS.UNBINDABLE], ['private', MS.PRIVATE]] as const) {
    const d = busybox();
    d.linux.rootfsPropagation = p;
    const got = plan(d);
    assert.equal(got.rootfsPropagation, flag | MS.REC, p);
    assert.equal(got.rootfsPropagationAfter, flag | MS.REC, p);
  }
});

test('options: keyring, noPivot, preserveFds and inheritedNofile pass through', () => {
  assert.equal(plan(busybox(), { id: 'my-id' }).sessionKeyring, 'my-id');
  assert.equal(plan(busybox(), { noNewKeyring: true }).sessionKeyring, undefined);
  assert.equal(plan(busybox(), { noNewKeyring: false }).sessionKeyring, 'c1');
  assert.equal(plan(busybox(), { noPivot: true }).noPivot, true);
  const p = plan(busybox(), { preserveFds: 3, inheritedNofile: [1024, 524288] });
  assert.equal(p.process.preserveFds, 3);
  assert.deepEqual(p.process.inheritedNofile, [1024, 524288]);
  assert.equal(plan(busybox()).process.preserveFds, 0);
});

test('process: env defaults to empty; hostname and domainname carried', () => {
  const doc = busybox();
  delete doc.process.env;
  doc.domainname = 'example.org';
  const p = plan(doc);
  assert.deepEqual(p.process, processPlan({ env: [] }));
  assert.equal(p.domainname, 'example.org');
  assert.equal(p.hostname, 'box');
});

test('namespaces: joined ones keep their path; a joined mount namespace is not a new one', () => {
  const doc = busybox();
  delete doc.hostname;
  doc.linux.namespaces = [
    { type: 'mount', path: '/proc/1/ns/mnt' },
    { type: 'network', path: '/var/run/netns/n1' },
    { type: 'cgroup', path: '/proc/1/ns/cgroup' },
    { type: 'time', path: '/proc/1/ns/time' },
  ];
  const p = plan(doc, { isOwnNamespace: () => false });
  assert.equal(p.newMountNamespace, false);
  assert.equal(p.joinedMountNamespace, true);
  assert.deepEqual(p.namespaces, [
    { type: 'mount', cloneFlag: 0x00020000, path: '/proc/1/ns/mnt', configPath: '/linux/namespaces/0' },
    { type: 'network', cloneFlag: 0x40000000, path: '/var/run/netns/n1', configPath: '/linux/namespaces/1' },
    { type: 'cgroup', cloneFlag: 0x02000000, path: '/proc/1/ns/cgroup', configPath: '/linux/namespaces/2' },
    { type: 'time', cloneFlag: 0x00000080, path: '/proc/1/ns/time', configPath: '/linux/namespaces/3' },
  ]);
});

test('tsrun\'s own mount namespace joined by path is refused: pivot_root there would move the host\'s root', () => {
  const own = { isOwnNamespace: (path: string, name: string) => path === '/proc/self/ns/mnt' && name === 'mnt' };
  const e = refusal((d) => (d.linux.namespaces[1] = { type: 'mount', path: '/proc/self/ns/mnt' }), own);
  assert.ok(e instanceof PlanError);
  assert.equal(e.message, "config.json: /linux/namespaces/1/path: /proc/self/ns/mnt is the host's own mount namespace; pivot_root there would move the root of every process on the host (leave the mount entry out to share the host's mounts: the container's root is then a chroot)");
  const other = busybox();
  other.linux.namespaces[1] = { type: 'mount', path: '/proc/42/ns/mnt' };
  assert.equal(plan(other, own).joinedMountNamespace, true);
});

test('a namespace type listed twice is refused at its second entry', () => {
  const e = refusal((d) => { d.linux.namespaces.push({ type: 'pid', path: '/proc/1/ns/pid' }); });
  assert.ok(e instanceof PlanError);
  assert.equal(e.message, 'config.json: /linux/namespaces/5/type: the pid namespace is listed twice');
});

test('no mount namespace: the host\'s mounts, recorded next to exec.fifo; what a chroot cannot undo is refused', () => {
  const noMnt = (d: Doc) => {
    d.linux.namespaces = d.linux.namespaces.filter((n: Doc) => n.type !== 'mount');
    d.root.readonly = false;
  };
  const doc = busybox();
  noMnt(doc);
  const p = plan(doc);
  assert.equal(p.newMountNamespace, false);
  assert.equal(p.joinedMountNamespace, false);
  assert.equal(p.hostMountRecord, '/run/tsrun/c1/host-mounts');
  assert.equal(p.mounts.length, 3);
  // busybox() mounts a tmpfs on /dev: the devices go into it.
  assert.deepEqual(p.devices, DEFAULT_DEVICES);
  const noDev = busybox();
  noMnt(noDev);
  noDev.mounts.splice(1, 1);
  assert.deepEqual(plan(noDev).devices, [], 'no device node lands on the rootfs\'s disk');
  assert.deepEqual(plan(noDev).devSymlinks, []);
  // A read-only root is a bind of the rootfs on the host, made read-only (init records it too).
  const ro = busybox();
  noMnt(ro);
  ro.root.readonly = true;
  ro.process.terminal = true;
  assert.equal(plan(ro).readonlyRoot, true);

  const cases: Array<[(d: Doc) => void, RegExp]> = [
    [(d) => (d.linux.maskedPaths = ['/proc/kcore']), /^config\.json: \/linux\/maskedPaths: unable to restrict sys entries without a private mount namespace/],
    [(d) => (d.linux.readonlyPaths = ['/proc/sys']), /^config\.json: \/linux\/readonlyPaths: unable to restrict sys entries without a private mount namespace/],
    [(d) => (d.linux.rootfsPropagation = 'shared'), /^config\.json: \/linux\/rootfsPropagation: without a mount namespace this would change the propagation of the host's own mounts/],
    [(d) => { d.mounts.splice(1, 1); d.process.terminal = true; }, /^config\.json: \/process\/terminal: a terminal is bind-mounted on \/dev\/console, which without a mount namespace needs a tmpfs mounted on \/dev/],
    [(d) => { d.mounts.splice(1, 1); d.linux.devices = [{ path: '/dev/fuse', type: 'c', major: 10, minor: 229 }]; }, /^config\.json: \/linux\/devices: without a mount namespace and a tmpfs mounted on \/dev/],
  ];
  for (const [mutate, want] of cases) {
    const e = refusal((d) => { noMnt(d); mutate(d); });
    assert.ok(e instanceof PlanError);
    assert.match(e.message, want);
  }
  const warnings: string[] = [];
  const chrooter = busybox();
  noMnt(chrooter);
  chrooter.process.capabilities = { bounding: ['CAP_SYS_CHROOT'], permitted: ['CAP_SYS_CHROOT'] };
  plan(chrooter, { warn: (m) => warnings.push(m) });
  assert.deepEqual(warnings, ["config.json: /process/capabilities: CAP_SYS_CHROOT (in bounding, permitted) with no mount namespace: the container's root is a chroot, which a process with CAP_SYS_CHROOT can leave for the host's /"]);
  // No linux section at all: every namespace is the runtime's.
  const bare = busybox();
  delete bare.linux;
  delete bare.hostname;
  bare.root.readonly = false;
  assert.equal(plan(bare).hostMountRecord, '/run/tsrun/c1/host-mounts');
});

test('hostname or domainname without a uts namespace is refused', () => {
  const noUts = (d: Doc) => { d.linux.namespaces = d.linux.namespaces.filter((n: Doc) => n.type !== 'uts'); };
  let e = refusal(noUts);
  assert.ok(e instanceof PlanError);
  assert.match(e.message, /^config\.json: \/hostname: setting a hostname needs a uts namespace/);
  e = refusal((d) => { noUts(d); delete d.hostname; d.domainname = 'x'; });
  assert.match(e.message, /^config\.json: \/domainname: setting a domainname needs a uts namespace/);
  // An empty hostname is still a hostname to set.
  e = refusal((d) => { noUts(d); d.hostname = ''; });
  assert.match(e.message, /^config\.json: \/hostname: /);
});

test('hostname and domainname in a joined uts namespace: set there, unless it is tsrun\'s own', () => {
  const joined = (d: Doc) => { d.linux.namespaces[2] = { type: 'uts', path: '/proc/42/ns/uts' }; d.domainname = 'example.org'; };
  const doc = busybox();
  joined(doc);
  const seen: string[] = [];
  const p = plan(doc, { isOwnNamespace: (path, name) => (seen.push(`${path} ${name}`), false) });
  assert.equal(p.hostname, 'box');
  assert.equal(p.domainname, 'example.org');
  assert.ok(seen.includes('/proc/42/ns/uts uts'));
  const own = { isOwnNamespace: (path: string) => path === '/proc/42/ns/uts' };
  let e = refusal(joined, own);
  assert.ok(e instanceof PlanError);
  assert.equal(e.message, "config.json: /hostname: /linux/namespaces/2/path: /proc/42/ns/uts is the host's own uts namespace; setting a hostname there would rename the host (make a new uts namespace, or join another one)");
  e = refusal((d) => { joined(d); delete d.hostname; }, own);
  assert.match(e.message, /^config\.json: \/domainname: \/linux\/namespaces\/2\/path: /);
  // Without a name to set, joining our own uts namespace is fine.
  const quiet = busybox();
  joined(quiet);
  delete quiet.hostname;
  delete quiet.domainname;
  assert.equal(plan(quiet, own).hostname, undefined);
});

test('a mount that is not a bind mount needs a type', () => {
  const e = refusal((d) => { d.mounts.push({ destination: '/x', source: 'x', options: ['ro'] }); });
  assert.ok(e instanceof PlanError);
  assert.equal(e.message, 'config.json: /mounts/3/type: a mount that is not a bind mount needs a type');
});

test('a new cgroup namespace is planned like any other; stage 0 always joins the cgroup first', () => {
  const d = busybox();
  d.linux.namespaces.push({ type: 'cgroup' });
  const p = plan(d);
  assert.deepEqual(p.namespaces.at(-1), { type: 'cgroup', cloneFlag: 0x02000000, configPath: '/linux/namespaces/5' });
  assert.equal(p.cgroupSync, true);
});

// A hybrid host like ours: two v1 hierarchies and the unified one.
const HYBRID_RECORD: CgroupRecord = {
  mode: 'hybrid', path: '/tsrun/c1', ownedFrom: '/tsrun', created: [],
  v1: [
    { mount: '/sys/fs/cgroup/memory', controllers: ['memory'], dir: '/sys/fs/cgroup/memory/tsrun/c1' },
    { mount: '/sys/fs/cgroup/systemd', controllers: ['name=systemd'], dir: '/sys/fs/cgroup/systemd/tsrun/c1' },
  ],
  unified: { mount: '/sys/fs/cgroup/unified', dir: '/sys/fs/cgroup/unified/tsrun/c1' },
};

test('a "cgroup" mount on v1/hybrid: a tmpfs, then per hierarchy a cgroup mount (new cgroup ns) or a bind of its directory; ro last', () => {
  const withMount = (cgroupns: boolean) => {
    const d = busybox();
    d.mounts.push({ destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'] });
    if (cgroupns) d.linux.namespaces.push({ type: 'cgroup' });
    return buildCreatePlan(d as Config, { ...OPTS, cgroup: HYBRID_RECORD }).mounts.slice(3);
  };
  const flags = MS.NOSUID | MS.NOEXEC | MS.NODEV | MS.RELATIME;
  const base = { propagation: [], recAttrSet: 0, recAttrClr: 0, configPath: '/mounts/3' };
  const tmpfs = { ...base, destination: '/sys/fs/cgroup', source: 'tmpfs', type: 'tmpfs', flags, data: 'mode=755' };
  const remount = { ...tmpfs, flags: flags | MS.RDONLY | MS.REMOUNT };
  assert.deepEqual(withMount(true), [
    tmpfs,
    { ...base, destination: '/sys/fs/cgroup/memory', source: 'cgroup', type: 'cgroup', flags: flags | MS.RDONLY, data: 'memory' },
    { ...base, destination: '/sys/fs/cgroup/systemd', source: 'cgroup', type: 'cgroup', flags: flags | MS.RDONLY, data: 'name=systemd' },
    { ...base, destination: '/sys/fs/cgroup/unified', source: 'cgroup2', type: 'cgroup2', flags: flags | MS.RDONLY, data: '' },
    remount,
  ]);
  const bind = flags | MS.RDONLY | MS.BIND | MS.REC;
  assert.deepEqual(withMount(false), [
    tmpfs,
    { ...base, destination: '/sys/fs/cgroup/memory', source: '/sys/fs/cgroup/memory/tsrun/c1', type: '', flags: bind, data: '' },
    { ...base, destination: '/sys/fs/cgroup/systemd', source: '/sys/fs/cgroup/systemd/tsrun/c1', type: '', flags: bind, data: '' },
    { ...base, destination: '/sys/fs/cgroup/unified', source: '/sys/fs/cgroup/unified/tsrun/c1', type: '', flags: bind, data: '' },
    remount,
  ]);
});

test('a "cgroup" mount on v2 is cgroup2', () => {
  const d = busybox();
  d.mounts.push({ destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid'] });
  const v2: CgroupRecord = { mode: 'v2', path: '/tsrun/c1', ownedFrom: '/tsrun', created: [], v1: [], unified: { mount: '/sys/fs/cgroup', dir: '/sys/fs/cgroup/tsrun/c1' } };
  const m = buildCreatePlan(d as Config, { ...OPTS, cgroup: v2 }).mounts[3];
  assert.equal(m.type, 'cgroup2');
  assert.equal(m.flags, MS.NOSUID);
  assert.equal(m.destination, '/sys/fs/cgroup');
});

test('time namespace: offsets become timens_offsets lines and need a new time namespace', () => {
  const d = busybox();
  d.linux.namespaces.push({ type: 'time' });
  d.linux.timeOffsets = { monotonic: { secs: 86400, nanosecs: 5 }, boottime: { secs: -10 } };
  assert.equal(plan(d).timeOffsets, 'monotonic 86400 5\nboottime -10 0\n');
  assert.equal(plan(busybox()).timeOffsets, undefined);
  const e = refusal((x) => { x.linux.timeOffsets = { monotonic: { secs: 1 } }; });
  assert.equal(e.message, 'config.json: /linux/timeOffsets: time offsets need a new time namespace: add {"type": "time"} (without a path) to linux.namespaces');
});

test('user namespaces: a new one needs both mappings; a joined one takes none', () => {
  const userns = (d: Doc) => d.linux.namespaces.push({ type: 'user' });
  const maps = [{ containerID: 0, hostID: 100000, size: 65536 }];
  const ok = busybox();
  userns(ok);
  ok.linux.uidMappings = maps;
  ok.linux.gidMappings = maps;
  // init enters the user namespace first, whatever its place in the config.
  assert.deepEqual(plan(ok).namespaces[0], { type: 'user', cloneFlag: 0x10000000, configPath: '/linux/namespaces/5' });
  assert.deepEqual(plan(ok).namespaces.slice(1).map((n) => n.configPath), [0, 1, 2, 3, 4].map((i) => `/linux/namespaces/${i}`));
  const joined = busybox();
  joined.linux.namespaces.push({ type: 'user', path: '/proc/1/ns/user' });
  assert.deepEqual(plan(joined).namespaces[0], { type: 'user', cloneFlag: 0x10000000, path: '/proc/1/ns/user', configPath: '/linux/namespaces/5' });
  assert.equal(planIdMaps(joined as Config), undefined);
  assert.deepEqual(planIdMaps(ok as Config), { uidMap: '0 100000 65536\n', gidMap: '0 100000 65536\n' });
  assert.throws(() => { const d = busybox(); userns(d); d.linux.gidMappings = maps; planIdMaps(d as Config); },
    { message: 'config.json: /linux/uidMappings: a new user namespace needs at least one uid mapping' });
  assert.throws(() => { const d = busybox(); d.linux.uidMappings = maps; planIdMaps(d as Config); },
    { message: 'config.json: /linux/uidMappings: ID mappings need a new user namespace: add {"type": "user"} to linux.namespaces' });
  assert.throws(() => { const d = busybox(); userns(d); d.linux.uidMappings = [maps[0], { containerID: 10, hostID: 5, size: 1 }]; d.linux.gidMappings = maps; planIdMaps(d as Config); },
    { message: 'config.json: /linux/uidMappings: entries 0 and 1 map overlapping container IDs' });
});

test('idmapped mounts: the maps as uid_map/gid_map text, both required, bind mounts only, in a mount namespace', () => {
  const maps = (c: number, h: number) => [{ containerID: c, hostID: h, size: 1 }];
  const doc = busybox();
  doc.mounts[2].uidMappings = maps(1000, 0);
  doc.mounts[2].gidMappings = maps(2000, 5);
  assert.deepEqual(plan(doc).mounts[2].idmap, { uidMap: '1000 0 1\n', gidMap: '2000 5 1\n', recursive: false });
  doc.mounts[2].options = ['rbind', 'ridmap'];
  assert.equal(plan(doc).mounts[2].idmap?.recursive, true);
  for (const [key, missing] of [['uidMappings', 'gidMappings'], ['gidMappings', 'uidMappings']]) {
    const e = refusal((d) => { d.mounts[2][key] = maps(0, 1000); });
    assert.equal(e.message, `config.json: /mounts/2/${missing}: an idmapped mount needs both uidMappings and gidMappings`);
  }
  const tmpfs = refusal((d) => { d.mounts[1].uidMappings = maps(0, 1); d.mounts[1].gidMappings = maps(0, 1); });
  assert.match(tmpfs.message, /^config.json: \/mounts\/1\/type: an idmapped mount must be a bind mount/);
  // A bare idmap takes the container's user-namespace maps; without them it is refused.
  const bare = refusal((d) => { d.mounts[2].options = ['rbind', 'idmap']; });
  assert.match(bare.message, /^config.json: \/mounts\/2\/options: "idmap" without uidMappings and gidMappings takes the container's user-namespace maps, and the config has none/);
  const withUserns = busybox();
  withUserns.mounts[2].options = ['rbind', 'idmap'];
  withUserns.linux.namespaces.push({ type: 'user' });
  withUserns.linux.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
  withUserns.linux.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
  assert.deepEqual(plan(withUserns).mounts[2].idmap, { uidMap: '0 100000 65536\n', gidMap: '0 100000 65536\n', recursive: false });
  const noMountNs = refusal((d) => {
    d.mounts = [{ destination: '/data', type: 'bind', source: 'data', options: ['rbind'], uidMappings: maps(0, 1), gidMappings: maps(0, 1) }];
    d.linux.namespaces = d.linux.namespaces.filter((n: { type: string }) => n.type !== 'mount');
  });
  assert.match(noMountNs.message, /^config.json: \/mounts\/0: an idmapped mount needs a mount namespace/);
  // Empty mapping lists ask for nothing.
  const empty = busybox();
  empty.mounts[2].uidMappings = [];
  assert.equal(plan(empty).mounts[2].idmap, undefined);
});

test('a refused mount option carries the mount path', () => {
  const e = refusal((d) => { d.mounts[1].options = ['nosuid', 'tmpcopyup']; });
  assert.ok(e instanceof UnsupportedError);
  assert.equal(e.message, 'config.json: /mounts/1/options/1: mount option "tmpcopyup" is not supported by tsrun yet');
});

test('process, args and root.path are required', () => {
  assert.equal(refusal((d) => { delete d.process; }).message, 'config.json: /process: create needs a process to run');
  assert.equal(refusal((d) => { d.process.args = []; }).message, 'config.json: /process/args: must be a non-empty array');
  assert.equal(refusal((d) => { delete d.root; }).message, 'config.json: /root/path: is required on Linux');
});

// One minimal addition per field of src/runtime/support.ts.
const UNSUPPORTED: [string, (d: Doc) => void][] = [
  ['/linux/mountLabel', (d) => { d.linux.mountLabel = 'system_u:object_r:container_file_t:s0'; }],
  ['/linux/intelRdt', (d) => { d.linux.intelRdt = { closID: 'guaranteed_group' }; }],
  ['/windows', (d) => { d.windows = { layerFolders: ['C:\\layers'] }; }],
  ['/solaris', (d) => { d.solaris = {}; }],
  ['/vm', (d) => { d.vm = { hypervisor: { path: '/usr/bin/qemu' }, kernel: { path: '/boot/vmlinuz' } }; }],
  ['/zos', (d) => { d.zos = {}; }],
  ['/freebsd', (d) => { d.freebsd = {}; }],
];

function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('no package.json above the test');
    dir = up;
  }
  return dir;
}

test('the table below covers every field listed in support.ts', () => {
  const source = readFileSync(join(repoRoot(), 'src', 'runtime', 'support.ts'), 'utf8');
  const listed = [...source.matchAll(/\{\s*path:\s*'([^']+)'/g)].map((m) => m[1]);
  assert.ok(listed.length >= 5, `found ${listed.length} fields in support.ts`);
  assert.deepEqual(UNSUPPORTED.map(([p]) => p), listed);
});

test('each unsupported field is refused by create, and the message names its config path', () => {
  for (const [path, add] of UNSUPPORTED) {
    const e = refusal(add);
    assert.ok(e instanceof UnsupportedError, `${path}: ${e.constructor.name}`);
    // intelRdt says first what this host lacks (intel-rdt.test.ts).
    const why = path === '/linux/intelRdt' ? '.*tsrun does not make resctrl groups.*' : 'tsrun does not support this field yet';
    assert.match(e.message, new RegExp(`^config\\.json: ${path}: ${why}; remove it to run this container$`));
  }
});

test('empty or default values of those fields are not refused', () => {
  const doc = busybox();
  doc.process.terminal = false;
  doc.process.user = { uid: 0, gid: 0, additionalGids: [] };
  doc.process.capabilities = {};
  doc.process.rlimits = [];
  doc.process.noNewPrivileges = false;
  doc.hooks = { prestart: [], poststop: [] };
  doc.linux.uidMappings = [];
  doc.linux.devices = [];
  doc.linux.resources = {};
  doc.linux.sysctl = {};
  doc.linux.maskedPaths = [];
  doc.linux.readonlyPaths = [];
  assert.doesNotThrow(() => refuseUnsupported(doc as Config));
  assert.equal(plan(doc).rootfs, '/bundles/busybox/rootfs');
});

test('unsupported fields are checked before anything else', () => {
  const e = refusal((d) => { d.linux.intelRdt = { closID: 'x' }; d.linux.namespaces = []; d.linux.sysctl = { a: 'b' }; });
  // What this host lacks comes first (intel-rdt.test.ts checks each case); tsrun's own gap is always said.
  assert.match(e.message, /^config\.json: \/linux\/intelRdt: .*tsrun does not make resctrl groups.*; remove it to run this container$/);
});

test('linux.devices: added after the defaults, overriding one of the same path, "u" made a char device', () => {
  const doc = busybox();
  doc.linux.devices = [
    { path: '/dev/fuse', type: 'c', major: 10, minor: 229, fileMode: 0o600, uid: 1, gid: 2 },
    { path: '/dev/null', type: 'u', major: 1, minor: 3, fileMode: 0o644 },
    { path: '/dev/pipe0', type: 'p' },
  ];
  const p = plan(doc);
  assert.equal(p.devices.length, 8);
  assert.deepEqual(p.devices.find((d) => d.path === '/dev/null'), {
    path: '/dev/null', type: 'c', major: 1, minor: 3, fileMode: 0o644, uid: 0, gid: 0, configPath: '/linux/devices/1',
  });
  assert.deepEqual(p.devices.at(-2), {
    path: '/dev/fuse', type: 'c', major: 10, minor: 229, fileMode: 0o600, uid: 1, gid: 2, configPath: '/linux/devices/0',
  });
  assert.equal(p.devices.at(-1)?.type, 'p');
});

test('linux.devices: a path outside /dev and a char device without numbers are refused', () => {
  assert.match(refusal((d) => (d.linux.devices = [{ path: '/etc/x', type: 'c', major: 1, minor: 3 }])).message,
    /^config.json: \/linux\/devices\/0\/path: a device must live under \/dev/);
  assert.match(refusal((d) => (d.linux.devices = [{ path: '/dev/x', type: 'b' }])).message,
    /^config.json: \/linux\/devices\/0: a b device needs major and minor numbers/);
});

test('a /dev bind-mounted from the host gets no device setup; otherwise ptmx links to pts/ptmx', () => {
  const bound = busybox();
  bound.mounts[1] = { destination: '/dev', type: 'bind', source: '/dev', options: ['rbind'] };
  assert.deepEqual(plan(bound).devices, []);
  assert.deepEqual(plan(bound).devSymlinks, []);
  assert.deepEqual(plan(busybox()).devSymlinks.at(-1), { path: '/dev/ptmx', target: 'pts/ptmx', replace: true });
});

test('process.user.umask is carried to the plan', () => {
  const doc = busybox();
  doc.process.user.umask = 0o27;
  assert.equal(plan(doc).process.umask, 0o27);
});

test('linux.netDevices: host name to container name (the host\'s when none), a new network namespace required, names checked', () => {
  const doc = busybox();
  doc.linux.netDevices = { veth1: { name: 'eth%d' }, veth2: {} };
  assert.deepEqual(plan(doc).netDevices, [{ hostName: 'veth1', name: 'eth%d' }, { hostName: 'veth2', name: 'veth2' }]);
  const noNetNs = refusal((d) => {
    d.linux.netDevices = { veth1: {} };
    d.linux.namespaces = d.linux.namespaces.filter((n: { type: string }) => n.type !== 'network');
  });
  assert.match(noNetNs.message, /^config.json: \/linux\/netDevices: moving network devices needs a new network namespace/);
  const joined = refusal((d) => {
    d.linux.netDevices = { veth1: {} };
    d.linux.namespaces = d.linux.namespaces.map((n: { type: string }) => (n.type === 'network' ? { type: 'network', path: '/proc/1/ns/net' } : n));
  });
  assert.match(joined.message, /needs a new network namespace/);
  for (const [name, re] of [['a/b', /is not a network device name/], ['sixteen-chars-xx', /1 to 15 bytes/], ['e%s', /only pattern/], ['..', /not "\." or "\.\."/]] as const) {
    assert.match(refusal((d) => { d.linux.netDevices = { veth1: { name } }; }).message, re, name);
  }
  assert.match(refusal((d) => { d.linux.netDevices = { veth1: { name: 'x' }, veth2: { name: 'x' } }; }).message, /two devices would be named x/);
});

test('devices are bind-mounted from the host in or into a user namespace (no mknod there), as runc does', () => {
  const withUser = busybox();
  withUser.linux.namespaces.push({ type: 'user' });
  withUser.linux.uidMappings = [{ containerID: 0, hostID: 1000, size: 1 }];
  withUser.linux.gidMappings = [{ containerID: 0, hostID: 1000, size: 1 }];
  assert.equal(plan(withUser).bindDevices, true, 'into a user namespace');
  assert.equal(plan(busybox(), { host: { ...FAKE_HOST, inUserNs: true } }).bindDevices, true, 'tsrun in one');
  assert.equal(plan(busybox()).bindDevices, false);
});

test('idmapped mounts are refused for a rootless caller, naming the mount', () => {
  const c = busybox();
  c.mounts.push({ destination: '/m', type: 'bind', source: '/srv', options: ['rbind', 'idmap'], uidMappings: [{ containerID: 0, hostID: 1000, size: 1 }], gidMappings: [{ containerID: 0, hostID: 1000, size: 1 }] });
  assert.throws(() => plan(c, { rootless: true }), /config\.json: \/mounts\/3: idmapped mounts are not supported for rootless containers/);
});
