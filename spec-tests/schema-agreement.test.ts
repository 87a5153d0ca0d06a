// runtime-spec config.md "Configuration" (and config-linux.md), as encoded by the official
// JSON Schema (schema/config-schema.json): our TypeBox schema must give the same verdict
// as the official one on the spec's own fixtures and on targeted mutations of them.
//
// Deliberate differences (spec prose is stricter than the official schema) are listed in
// STRICTER and asserted as such, so any other disagreement fails.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { officialSchemaDir, officialValidator as officialValidatorFor, skipUnlessOfficialSchema } from './official-schema.js';
import { ConfigError, readConfigFile, validateSchema } from '../src/spec/validate.js';

type Doc = Record<string, any>;

const skip = skipUnlessOfficialSchema('config-schema.json');
const officialValidator = () => officialValidatorFor('config-schema.json', /^config-(?!schema).*\.json$/);

const ours = (doc: unknown): boolean => {
  try {
    validateSchema(doc);
    return true;
  } catch (err) {
    if (err instanceof ConfigError) return false;
    throw err;
  }
};

test('official fixtures: same verdict as the official schema', { skip }, () => {
  const official = officialValidator();
  let checked = 0;
  for (const verdict of ['good', 'bad'] as const) {
    const dir = join(officialSchemaDir, 'test', 'config', verdict);
    for (const name of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
      const file = join(dir, name);
      const text = readFileSync(file, 'utf8');
      let doc: unknown;
      try {
        doc = JSON.parse(text);
      } catch {
        // Not JSON (invalid-json.json): the official test rejects it; so must we, with a location.
        assert.equal(verdict, 'bad', `${name} is not valid JSON`);
        assert.throws(() => readConfigFile(file), { name: 'ConfigError', message: /invalid JSON at line \d+, column \d+/ });
        checked++;
        continue;
      }
      const theirs = official(doc);
      assert.equal(theirs, verdict === 'good', `${name}: official schema disagrees with its own fixture`);
      assert.equal(ours(doc), theirs, `${name}: official ${theirs ? 'accepts' : 'rejects'}, we ${theirs ? 'reject' : 'accept'}`);
      checked++;
    }
  }
  assert.ok(checked >= 10, `only ${checked} fixtures found`);
});

interface Mutation {
  name: string;
  base?: string; // fixture under good/, default spec-example.json
  apply(d: Doc): void;
}

const MUTATIONS: Mutation[] = [
  // wrong types
  { name: 'ociVersion number', apply: (d) => (d.ociVersion = 1) },
  { name: 'root.readonly string', apply: (d) => (d.root.readonly = 'yes') },
  { name: 'process.args string', apply: (d) => (d.process.args = 'sh') },
  { name: 'process.terminal string', apply: (d) => (d.process.terminal = 'true') },
  { name: 'process.env not strings', apply: (d) => (d.process.env = [1]) },
  { name: 'capabilities.bounding string', apply: (d) => (d.process.capabilities.bounding = 'CAP_KILL') },
  { name: 'additionalGids string items', apply: (d) => (d.process.user.additionalGids = ['5']) },
  { name: 'oomScoreAdj fraction', apply: (d) => (d.process.oomScoreAdj = 1.5) },
  { name: 'hostname number', apply: (d) => (d.hostname = 3) },
  { name: 'mount options string', apply: (d) => (d.mounts[0].options = 'ro') },
  { name: 'memory.limit string', apply: (d) => (d.linux.resources.memory.limit = '1G') },
  { name: 'uidMappings size string', apply: (d) => (d.linux.uidMappings[0].size = 'x') },
  { name: 'sysctl value number', apply: (d) => (d.linux.sysctl['net.core.somaxconn'] = 256) },
  { name: 'unified value number', apply: (d) => (d.linux.resources.unified = { 'memory.max': 1 }) },
  { name: 'annotation with empty key is not checked', apply: (d) => (d.annotations[''] = 5) },
  { name: 'netDevices name number', base: 'linux-netdevice.json', apply: (d) => (d.linux.netDevices.ens4.name = 4) },
  { name: 'rdma hcaObjects negative', base: 'linux-rdma.json', apply: (d) => (d.linux.resources.rdma.rxe3.hcaObjects = -1) },
  // enums and patterns
  { name: 'namespace type typo', apply: (d) => (d.linux.namespaces[1].type = 'pidd') },
  { name: 'seccomp defaultAction', apply: (d) => (d.linux.seccomp.defaultAction = 'SCMP_ACT_FOO') },
  { name: 'seccomp arch', apply: (d) => d.linux.seccomp.architectures.push('SCMP_ARCH_Z80') },
  { name: 'seccomp flag', apply: (d) => (d.linux.seccomp.flags = ['SECCOMP_FILTER_FLAG_BOGUS']) },
  { name: 'seccomp arg operator', apply: (d) => (d.linux.seccomp.syscalls[0].args = [{ index: 0, value: 1, op: 'SCMP_CMP_XX' }]) },
  { name: 'seccomp arg ok', apply: (d) => (d.linux.seccomp.syscalls[0].args = [{ index: 1, value: 2, valueTwo: 3, op: 'SCMP_CMP_MASKED_EQ' }]) },
  { name: 'rootfsPropagation rprivate', apply: (d) => (d.linux.rootfsPropagation = 'rprivate') },
  { name: 'ioPriority class', apply: (d) => (d.process.ioPriority = { class: 'IOPRIO_CLASS_XX' }) },
  { name: 'scheduler flag', apply: (d) => (d.process.scheduler = { policy: 'SCHED_FIFO', flags: ['SCHED_FLAG_NOPE'] }) },
  { name: 'scheduler deadline ok', apply: (d) => (d.process.scheduler = { policy: 'SCHED_DEADLINE', runtime: 1, deadline: 2, period: 3 }) },
  { name: 'rlimit type pattern', apply: (d) => (d.process.rlimits[0].type = 'NOFILE') },
  { name: 'execCPUAffinity pattern', apply: (d) => (d.process.execCPUAffinity = { initial: '0-3,x' }) },
  { name: 'execCPUAffinity ok', apply: (d) => (d.process.execCPUAffinity = { initial: '0-3, 7', final: '1' }) },
  { name: 'device type pattern', apply: (d) => (d.linux.devices[0].type = 'x') },
  { name: 'hugepage pageSize lowercase', apply: (d) => (d.linux.resources.hugepageLimits[0].pageSize = '2mb') },
  { name: 'intelRdt memBwSchema pattern', apply: (d) => (d.linux.intelRdt = { memBwSchema: 'L3:0=ff' }) },
  { name: 'memoryPolicy mode', apply: (d) => (d.linux.memoryPolicy = { mode: 'MPOL_X' }) },
  { name: 'memoryPolicy ok', apply: (d) => (d.linux.memoryPolicy = { mode: 'MPOL_BIND', nodes: '0-1', flags: ['MPOL_F_STATIC_NODES'] }) },
  { name: 'personality domain', apply: (d) => (d.linux.personality = { domain: 'LINUX64' }) },
  { name: 'freebsd host disable', apply: (d) => (d.freebsd = { jail: { host: 'disable' } }) },
  { name: 'zos namespace network', apply: (d) => (d.zos = { namespaces: [{ type: 'network' }] }) },
  // missing required fields
  { name: 'no ociVersion', apply: (d) => delete d.ociVersion },
  { name: 'no root.path', apply: (d) => delete d.root.path },
  { name: 'no process.cwd', apply: (d) => delete d.process.cwd },
  { name: 'no rlimit soft', apply: (d) => delete d.process.rlimits[0].soft },
  { name: 'consoleSize without width', apply: (d) => (d.process.consoleSize = { height: 24 }) },
  { name: 'namespace without type', apply: (d) => d.linux.namespaces.push({ path: '/proc/1/ns/net' }) },
  { name: 'no uidMapping hostID', apply: (d) => delete d.linux.uidMappings[0].hostID },
  { name: 'no seccomp defaultAction', apply: (d) => delete d.linux.seccomp.defaultAction },
  { name: 'seccomp syscall names empty', apply: (d) => (d.linux.seccomp.syscalls[0].names = []) },
  { name: 'pids without limit', apply: (d) => (d.linux.resources.pids = {}) },
  { name: 'device cgroup without allow', apply: (d) => delete d.linux.resources.devices[0].allow },
  { name: 'weightDevice without major', apply: (d) => delete d.linux.resources.blockIO.weightDevice[0].major },
  { name: 'hook without path', apply: (d) => delete d.hooks.prestart[0].path },
  { name: 'mount without destination', apply: (d) => delete d.mounts[0].destination },
  { name: 'windows without layerFolders', apply: (d) => (d.windows = {}) },
  { name: 'vm without kernel', apply: (d) => (d.vm = {}) },
  // integer ranges
  { name: 'uid -1', apply: (d) => (d.process.user.uid = -1) },
  { name: 'uid 2^32', apply: (d) => (d.process.user.uid = 4294967296) },
  { name: 'uid max', apply: (d) => (d.process.user.uid = 4294967295) },
  { name: 'fileMode 512', apply: (d) => (d.linux.devices[0].fileMode = 512) },
  { name: 'major 1e19', apply: (d) => (d.linux.devices[0].major = 1e19) },
  { name: 'blockIO weight 70000', apply: (d) => (d.linux.resources.blockIO.weight = 70000) },
  { name: 'swappiness -1', apply: (d) => (d.linux.resources.memory.swappiness = -1) },
  { name: 'rlimit hard fraction', apply: (d) => (d.process.rlimits[0].hard = 1.5) },
  { name: 'hook timeout 0', apply: (d) => (d.hooks.poststart[0].timeout = 0) },
  { name: 'timeOffsets nanosecs -1', apply: (d) => (d.linux.timeOffsets.monotonic.nanosecs = -1) },
  { name: 'ioPriority priority 2^31', apply: (d) => (d.process.ioPriority = { class: 'IOPRIO_CLASS_BE', priority: 2147483648 }) },
  { name: 'freebsd enforceStatfs 256', apply: (d) => (d.freebsd = { jail: { enforceStatfs: 256 } }) },
  // extra or optional fields that are allowed
  { name: 'top-level extension', apply: (d) => (d['org.example.ext'] = { a: [1] }) },
  { name: 'unknown field in process.user', apply: (d) => (d.process.user.extra = true) },
  { name: 'namespace with path', apply: (d) => (d.linux.namespaces = [{ type: 'network', path: '/var/run/netns/x' }]) },
  { name: 'idmapped mount', apply: (d) => (d.mounts[0].uidMappings = [{ containerID: 0, hostID: 1000, size: 1 }]) },
  { name: 'negative memory limit', apply: (d) => (d.linux.resources.memory.limit = -1) },
  { name: 'windows layerFolders ok', apply: (d) => (d.windows = { layerFolders: ['C:\\layers\\1'] }) },
  { name: 'no root (optional in the schema)', base: 'minimal.json', apply: (d) => delete d.root },
];

// Spec prose MUSTs the official schema does not encode: we reject, the official schema accepts.
const STRICTER: Mutation[] = [
  { name: 'process.args empty (config.md: at least one entry is REQUIRED)', apply: (d) => (d.process.args = []) },
  { name: 'ociVersion not SemVer (config.md: MUST be in SemVer v2.0.0 format)', apply: (d) => (d.ociVersion = 'v1.0') },
  { name: 'process.cwd relative (config.md: This value MUST be an absolute path)', apply: (d) => (d.process.cwd = 'tmp') },
  { name: 'process.env entry without "=" (config.md: environ, IEEE Std 1003.1-2008 XBD 8.1: name=value)', apply: (d) => d.process.env.push('NOEQ') },
  { name: 'process.env entry with an empty name (environ: name=value)', apply: (d) => d.process.env.push('=empty') },
  { name: 'hook env entry without "=" (config.md: environ)', apply: (d) => (d.hooks.prestart[0].env = ['NOEQ']) },
  { name: 'mount destination "" (config.md: a path inside the container; "" is no path)', apply: (d) => (d.mounts[0].destination = '') },
  // A NUL ends every string the kernel or C reads: the rest would be silently cut.
  { name: 'NUL in process.args', apply: (d) => (d.process.args[0] = 'sh\u0000x') },
  { name: 'NUL in a mount destination', apply: (d) => (d.mounts[0].destination = '/proc\u0000x') },
  { name: 'NUL in linux.cgroupsPath', apply: (d) => (d.linux.cgroupsPath = '/a\u0000b') },
  { name: 'NUL in a sysctl key', apply: (d) => (d.linux.sysctl = { 'net.a\u0000b': '1' }) },
];

// Strings tsrun only passes on as JSON may hold NUL: both schemas accept them.
const SAME_WITH_NUL: Mutation[] = [
  { name: 'NUL in an annotation', apply: (d) => (d.annotations['com.example.key1'] = 'v\u0000') },
  { name: 'NUL in an unknown property', apply: (d) => (d['org.example.ext'] = 'x\u0000y') },
];

function mutated(m: Mutation): Doc {
  const doc = JSON.parse(readFileSync(join(officialSchemaDir, 'test', 'config', 'good', m.base ?? 'spec-example.json'), 'utf8')) as Doc;
  m.apply(doc);
  return doc;
}

test('targeted mutations of the good fixtures: same verdict as the official schema', { skip }, () => {
  const official = officialValidator();
  const verdicts = { accepted: 0, rejected: 0 };
  const disagreements: string[] = [];
  for (const m of MUTATIONS) {
    const doc = mutated(m);
    const theirs = official(doc);
    verdicts[theirs ? 'accepted' : 'rejected']++;
    if (ours(doc) !== theirs) disagreements.push(`${m.name}: official ${theirs ? 'accepts' : 'rejects'}, we ${theirs ? 'reject' : 'accept'}`);
  }
  assert.deepEqual(disagreements, []);
  // Guard against a mutation list that silently stopped exercising one side.
  assert.ok(verdicts.accepted >= 5 && verdicts.rejected >= 30, JSON.stringify(verdicts));

  for (const m of SAME_WITH_NUL) {
    const doc = mutated(m);
    assert.equal(official(doc), true, m.name);
    assert.equal(ours(doc), true, m.name);
  }
  for (const m of STRICTER) {
    const doc = mutated(m);
    assert.equal(official(doc), true, `${m.name}: official schema now rejects it; move it to MUTATIONS`);
    assert.equal(ours(doc), false, `${m.name}: we should reject it`);
  }
});
