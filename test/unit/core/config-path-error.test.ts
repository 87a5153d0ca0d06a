// ConfigPathError (src/core/errors.ts): a problem at a config path as data,
// worded in one place for every source it can come from.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigPathError, describeConfigProblem, InitError, PlanError, UnsupportedError } from '../../../src/core/errors.js';
import { HookError } from '../../../src/runtime/hooks.js';

test('describeConfigProblem words each source: config.json, the saved config, a --process file, a flag', () => {
  const p = { path: '/process/user/uid', reason: 'must be from 0 to 2147483647, not -1' };
  assert.equal(describeConfigProblem({ ...p, source: { kind: 'config' } }), 'config.json: /process/user/uid: must be from 0 to 2147483647, not -1');
  assert.equal(describeConfigProblem({ ...p, source: { kind: 'saved-config' } }), "the container's saved config.json: /process/user/uid: must be from 0 to 2147483647, not -1");
  assert.equal(describeConfigProblem({ ...p, source: { kind: 'process-file', file: 'p.json' } }), 'p.json: /user/uid: must be from 0 to 2147483647, not -1');
  assert.equal(describeConfigProblem({ path: '/process', reason: 'x', source: { kind: 'process-file', file: 'p.json' } }), 'p.json: x');
  assert.equal(describeConfigProblem({ ...p, source: { kind: 'flag', flag: '--user' } }), '--user: must be from 0 to 2147483647, not -1');
  assert.equal(describeConfigProblem({ ...p, source: { kind: 'flag', flag: '' } }), 'must be from 0 to 2147483647, not -1');
  assert.equal(describeConfigProblem({ path: '/hostname', reason: 'needs a uts namespace', hint: 'add {"type": "uts"}', source: { kind: 'config' } }),
    'config.json: /hostname: needs a uts namespace; add {"type": "uts"}');
  assert.equal(describeConfigProblem({ path: '', reason: 'no place in the config', source: { kind: 'config' } }), 'no place in the config');
});

test('from() changes where the problem is told, and the message follows; the data stays', () => {
  const e = new PlanError('/process/args/0', 'not found');
  assert.equal(e.message, 'config.json: /process/args/0: not found');
  assert.equal(e.from({ kind: 'process-file', file: 'proc.json' }), e);
  assert.equal(e.message, 'proc.json: /args/0: not found');
  assert.deepEqual([e.path, e.reason, e.configPath], ['/process/args/0', 'not found', '/process/args/0']);
});

test('plan, init, hook and unsupported-field errors are all ConfigPathErrors carrying path and reason', () => {
  const errors = [
    new PlanError('/mounts/0', 'bad'),
    new InitError('mount', 2, '/mounts/0', 'bad'),
    new HookError('/mounts/0', 'bad'),
    new UnsupportedError('bad', '/mounts/0'),
  ];
  for (const e of errors) {
    assert.ok(e instanceof ConfigPathError, e.constructor.name);
    assert.deepEqual([e.path, e.reason, e.message], ['/mounts/0', 'bad', 'config.json: /mounts/0: bad']);
  }
  assert.equal(new UnsupportedError('--systemd-cgroup is not supported').message, '--systemd-cgroup is not supported');
  assert.equal(new InitError('exec', 2, '', 'no such file').message, 'no such file');
});
