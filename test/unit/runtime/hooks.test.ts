// Unit tests for src/runtime/hooks.ts: the checks, the plan tsrun-init gets,
// the state JSON, failure wording, and running runtime-namespace hooks (with
// /bin/sh; no root needed).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Config } from '../../../src/spec/types.js';
import {
  checkHooks, describeFailure, HookError, hookArgv, hookEnv, needsHooksSync, planHooks, runHooks, runHooksWarning, stateJson,
  type HookState,
} from '../../../src/runtime/hooks.js';
import { buildCreatePlan } from '../../../src/runtime/plan.js';
import { PlanError } from '../../../src/core/errors.js';

const base = (hooks: Config['hooks']): Config => ({
  ociVersion: '1.3.0',
  root: { path: 'rootfs' },
  process: { cwd: '/', args: ['sh'], env: ['PATH=/bin', 'HOME=/root'], user: { uid: 0, gid: 0 } },
  linux: { namespaces: [{ type: 'mount' }] },
  hooks,
}) as Config;

test('stateJson: runtime.md\'s keys in runc\'s order; no pid once stopped, no empty annotations', () => {
  const s: HookState = { ociVersion: '1.3.0', id: 'c1', status: 'running', pid: 42, bundle: '/b', annotations: { a: '1' } };
  assert.equal(stateJson(s), '{"ociVersion":"1.3.0","id":"c1","status":"running","pid":42,"bundle":"/b","annotations":{"a":"1"}}');
  assert.equal(stateJson({ ...s, status: 'stopped' }), '{"ociVersion":"1.3.0","id":"c1","status":"stopped","bundle":"/b","annotations":{"a":"1"}}');
  assert.equal(stateJson({ ...s, annotations: {} }), '{"ociVersion":"1.3.0","id":"c1","status":"running","pid":42,"bundle":"/b"}');
});

test('hookEnv: the last entry of a repeated name counts, where it stands; NAME=VALUE only', () => {
  assert.deepEqual(hookEnv(['A=1', 'B=2', 'A=3', 'C='], '/hooks/prestart/0'), ['B=2', 'A=3', 'C=']);
  assert.deepEqual(hookEnv(['X=a=b'], '/p'), ['X=a=b']);
  assert.throws(() => hookEnv(['A=1', 'NOVALUE'], '/hooks/prestart/0'), {
    message: 'config.json: /hooks/prestart/0/env/1: "NOVALUE" is not NAME=VALUE',
  });
  assert.throws(() => hookEnv(['=x'], '/hooks/poststop/2'), PlanError);
});

test('hookArgv: args as given (args[0] may differ from path); the path alone without args', () => {
  assert.deepEqual(hookArgv({ path: '/proc/1/exe', args: ['libnetwork-setkey', '-exec-root=/x'] }), ['libnetwork-setkey', '-exec-root=/x']);
  assert.deepEqual(hookArgv({ path: '/bin/true' }), ['/bin/true']);
  assert.deepEqual(hookArgv({ path: '/bin/true', args: [] }), ['/bin/true']);
});

test('checkHooks: every list is checked; a relative path is refused with its config path', () => {
  assert.doesNotThrow(() => checkHooks(base({ prestart: [{ path: '/a' }], poststop: [{ path: '/b', env: ['A=1'] }] })));
  for (const name of ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'] as const) {
    assert.throws(() => checkHooks(base({ [name]: [{ path: '/ok' }, { path: 'usr/bin/x' }] })), {
      message: `config.json: /hooks/${name}/1/path: hook path "usr/bin/x" must be absolute`,
    });
  }
  assert.throws(() => checkHooks(base({ poststart: [{ path: '/x', env: ['BAD'] }] })), {
    message: 'config.json: /hooks/poststart/0/env/0: "BAD" is not NAME=VALUE',
  });
});

test('planHooks: the container\'s hooks with argv, env (the process\'s when none), timeout and config path', () => {
  const plan = planHooks(base({
    prestart: [{ path: '/host/only' }],
    createContainer: [{ path: '/c', args: ['c0', 'x'], env: ['A=1', 'A=2'], timeout: 5 }],
    startContainer: [{ path: '/s' }, { path: '/s2', env: [] }],
    poststop: [{ path: '/host/too' }],
  }));
  assert.deepEqual(plan, {
    createContainer: [{ path: '/c', args: ['c0', 'x'], env: ['A=2'], timeout: 5, configPath: '/hooks/createContainer/0' }],
    startContainer: [
      { path: '/s', args: ['/s'], env: ['PATH=/bin', 'HOME=/root'], timeout: 0, configPath: '/hooks/startContainer/0' },
      { path: '/s2', args: ['/s2'], env: [], timeout: 0, configPath: '/hooks/startContainer/1' },
    ],
    outputLimit: 256,
  });
  assert.deepEqual(planHooks(base(undefined)), { createContainer: [], startContainer: [], outputLimit: 256 });
});

test('needsHooksSync: only hooks that run before pivot_root or inside need the stop there', () => {
  assert.equal(needsHooksSync(base(undefined)), false);
  assert.equal(needsHooksSync(base({ prestart: [], poststart: [{ path: '/x' }], poststop: [{ path: '/x' }] })), false);
  for (const name of ['prestart', 'createRuntime', 'createContainer', 'startContainer'] as const) {
    assert.equal(needsHooksSync(base({ [name]: [{ path: '/x' }] })), true, name);
  }
});

test('buildCreatePlan carries the hooks and the sync point', () => {
  const host = { lastCap: 40, capEff: (1n << 41n) - 1n, hardLimits: Array(16).fill(Infinity), apparmorEnabled: false, selinuxEnabled: false };
  const opts = { id: 'c1', bundle: '/b', fifoPath: '/run/tsrun/c1/exec.fifo', host, warn: () => assert.fail('unexpected warning') };
  const plan = buildCreatePlan(base({ createRuntime: [{ path: '/x' }], startContainer: [{ path: '/s' }] }), opts);
  assert.equal(plan.hooksSync, true);
  assert.equal(plan.hooks.startContainer[0].configPath, '/hooks/startContainer/0');
  assert.throws(() => buildCreatePlan(base({ poststop: [{ path: 'x' }] }), opts), PlanError);
});

test('describeFailure: how the hook ended, then its stdout and stderr when not empty', () => {
  assert.equal(describeFailure({ status: 3 }, 'out\n', 'err\n'), 'exited with status 3, stdout: out, stderr: err');
  assert.equal(describeFailure({ status: 1 }), 'exited with status 1');
  assert.equal(describeFailure({ signal: 'SIGKILL' }, '', 'oops'), 'was killed by signal SIGKILL, stderr: oops');
  assert.equal(describeFailure({ timedOut: 2 }), 'did not finish within its timeout of 2s and was killed');
  assert.equal(describeFailure({ execError: 'no such file or directory' }), 'could not be executed: no such file or directory');
});

/** A scratch bundle dir and the state a hook there gets. */
function scratch(): { dir: string; state: HookState } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-hooks-unit-'));
  return { dir, state: { ociVersion: '1.3.0', id: 'u1', status: 'creating', pid: 7, bundle: dir } };
}

test('runHooks: state on stdin, execve(path, args) with args[0] as given, exact env, cwd the bundle', () => {
  const { dir, state } = scratch();
  try {
    const script = 'cat > state; echo "$0" > argv0; tr "\\0" "\\n" < /proc/self/environ > env; pwd > cwd';
    runHooks(base({ createRuntime: [{ path: '/bin/sh', args: ['not-sh', '-c', script], env: ['K=v', 'J=w'] }] }), 'createRuntime', state);
    assert.deepEqual(JSON.parse(fs.readFileSync(path.join(dir, 'state'), 'utf8')), state);
    assert.equal(fs.readFileSync(path.join(dir, 'argv0'), 'utf8'), 'not-sh\n');
    assert.equal(fs.readFileSync(path.join(dir, 'env'), 'utf8'), 'K=v\nJ=w\n');
    assert.equal(fs.readFileSync(path.join(dir, 'cwd'), 'utf8'), `${fs.realpathSync(dir)}\n`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('runHooks: the first failure throws HookError naming the hook; later hooks do not run', () => {
  const { dir, state } = scratch();
  try {
    const config = base({
      prestart: [
        { path: '/bin/sh', args: ['sh', '-c', 'echo one >> order'] },
        { path: '/bin/sh', args: ['sh', '-c', 'echo bad; exit 4'] },
        { path: '/bin/sh', args: ['sh', '-c', 'echo three >> order'] },
      ],
    });
    assert.throws(() => runHooks(config, 'prestart', state), (e: unknown) => {
      assert.ok(e instanceof HookError);
      assert.equal(e.message, 'config.json: /hooks/prestart/1: hook /bin/sh exited with status 4, stdout: bad');
      return true;
    });
    assert.equal(fs.readFileSync(path.join(dir, 'order'), 'utf8'), 'one\n');
    assert.throws(() => runHooks(base({ prestart: [{ path: '/nonexistent/hook' }] }), 'prestart', state), {
      message: 'config.json: /hooks/prestart/0: hook /nonexistent/hook could not be executed: no such file or directory',
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('runHooks: a hook past its timeout is killed, and a daemon it leaves does not hold us', () => {
  const { dir, state } = scratch();
  try {
    const t0 = Date.now();
    assert.throws(() => runHooks(base({ poststart: [{ path: '/bin/sleep', args: ['sleep', '30'], timeout: 1 }] }), 'poststart', state), {
      message: 'config.json: /hooks/poststart/0: hook /bin/sleep did not finish within its timeout of 1s and was killed',
    });
    assert.ok(Date.now() - t0 < 5000);
    // The background sleep keeps the hook's stdout open; we return when the hook exits.
    const t1 = Date.now();
    runHooks(base({ poststart: [{ path: '/bin/sh', args: ['sh', '-c', 'sleep 3 & echo started'] }] }), 'poststart', state);
    assert.ok(Date.now() - t1 < 2500, `took ${Date.now() - t1} ms`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('runHooksWarning: each failure is a warning and the rest still run', () => {
  const { dir, state } = scratch();
  try {
    const warnings: string[] = [];
    const config = base({
      poststop: [
        { path: '/bin/sh', args: ['sh', '-c', 'kill -9 $$'] },
        { path: '/bin/sh', args: ['sh', '-c', 'echo ran >> order'] },
        { path: '/bin/sh', args: ['sh', '-c', 'exit 2'] },
      ],
    });
    runHooksWarning(config, 'poststop', { ...state, status: 'stopped' }, (m) => warnings.push(m));
    assert.deepEqual(warnings, [
      'config.json: /hooks/poststop/0: hook /bin/sh was killed by signal SIGKILL',
      'config.json: /hooks/poststop/2: hook /bin/sh exited with status 2',
    ]);
    assert.equal(fs.readFileSync(path.join(dir, 'order'), 'utf8'), 'ran\n');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
