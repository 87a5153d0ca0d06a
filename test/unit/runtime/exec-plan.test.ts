// Unit tests for planning `exec` (src/runtime/exec-plan.ts), reading a
// --process file (src/spec/validate.ts validateProcess) and splitting exec's
// command line (src/cli/exec.ts endExecFlags). No root, no syscalls.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Config, Process } from '../../../src/spec/types.js';
import { ConfigError, validateProcess } from '../../../src/spec/validate.js';
import { buildExecPlan, checkProcessFile, flagFields, processFromFlags } from '../../../src/runtime/exec-plan.js';
import type { HostFacts } from '../../../src/runtime/host.js';
import type { StoredState } from '../../../src/runtime/state.js';
import { TsrunError } from '../../../src/core/errors.js';
import { endExecFlags } from '../../../src/cli/exec.js';

const HOST: HostFacts = { lastCap: 40, capEff: (1n << 41n) - 1n, hardLimits: Array(16).fill(Infinity), apparmorEnabled: false, selinuxEnabled: false };
const OPTS = { host: HOST, warn: () => assert.fail('unexpected warning') };

const base = (): Process => ({
  cwd: '/',
  args: ['sleep', '1000'],
  env: ['PATH=/bin', 'HOME=/root'],
  user: { uid: 0, gid: 0, additionalGids: [1] },
  capabilities: { bounding: ['CAP_KILL'], effective: ['CAP_KILL'], permitted: ['CAP_KILL'], inheritable: ['CAP_KILL'] },
  noNewPrivileges: true,
});

function state(config: Partial<Config>, over: Partial<StoredState> = {}): StoredState {
  return {
    ociVersion: '1.3.0', id: 'c1', pid: 4242, bundle: '/b', rootfs: '/b/rootfs', created: '', owner: '', initStartTime: 1,
    config: { ociVersion: '1.3.0', process: base(), ...config } as Config, ...over,
  };
}

test('processFromFlags: the command replaces args and nothing else changes without flags', () => {
  const p = processFromFlags(base(), { args: ['sh', '-c', 'echo'] });
  assert.deepEqual(p, { ...base(), args: ['sh', '-c', 'echo'], terminal: false });
});

test('processFromFlags: the saved config is not changed', () => {
  const saved = base();
  processFromFlags(saved, { args: ['x'], env: ['A=1'], caps: ['CAP_CHOWN'], additionalGids: ['5'] });
  assert.deepEqual(saved, base());
});

test('processFromFlags: --env appends, --cwd/--apparmor/--process-label replace, --no-new-privs only when given', () => {
  const p = processFromFlags(base(), {
    args: ['true'], env: ['A=1', 'HOME=/tmp'], cwd: '/tmp', apparmor: 'prof', processLabel: 'lbl', noNewPrivs: false,
  });
  assert.deepEqual(p.env, ['PATH=/bin', 'HOME=/root', 'A=1', 'HOME=/tmp']);
  assert.equal(p.cwd, '/tmp');
  assert.equal(p.apparmorProfile, 'prof');
  assert.equal(p.selinuxLabel, 'lbl');
  assert.equal(p.noNewPrivileges, false);
  assert.equal(processFromFlags(base(), { args: ['true'] }).noNewPrivileges, true);
});

test('processFromFlags: --cap goes to bounding, effective and permitted, not inheritable or ambient (runc 1.1)', () => {
  const p = processFromFlags(base(), { args: ['true'], caps: ['CAP_SYS_ADMIN', 'CAP_CHOWN'] });
  const both = ['CAP_KILL', 'CAP_SYS_ADMIN', 'CAP_CHOWN'];
  assert.deepEqual(p.capabilities, { bounding: both, effective: both, permitted: both, inheritable: ['CAP_KILL'] });
  // A config without capabilities gets the sets made.
  const bare = processFromFlags({ cwd: '/', args: ['x'] }, { args: ['true'], caps: ['CAP_KILL'] });
  assert.deepEqual(bare.capabilities, { bounding: ['CAP_KILL'], effective: ['CAP_KILL'], permitted: ['CAP_KILL'] });
});

test('processFromFlags: --user uid[:gid] and --additional-gids', () => {
  const p = processFromFlags(base(), { args: ['true'], user: '1000:1001', additionalGids: ['5', '20'] });
  assert.deepEqual(p.user, { uid: 1000, gid: 1001, additionalGids: [1, 5, 20] });
  assert.deepEqual(processFromFlags(base(), { args: ['true'], user: '7' }).user, { uid: 7, gid: 0, additionalGids: [1] });
});

test('processFromFlags: bad values are refused naming the flag and what would be right', () => {
  const bad = (flags: Parameters<typeof processFromFlags>[1], re: RegExp) =>
    assert.throws(() => processFromFlags(base(), flags), (e: Error) => e instanceof TsrunError && re.test(e.message));
  bad({ args: [] }, /^process args cannot be empty/);
  bad({ args: ['x'], user: 'root' }, /^--user: "root" is not a uid; use <uid>\[:<gid>\]/);
  bad({ args: ['x'], user: '1:g' }, /^--user: "g" is not a gid/);
  bad({ args: ['x'], user: '1:2:3' }, /^--user: "2:3" is not a gid/);
  bad({ args: ['x'], user: '4294967296' }, /is not a uid/);
  bad({ args: ['x'], additionalGids: ['-1'] }, /^--additional-gids: "-1" is not a gid; give a number from 0 to 4294967295/);
  bad({ args: ['x'], cwd: 'tmp' }, /^--cwd: must be an absolute path inside the container \(found "tmp"\)/);
  assert.throws(() => processFromFlags(undefined, { args: ['x'] }), /has no process to start from; use --process/);
});

test('flagFields: the /process fields a flag set, for error messages', () => {
  assert.deepEqual(flagFields({ args: ['x'] }), { '/process/args': '' });
  assert.deepEqual(flagFields({ args: ['x'], cwd: '/t', additionalGids: ['1'], caps: ['C'], noNewPrivs: true }), {
    '/process/args': '', '/process/cwd': '--cwd', '/process/user': '--additional-gids',
    '/process/capabilities': '--cap', '/process/noNewPrivileges': '--no-new-privs',
  });
});

test('checkProcessFile: runc\'s validateProcessSpec rules, with the file\'s own paths', () => {
  assert.deepEqual(checkProcessFile({ cwd: '/', args: ['x'] }, 'p.json'), { cwd: '/', args: ['x'] });
  assert.throws(() => checkProcessFile({ cwd: '/' }, 'p.json'), /^Error: p\.json: \/args: must be a non-empty array$/);
  assert.throws(() => checkProcessFile({ cwd: 'tmp', args: ['x'] }, 'p.json'), /p\.json: \/cwd: must be an absolute path/);
});

test('validateProcess: schema errors name the path inside the process document', () => {
  const err = (doc: unknown) => {
    try {
      validateProcess(doc, 'proc.json');
    } catch (e) {
      assert.ok(e instanceof ConfigError);
      return e.message;
    }
    return assert.fail('expected a ConfigError');
  };
  assert.equal(err({ cwd: '/', args: 'sh' }), 'proc.json: /args: must be an array (found "sh")');
  assert.equal(err({ args: ['sh'] }), 'proc.json: /cwd: required property is missing');
  assert.equal(err({ cwd: '/', args: ['sh'], user: { uid: -1 } }).startsWith('proc.json: /user/uid: '), true);
  assert.equal(err(null), 'proc.json: must be an object (found null)');
  assert.deepEqual(validateProcess({ cwd: '/', args: ['sh'] }, 'proc.json'), { cwd: '/', args: ['sh'] });
});

test('buildExecPlan: every namespace of the config, as the init\'s /proc/<pid>/ns link, joined or new', () => {
  const plan = buildExecPlan(state({
    linux: { namespaces: [{ type: 'pid' }, { type: 'network', path: '/var/run/netns/x' }, { type: 'mount' }, { type: 'user' }, { type: 'uts' }, { type: 'ipc' }, { type: 'cgroup' }, { type: 'time' }] },
  }), base(), OPTS);
  assert.equal(plan.mode, 'exec');
  // The user namespace first (it owns the others), then the config's order.
  assert.deepEqual(plan.namespaces, [
    { type: 'user', cloneFlag: 0x10000000, path: '/proc/4242/ns/user', configPath: '/linux/namespaces/3' },
    { type: 'pid', cloneFlag: 0x20000000, path: '/proc/4242/ns/pid', configPath: '/linux/namespaces/0' },
    { type: 'network', cloneFlag: 0x40000000, path: '/proc/4242/ns/net', configPath: '/linux/namespaces/1' },
    { type: 'mount', cloneFlag: 0x00020000, path: '/proc/4242/ns/mnt', configPath: '/linux/namespaces/2' },
    { type: 'uts', cloneFlag: 0x04000000, path: '/proc/4242/ns/uts', configPath: '/linux/namespaces/4' },
    { type: 'ipc', cloneFlag: 0x08000000, path: '/proc/4242/ns/ipc', configPath: '/linux/namespaces/5' },
    { type: 'cgroup', cloneFlag: 0x02000000, path: '/proc/4242/ns/cgroup', configPath: '/linux/namespaces/6' },
    { type: 'time', cloneFlag: 0x00000080, path: '/proc/4242/ns/time', configPath: '/linux/namespaces/7' },
  ]);
  assert.equal(plan.cgroupSync, false);
  assert.equal(plan.process.noNewPrivileges, true);
  assert.deepEqual(plan.process.args, ['sleep', '1000']);
});

test('buildExecPlan: the container\'s session keyring, unless it was created with --no-new-keyring', () => {
  const ns = { linux: { namespaces: [{ type: 'pid' as const }] } };
  assert.equal(buildExecPlan(state(ns), base(), OPTS).sessionKeyring, 'c1');
  assert.equal(buildExecPlan(state(ns, { noNewKeyring: true }), base(), OPTS).sessionKeyring, undefined);
  assert.equal(buildExecPlan(state(ns), base(), { ...OPTS, preserveFds: 2 }).process.preserveFds, 2);
});

test('endExecFlags: everything after exec\'s container id is the command', () => {
  assert.deepEqual(endExecFlags(['exec', 'c1', 'sh', '-c', 'echo hi']), ['exec', 'c1', '--', 'sh', '-c', 'echo hi']);
  assert.deepEqual(
    endExecFlags(['--root', '/r', 'exec', '-e', 'A=1', '--cwd', '/t', '-d', '--user=1', 'c1', 'ls', '-l']),
    ['--root', '/r', 'exec', '-e', 'A=1', '--cwd', '/t', '-d', '--user=1', 'c1', '--', 'ls', '-l'],
  );
  assert.deepEqual(endExecFlags(['--log-format', 'json', 'exec', '-p', 'p.json', 'c1']), ['--log-format', 'json', 'exec', '-p', 'p.json', 'c1']);
  // Already split, or not exec at all: unchanged.
  assert.deepEqual(endExecFlags(['exec', 'c1', '--', 'ls', '-l']), ['exec', 'c1', '--', 'ls', '-l']);
  assert.deepEqual(endExecFlags(['kill', 'c1', 'KILL']), ['kill', 'c1', 'KILL']);
  assert.deepEqual(endExecFlags(['--root', 'exec', 'list']), ['--root', 'exec', 'list']);
  assert.deepEqual(endExecFlags(['exec', '--help']), ['exec', '--help']);
});
