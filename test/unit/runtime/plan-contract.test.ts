// The plan contract between TS and tsrun-init (src/runtime/plan-schema.ts):
// the checked-in C++ (native/init/plan.h, plan-decode.cc, plan-dump.cc) is
// what scripts/gen-plan.js makes from the schema today, and plans encoded by
// TS come out of init's decoder (tsrun-plan-check, built beside tsrun-init)
// as the same structs; unknown, missing and mistyped keys are refused by name.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from '../../../src/spec/types.js';
import { buildCreatePlan, type CreatePlan } from '../../../src/runtime/plan.js';
import { buildExecPlan, type ExecPlan } from '../../../src/runtime/exec-plan.js';
import type { StoredState } from '../../../src/runtime/state.js';
import { initBinaryPath } from '../../../src/core/native.js';
import { encode, type WireValue } from '../../../src/runtime/wire.js';
import { PLAN_VERSION } from '../../../src/runtime/plan-version.js';
import type { HostFacts } from '../../../src/runtime/host.js';

const repo = fileURLToPath(new URL('../../../..', import.meta.url));
const checker = path.join(path.dirname(initBinaryPath()), 'tsrun-plan-check');
const HOST: HostFacts = {
  lastCap: 40, capEff: (1n << 41n) - 1n, hardLimits: Array(16).fill(Infinity), apparmorEnabled: false, selinuxEnabled: false,
  onlineNodes: [0],
};

/** What init's decoder gives back for a wire-encoded plan: its JSON dump, or the error line. */
function decodeInInit(plan: WireValue): { ok: true; value: unknown } | { ok: false; error: string } {
  const r = spawnSync(checker, [], { input: encode(plan), encoding: 'utf8' });
  if (r.error) throw r.error;
  if (r.status === 0) return { ok: true, value: JSON.parse(r.stdout) };
  assert.equal(r.status, 1, `tsrun-plan-check: ${r.stderr}`);
  return { ok: false, error: r.stderr.trim() };
}

/** The plan as the dump shows it: no undefined keys, bigints as decimal strings, bytes as hex. */
function normalize(v: unknown): unknown {
  if (typeof v === 'bigint') return v.toString();
  if (Buffer.isBuffer(v)) return v.toString('hex');
  if (Array.isArray(v)) return v.map(normalize);
  if (v && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined).map(([k, x]) => [k, normalize(x)]));
  }
  return v;
}

function roundTrip(plan: CreatePlan | ExecPlan): void {
  const out = decodeInInit(plan);
  assert.ok(out.ok, out.ok ? '' : out.error);
  assert.deepEqual(out.value, normalize(plan));
}

/** A config that reaches every optional field of the create plan. */
function fullConfig(): Config {
  return {
    ociVersion: '1.3.0',
    root: { path: 'rootfs', readonly: true },
    hostname: 'box',
    domainname: 'example.org',
    process: {
      cwd: '/work', args: ['sh', '-c', 'echo "hi"\tthere'], env: ['PATH=/bin', 'A=ü'], terminal: true, consoleSize: { height: 24, width: 80 },
      user: { uid: 1000, gid: 1000, umask: 0o027, additionalGids: [5, 6] },
      capabilities: { bounding: ['CAP_CHOWN', 'CAP_SYS_ADMIN'], effective: ['CAP_CHOWN'], permitted: ['CAP_CHOWN'] },
      rlimits: [{ type: 'RLIMIT_NOFILE', soft: 1024, hard: 4096 }],
      noNewPrivileges: true, oomScoreAdj: -17, apparmorProfile: undefined,
      scheduler: { policy: 'SCHED_BATCH', nice: 5 },
      ioPriority: { class: 'IOPRIO_CLASS_BE', priority: 3 },
      execCPUAffinity: { initial: '0', final: '0-1' },
    },
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      { destination: '/data', type: 'bind', source: '/srv/data', options: ['rbind', 'ro', 'rprivate'], uidMappings: [{ containerID: 0, hostID: 1000, size: 1 }], gidMappings: [{ containerID: 0, hostID: 1000, size: 1 }] },
    ],
    hooks: { createContainer: [{ path: '/bin/true', args: ['true', 'x'], env: ['X=1'], timeout: 5 }], startContainer: [{ path: '/bin/true' }] },
    linux: {
      namespaces: [{ type: 'pid' }, { type: 'mount' }, { type: 'uts' }, { type: 'network' }, { type: 'time' }, { type: 'user' }],
      uidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }],
      gidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }],
      timeOffsets: { monotonic: { secs: 10, nanosecs: 5 } },
      sysctl: { 'net.ipv4.ip_forward': '1' },
      readonlyPaths: ['/proc/sys'], maskedPaths: ['/proc/kcore'],
      devices: [{ path: '/dev/fuse', type: 'c', major: 10, minor: 229, fileMode: 0o600, uid: 0, gid: 0 }],
      personality: { domain: 'LINUX32' },
      rootfsPropagation: 'shared',
      netDevices: { dummy0: { name: 'eth9' } },
    },
  } as Config;
}

function fullCreatePlan(): CreatePlan {
  return buildCreatePlan(fullConfig(), {
    id: 'c1', bundle: '/bundles/b', fifoPath: '/run/tsrun/c1/exec.fifo', host: HOST, warn: () => {},
    inheritedNofile: [1024, 524288], preserveFds: 2, pidfdSocket: true, isOwnNamespace: () => false,
  });
}

test('the checked-in plan.h, plan-decode.cc and plan-dump.cc are what scripts/gen-plan.js makes from plan-schema.ts', async () => {
  const { generate } = await import(new URL('../../../../scripts/gen-plan.js', import.meta.url).href);
  const files: Record<string, string> = await generate();
  for (const [rel, text] of Object.entries(files)) {
    assert.equal(readFileSync(path.join(repo, rel), 'utf8'), text, `${rel} is out of date: run npm run gen:plan and rebuild`);
  }
});

test('a create plan with every kind of field comes out of init\'s decoder as TS encoded it', () => {
  const plan = fullCreatePlan();
  // The config reached the optional parts this test is about.
  assert.ok(plan.mounts[1].idmap && plan.process.scheduler && plan.process.consoleSize && plan.hostname && plan.timeOffsets);
  assert.ok(plan.process.oomScoreAdj !== undefined && plan.process.ioPriority !== undefined && plan.process.personality !== undefined);
  assert.equal(plan.process.inheritedNofile, undefined, 'rlimits set RLIMIT_NOFILE: nothing to restore');
  roundTrip(plan);
  // Bytes, 64-bit masks and the pieces only some plans have.
  const more: CreatePlan = {
    ...plan,
    hostMountRecord: '/run/tsrun/c1/host-mounts',
    cgroupInto: { mount: '/sys/fs/cgroup', path: 'tsrun/c1', configPath: '/linux/cgroupsPath' },
    process: {
      ...plan.process,
      inheritedNofile: [1024, 1048576],
      capabilities: { ...plan.process.capabilities, bounding: (1n << 63n) - 1n },
      rlimits: [{ type: 7, soft: -1n, hard: -1n, configPath: '/process/rlimits/0' }],
      seccomp: { bpf: Buffer.from([0x06, 0, 0, 0, 0, 0, 0xff, 0x7f]), flags: 4, notify: true, listenerPath: '/run/l.sock', listenerMetadata: 'meta' },
      memoryPolicy: { mode: 0x8001, nodes: [0, 3] },
      apparmorProfile: 'tsrun-default',
      selinuxLabel: 'system_u:system_r:container_t:s0',
    },
  };
  roundTrip(more);
});

test('an exec plan comes out of init\'s decoder as TS encoded it; the user namespace is joined first', () => {
  const config = fullConfig();
  const state = { id: 'c1', pid: 4242, config, noNewKeyring: false, cgroup: undefined } as unknown as StoredState;
  const plan = buildExecPlan(state, config.process!, { host: HOST, warn: () => {} });
  assert.equal(plan.namespaces[0].type, 'user');
  assert.equal(plan.version, PLAN_VERSION);
  roundTrip(plan);
  roundTrip({ ...plan, chrootFrom: '/proc/4242/root', sessionKeyring: undefined });
  // exec --cgroup: the sub-cgroup stage 0 clones the process into.
  const cgroup = { v1: [], unified: { mount: '/sys/fs/cgroup', dir: '/sys/fs/cgroup/tsrun/c1/sub' } };
  // With a user namespace stage 0 cannot clone into the cgroup (placement.ts cloneTarget): the parent moves it in.
  assert.equal(buildExecPlan(state, config.process!, { host: HOST, warn: () => {}, cgroup }).cgroupInto, undefined);
  const noUserns = { ...state, config: { ...config, linux: { ...config.linux, namespaces: config.linux!.namespaces!.filter((n) => n.type !== 'user') } } } as StoredState;
  const placed = buildExecPlan(noUserns, config.process!, { host: HOST, warn: () => {}, cgroup });
  assert.deepEqual(placed.cgroupInto, { mount: '/sys/fs/cgroup', path: 'tsrun/c1/sub', configPath: '' });
  roundTrip(placed);
});

test('init refuses an unknown, a missing or a mistyped key, naming it', () => {
  const refused = (plan: WireValue, error: string) => {
    const out = decodeInInit(plan);
    assert.equal(out.ok, false, `expected ${error}`);
    assert.equal(out.ok ? '' : out.error, error);
  };
  const plan = fullCreatePlan() as unknown as Record<string, any>;
  const change = (edit: (p: Record<string, any>) => void) => {
    const p = structuredClone(plan);
    edit(p);
    return p;
  };
  refused(change((p) => (p.readonlyRot = true)), '/readonlyRot: is not a key of the plan this tsrun-init takes');
  refused(change((p) => (p.process.capabilities.boundng = 1n)), '/process/capabilities/boundng: is not a key of the plan this tsrun-init takes');
  refused(change((p) => delete p.readonlyRoot), '/readonlyRoot: is missing');
  refused(change((p) => delete p.mounts[1].idmap.uidMap), '/mounts/1/idmap/uidMap: is missing');
  refused(change((p) => (p.readonlyRoot = 1)), '/readonlyRoot: must be a boolean, not an integer');
  refused(change((p) => (p.process.umask = '022')), '/process/umask: must be an integer, not a string');
  refused(change((p) => (p.namespaces = {})), '/namespaces: must be an array, not a map');
  refused(change((p) => (p.process.args[1] = 7)), '/process/args/1: must be a string, not an integer');
  refused(change((p) => (p.hostname = null)), '/hostname: must be a string, not null');
  refused(change((p) => (p.process.inheritedNofile = [1])), '/process/inheritedNofile: must have 2 items, not 1');
  refused(change((p) => (p.devices[0].type = 'x')), '/devices/0/type: "x" is not one of the values the plan allows');
  refused(change((p) => (p.rootfs = 'a\0b')), '/rootfs: must not contain a NUL byte');
  refused(change((p) => (p.version = PLAN_VERSION + 1)), `/version: is ${PLAN_VERSION + 1}; this tsrun-init takes ${PLAN_VERSION}`);
  refused(change((p) => delete p.version), '/version: is missing');
  refused(change((p) => (p.mode = 'restore')), '/mode: "restore" is not "create" or "exec"');
  refused([], '/mode: must be "create" or "exec"');
  // A key of the create plan is unknown to the exec plan.
  refused({ ...(buildExecPlan({ id: 'c1', pid: 1, config: fullConfig(), noNewKeyring: true } as unknown as StoredState, fullConfig().process!, { host: HOST, warn: () => {} }) as unknown as Record<string, WireValue>), rootfs: '/' }, '/rootfs: is not a key of the plan this tsrun-init takes');
});
