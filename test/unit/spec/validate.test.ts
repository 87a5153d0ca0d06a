// Unit tests for config.json validation messages (src/spec/validate.ts). No root needed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, readConfigFile, validateConfig, validateSchema } from '../../../src/spec/validate.js';

type Doc = Record<string, any>;

function minimal(): Doc {
  return {
    ociVersion: '1.3.0',
    root: { path: 'rootfs' },
    process: { cwd: '/', args: ['sh'], user: { uid: 0, gid: 0 } },
    linux: { namespaces: [{ type: 'pid' }, { type: 'mount' }, { type: 'network' }] },
  };
}

/** Applies `mutate` to a minimal config and returns the ConfigError thrown. */
function errorFor(mutate: (d: Doc) => void): ConfigError {
  const doc = minimal();
  mutate(doc);
  try {
    validateConfig(doc);
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected the config to be rejected');
}

function expectError(mutate: (d: Doc) => void, path: string, message: string) {
  const err = errorFor(mutate);
  assert.equal(err.message, message);
  assert.equal(err.path, path);
  assert.equal(err.file, 'config.json');
}

test('a minimal config passes and is returned typed', () => {
  const doc = minimal();
  const config = validateConfig(doc);
  assert.equal(config, doc);
  assert.equal(config.process?.args?.[0], 'sh');
  assert.doesNotThrow(() => validateConfig({ ociVersion: '1.0.0' }));
});

test('unknown properties are ignored, as the spec requires', () => {
  assert.doesNotThrow(() => validateConfig({ ...minimal(), 'org.example.extension': { any: 1 } }));
});

test('missing required property', () => {
  expectError((d) => delete d.process.cwd, '/process/cwd', 'config.json: /process/cwd: required property is missing');
  expectError((d) => delete d.ociVersion, '/ociVersion', 'config.json: /ociVersion: required property is missing');
});

test('wrong type', () => {
  expectError((d) => (d.ociVersion = 1), '/ociVersion', 'config.json: /ociVersion: must be a string (found number 1)');
  expectError((d) => (d.root.readonly = 'yes'), '/root/readonly', 'config.json: /root/readonly: must be a boolean (found "yes")');
  expectError((d) => (d.process.args = 'sh'), '/process/args', 'config.json: /process/args: must be an array (found "sh")');
});

test('the document itself must be an object', () => {
  assert.throws(() => validateConfig([]), { message: 'config.json: must be an object (found an empty array)', path: '' });
  assert.throws(() => validateConfig(null, 'x.json'), { message: 'x.json: must be an object (found null)', file: 'x.json' });
});

test('bad enum value lists the allowed values', () => {
  expectError((d) => (d.linux.namespaces[2].type = 'pidd'), '/linux/namespaces/2/type',
    'config.json: /linux/namespaces/2/type: "pidd" is not one of mount, pid, network, uts, ipc, user, cgroup, time');
  const err = errorFor((d) => (d.linux.seccomp = { defaultAction: 'SCMP_ACT_NOPE' }));
  assert.equal(err.path, '/linux/seccomp/defaultAction');
  assert.match(err.message, /"SCMP_ACT_NOPE" is not one of SCMP_ACT_KILL, .*SCMP_ACT_NOTIFY$/);
});

test('empty process.args', () => {
  expectError((d) => (d.process.args = []), '/process/args', 'config.json: /process/args: must be a non-empty array');
});

test('pattern violation', () => {
  expectError((d) => (d.process.rlimits = [{ type: 'NOFILE', soft: 1, hard: 1 }]), '/process/rlimits/0/type',
    'config.json: /process/rlimits/0/type: must be an RLIMIT_* name such as "RLIMIT_NOFILE" (found "NOFILE")');
  expectError((d) => (d.ociVersion = '1.0'), '/ociVersion',
    'config.json: /ociVersion: must be a SemVer 2.0.0 version such as "1.3.0" (found "1.0")');
});

test('integer out of range or not an integer', () => {
  expectError((d) => (d.process.user.uid = 4294967296), '/process/user/uid',
    'config.json: /process/user/uid: must be an integer from 0 to 4294967295 (uint32) (found 4294967296)');
  expectError((d) => (d.process.user.gid = -1), '/process/user/gid',
    'config.json: /process/user/gid: must be an integer from 0 to 4294967295 (uint32) (found -1)');
  expectError((d) => (d.process.user.uid = 1.5), '/process/user/uid', 'config.json: /process/user/uid: must be an integer (found number 1.5)');
  assert.doesNotThrow(() => validateConfig({ ...minimal(), linux: { resources: { memory: { limit: -1 } } } }));
});

test('ociVersion: any 1.x.y is accepted, other majors are not', () => {
  for (const v of ['1.0.0', '1.3.0', '1.2.1-rc.1+build.5', '1.99.0']) assert.doesNotThrow(() => validateConfig({ ociVersion: v }), v);
  expectError((d) => (d.ociVersion = '2.0.0'), '/ociVersion',
    'config.json: /ociVersion: unsupported version "2.0.0" (this runtime supports runtime-spec 1.x)');
  expectError((d) => (d.ociVersion = '0.5.0-dev'), '/ociVersion',
    'config.json: /ociVersion: unsupported version "0.5.0-dev" (this runtime supports runtime-spec 1.x)');
  // The schema alone (what the official schema checks) accepts other majors.
  assert.doesNotThrow(() => validateSchema({ ociVersion: '0.5.0-dev' }));
});

test('the deepest error is reported, and the others are counted', () => {
  const err = errorFor((d) => {
    d.hostname = 3;
    d.linux.namespaces[0].type = 'bogus';
    d.process.terminal = 'no';
  });
  assert.equal(err.path, '/linux/namespaces/0/type');
  assert.match(err.message, /\(and 2 more problems\)$/);
});

test('readConfigFile: valid file, invalid JSON with line and column, missing file', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tsrun-validate-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));

  const good = join(dir, 'good.json');
  writeFileSync(good, JSON.stringify(minimal(), null, 2));
  assert.equal(readConfigFile(good).root?.path, 'rootfs');

  const bad = join(dir, 'bad.json');
  writeFileSync(bad, '{\n  "ociVersion": "1.0.0",\n  "root": { "path": "x", }\n}\n');
  assert.throws(() => readConfigFile(bad), (err: unknown) => {
    assert.ok(err instanceof ConfigError);
    assert.equal(err.file, bad);
    assert.equal(err.path, '');
    assert.match(err.message, /^.*bad\.json: invalid JSON at line 3, column 26: \S/);
    return true;
  });

  const truncated = join(dir, 'truncated.json');
  writeFileSync(truncated, '{\n  "ociVersion": "1.0.0"');
  // The reason text is V8's and varies between Node versions; the location is ours.
  assert.throws(() => readConfigFile(truncated), { message: /truncated\.json: invalid JSON at line 2, column 24: \S/ });

  const badToken = join(dir, 'token.json');
  writeFileSync(badToken, '{"ociVersion": tru}');
  assert.throws(() => readConfigFile(badToken), { message: /invalid JSON at line 1, column 19: / });

  const missing = join(dir, 'nope.json');
  assert.throws(() => readConfigFile(missing), { name: 'ConfigError', message: `${missing}: no such file`, file: missing });

  const invalid = join(dir, 'invalid.json');
  writeFileSync(invalid, '{"ociVersion": "1.0.0", "process": {"cwd": "/", "args": []}}');
  assert.throws(() => readConfigFile(invalid), { message: `${invalid}: /process/args: must be a non-empty array` });
});
