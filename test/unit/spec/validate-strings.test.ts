// Unit tests for the strings validation refuses (src/spec/schema.ts, validate.ts):
// NUL bytes, env entries that are not NAME=value, a relative process.cwd, an
// empty mount destination, absurd nesting; and the same checks for `exec`'s
// flags and --process file. No root needed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigSchema, NO_NUL } from '../../../src/spec/schema.js';
import { ConfigError, MAX_JSON_DEPTH, readConfigFile, readProcessFile, validateConfig } from '../../../src/spec/validate.js';
import { processFromFlags } from '../../../src/runtime/exec-plan.js';
import { TsrunError } from '../../../src/core/errors.js';

type Doc = Record<string, any>;

/** A config with a string in (nearly) every place tsrun reads one. */
function rich(): Doc {
  return {
    ociVersion: '1.3.0',
    root: { path: 'rootfs' },
    process: {
      cwd: '/srv', args: ['/bin/sh', '-c', 'true'], env: ['PATH=/bin', 'A=='],
      user: { uid: 0, gid: 0, username: 'root' },
      capabilities: { bounding: ['CAP_KILL'] }, apparmorProfile: 'prof', selinuxLabel: 'lbl',
      rlimits: [{ type: 'RLIMIT_NOFILE', soft: 1, hard: 1 }], execCPUAffinity: { initial: '0' },
    },
    hostname: 'h', domainname: 'd',
    mounts: [{ destination: '/data', source: '/src', type: 'bind', options: ['rbind', 'ro'] }],
    hooks: {
      prestart: [{ path: '/bin/pre', args: ['pre', 'x'], env: ['K=v'] }],
      startContainer: [{ path: '/bin/start' }],
    },
    linux: {
      namespaces: [{ type: 'network', path: '/run/netns/n' }, { type: 'mount' }],
      devices: [{ type: 'c', path: '/dev/fuse', major: 10, minor: 229 }],
      cgroupsPath: '/tsrun/c1',
      sysctl: { 'net.core.somaxconn': '256' },
      resources: {
        unified: { 'memory.high': '1G' }, rdma: { mlx5_1: { hcaHandles: 1 } },
        cpu: { cpus: '0-1', mems: '0' }, hugepageLimits: [{ pageSize: '2MB', limit: 1 }],
        devices: [{ allow: true, type: 'c', access: 'rwm' }],
      },
      netDevices: { eth0: { name: 'eth1' } },
      seccomp: { defaultAction: 'SCMP_ACT_ALLOW', listenerPath: '/run/l.sock', syscalls: [{ names: ['getcwd'], action: 'SCMP_ACT_ERRNO' }] },
      maskedPaths: ['/proc/kcore'], readonlyPaths: ['/proc/sys'], mountLabel: 'ml',
      intelRdt: { closID: 'c', memBwSchema: 'MB:0=70' },
      personality: { domain: 'LINUX', flags: ['f'] },
    },
  };
}

/** Every string leaf of doc, as [JSON pointer, parent, key]. */
function strings(doc: Doc, skip: RegExp): [string, any, string | number][] {
  const out: [string, any, string | number][] = [];
  const walk = (v: any, ptr: string) => {
    if (Array.isArray(v)) v.forEach((x, i) => (typeof x === 'string' ? out.push([`${ptr}/${i}`, v, i]) : walk(x, `${ptr}/${i}`)));
    else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        const p = `${ptr}/${k}`;
        if (skip.test(p)) continue;
        if (typeof x === 'string') out.push([p, v, k]);
        else walk(x, p);
      }
    }
  };
  walk(doc, '');
  return out;
}

function rejection(doc: Doc): ConfigError {
  try {
    validateConfig(doc);
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    return e;
  }
  assert.fail('expected a ConfigError');
}

test('the rich config is valid as it is', () => {
  validateConfig(rich());
});

test('a NUL in any string tsrun uses is refused, naming its JSON pointer and what the kernel would have read', () => {
  // ociVersion and the enums refuse NUL through their own pattern or enum (checked below).
  const skip = /^\/ociVersion$|\/(type|defaultAction|action|domain)$/;
  const count = strings(rich(), skip).length;
  assert.ok(count >= 40, `only ${count} strings`);
  for (let i = 0; i < count; i++) {
    const doc = rich();
    const [ptr, parent, key] = strings(doc, skip)[i]!;
    const kept = String(parent[key]).slice(0, 2);
    parent[key] = `${kept}\u0000tail`;
    const e = rejection(doc);
    assert.equal(e.path, ptr, `${ptr}: ${e.message}`);
    assert.ok(e.reason.endsWith(`holds a NUL byte (\\u0000) at offset ${kept.length}: the kernel would read only ${JSON.stringify(kept)}; remove it`), e.message);
  }
});

test('a NUL in a key that names a file, interface or kernel key is refused at the map, naming the key', () => {
  const cases: [string, (d: Doc) => void][] = [
    ['/linux/sysctl', (d) => (d.linux.sysctl = { 'net.a\u0000b': '1' })],
    ['/linux/resources/unified', (d) => (d.linux.resources.unified = { 'memory.max\u0000x': '1' })],
    ['/linux/resources/rdma', (d) => (d.linux.resources.rdma = { 'mlx\u00005': {} })],
    ['/linux/netDevices', (d) => (d.linux.netDevices = { 'eth\u00000': {} })],
  ];
  for (const [ptr, mutate] of cases) {
    const doc = rich();
    mutate(doc);
    const e = rejection(doc);
    assert.equal(e.path, ptr);
    assert.match(e.reason, /^the key ".*\\u0000.*" holds a NUL byte/);
    assert.ok(!e.message.includes('\u0000'), 'the message itself holds no raw NUL');
  }
});

test('what tsrun only passes on as JSON may hold NUL: annotations, seccomp listenerMetadata, unknown properties', () => {
  const doc = rich();
  doc.annotations = { 'k\u0000': 'v\u0000' };
  doc.linux.seccomp.listenerMetadata = 'm\u0000';
  doc['org.example.ext'] = { s: 'x\u0000y' };
  doc.process.user.extra = 'x\u0000y';
  validateConfig(doc);
});

test("every string pattern in the schema refuses NUL, wherever it is", () => {
  // A valid example of each pattern the schema uses.
  const examples: Record<string, string> = {
    [NO_NUL]: 'x',
    '^[^=\\u0000]+=[^\\u0000]*$': 'A=b',
    '^/[^\\u0000]*$': '/srv',
    '^RLIMIT_[A-Z]+$': 'RLIMIT_NOFILE',
    '^[0-9, -]*$': '0-3, 7',
    '^[cbup]$': 'c',
    '^[1-9][0-9]*[KMG]B$': '2MB',
    '^MB:[^\\n\\u0000]*$': 'MB:0=70',
  };
  const patterns = new Set<string>();
  const walk = (v: unknown) => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if (k === 'pattern' && typeof x === 'string') patterns.add(x);
        else walk(x);
      }
    }
  };
  walk(ConfigSchema);
  for (const p of patterns) {
    if (p.startsWith('^(0|[1-9][0-9]*)\\.')) continue; // SemVer: checked below
    const example = examples[p];
    assert.ok(example !== undefined, `no example for the pattern ${p}: add one`);
    const re = new RegExp(p, 'u');
    assert.ok(re.test(example), `${p} accepts ${example}`);
    for (let i = 0; i <= example.length; i++) {
      const withNul = `${example.slice(0, i)}\u0000${example.slice(i)}`;
      assert.ok(!re.test(withNul), `${p} refuses ${JSON.stringify(withNul)}`);
    }
  }
  assert.equal(rejection({ ...rich(), ociVersion: '1.3.0\u0000' }).path, '/ociVersion');
});

test('env entries must be NAME=value with a non-empty NAME (process.env and hooks\' env), as runc requires', () => {
  for (const bad of ['NOEQ', '=empty', '']) {
    const doc = rich();
    doc.process.env.push(bad);
    const e = rejection(doc);
    assert.equal(e.path, '/process/env/2');
    assert.equal(e.reason, `must be NAME=value, with a non-empty NAME that holds no "=" (e.g. "PATH=/bin") (found ${JSON.stringify(bad)})`);
    const hook = rich();
    hook.hooks.prestart[0].env.push(bad);
    assert.equal(rejection(hook).path, '/hooks/prestart/0/env/1');
  }
  const ok = rich();
  ok.process.env.push('A=', 'B==c', 'lower_case.dots-ok=1');
  validateConfig(ok);
});

test('process.cwd must be absolute (config.md: "This value MUST be an absolute path")', () => {
  for (const cwd of ['tmp', '', './x', 'srv/']) {
    const doc = rich();
    doc.process.cwd = cwd;
    const e = rejection(doc);
    assert.equal(e.path, '/process/cwd');
    assert.equal(e.reason, `must be an absolute path inside the container, such as "/" or "/srv" (found ${JSON.stringify(cwd)})`);
  }
});

test('a mount destination must not be empty; a relative one is still taken from "/" (config.md, deprecated)', () => {
  const doc = rich();
  doc.mounts[0].destination = '';
  const e = rejection(doc);
  assert.equal(e.path, '/mounts/0/destination');
  assert.equal(e.reason, 'must not be empty');
  const relative = rich();
  relative.mounts[0].destination = 'data';
  validateConfig(relative);
});

/** `levels` arrays inside each other under the unknown key /x, the document itself being level 1. */
function nested(levels: number): Doc {
  const doc = rich();
  let inner: unknown[] = [];
  doc.x = inner;
  for (let i = 2; i < levels; i++) {
    const next: unknown[] = [];
    inner.push(next);
    inner = next;
  }
  return doc;
}

test(`nesting: ${MAX_JSON_DEPTH} levels pass, one more is refused by name, 50,000 give no stack overflow`, () => {
  validateConfig(nested(MAX_JSON_DEPTH));
  for (const levels of [MAX_JSON_DEPTH + 1, 50_000]) {
    const e = rejection(nested(levels));
    assert.equal(e.path, '/x');
    assert.equal(e.reason, `arrays and objects are nested more than ${MAX_JSON_DEPTH} levels deep; tsrun allows at most ${MAX_JSON_DEPTH} (a runtime-spec config needs fewer than 10)`);
  }
});

test('the file is named: 50,000 levels of JSON text under an unknown key in config.json', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsrun-validate-strings-'));
  try {
    const file = join(dir, 'config.json');
    writeFileSync(file, JSON.stringify(rich()).replace(/}$/, `,"x":${'['.repeat(50_000)}${']'.repeat(50_000)}}`));
    assert.throws(() => readConfigFile(file), (e: Error) => {
      assert.ok(e instanceof ConfigError);
      assert.equal(e.message, `${file}: /x: arrays and objects are nested more than ${MAX_JSON_DEPTH} levels deep; tsrun allows at most ${MAX_JSON_DEPTH} (a runtime-spec config needs fewer than 10)`);
      return true;
    });
    // exec --process: the file's own pointers.
    const proc = join(dir, 'process.json');
    writeFileSync(proc, JSON.stringify({ cwd: '/', args: ['/bin/sh\u0000garbage'], env: ['NOEQ'] }));
    assert.throws(() => readProcessFile(proc), (e: Error) => {
      assert.ok(e instanceof ConfigError);
      assert.match(e.message, new RegExp(`^${proc}: /(args/0|env/0): `));
      return true;
    });
    writeFileSync(proc, JSON.stringify({ cwd: 'tmp', args: ['true'] }));
    assert.throws(() => readProcessFile(proc), { message: `${proc}: /cwd: must be an absolute path inside the container, such as "/" or "/srv" (found "tmp")` });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('exec: the command, -e, --cwd and the other flags refuse what config.json refuses, naming the flag', () => {
  const saved = { cwd: '/', args: ['sh'], env: ['PATH=/bin'] };
  const cases: [Parameters<typeof processFromFlags>[1], RegExp][] = [
    [{ args: ['/bin/sh\u0000garbage'] }, /^the command's argument 0: "\/bin\/sh\\u0000garbage" holds a NUL byte \(\\u0000\) at offset 7: the kernel would read only "\/bin\/sh"; remove it$/],
    [{ args: ['sh', 'a\u0000'] }, /^the command's argument 1: /],
    [{ args: ['sh'], env: ['NOEQ'] }, /^--env: must be NAME=value, with a non-empty NAME that holds no "=" \(e\.g\. "PATH=\/bin"\) \(found "NOEQ"\)$/],
    [{ args: ['sh'], env: ['A=1', '=empty'] }, /^--env: must be NAME=value.*\(found "=empty"\)$/],
    [{ args: ['sh'], env: [''] }, /^--env: must be NAME=value.*\(found ""\)$/],
    [{ args: ['sh'], env: ['A=b\u0000c'] }, /^--env: "A=b\\u0000c" holds a NUL byte/],
    [{ args: ['sh'], cwd: '/tmp\u0000x' }, /^--cwd: "\/tmp\\u0000x" holds a NUL byte/],
    [{ args: ['sh'], apparmor: 'p\u0000' }, /^--apparmor: /],
    [{ args: ['sh'], processLabel: 'l\u0000' }, /^--process-label: /],
    [{ args: ['sh'], caps: ['CAP_KILL\u0000'] }, /^--cap: /],
  ];
  for (const [flags, message] of cases) {
    assert.throws(() => processFromFlags(saved, flags), (e: Error) => {
      assert.ok(e instanceof TsrunError, e.message);
      assert.match(e.message, message);
      return true;
    });
  }
  assert.deepEqual(processFromFlags(saved, { args: ['sh'], env: ['A=', 'B==c'] }).env, ['PATH=/bin', 'A=', 'B==c']);
});
