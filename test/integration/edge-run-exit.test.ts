// runc's edge rules on tsrun (docs/runc-compat.md): exit codes of run.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertNothingLeft, makeBundle, sleep, uniqueId } from './harness.js';
import { edgeSuite, until, runUntilReady } from './edge-harness.js';

edgeSuite('exit codes of run', ({ rt }) => {
  describe('exit codes of run', () => {
    test('exit 3 -> 3, with the process stdout and stderr passed through', async () => {
      const bundle = makeBundle(['sh', '-c', 'echo out; echo err >&2; exit 3']);
      const r = await rt.spawn(['run', '--bundle', bundle, uniqueId('exit3')]).done;
      assert.deepEqual(r, { code: 3, stdout: 'out\n', stderr: 'err\n' });
      assertNothingLeft(rt, [bundle]);
    });

    test('SIGKILL from `tsrun kill` -> 137', async () => {
      const bundle = makeBundle(['sh', '-c', 'echo ready; exec sleep 30']);
      const id = uniqueId('exit137');
      const run = await runUntilReady(rt, bundle, id);
      assert.equal(rt.run(['kill', id, 'KILL']).code, 0);
      assert.equal((await run.done).code, 137);
      assertNothingLeft(rt, [bundle]);
    });

    // runc 1.1.5 (checked): the shell is PID 1 of its pid namespace with no
    // TERM handler, so the kernel drops a TERM from the host; the container
    // keeps running, and the later KILL gives 137. (The background job needs
    // /dev/null: one of the default devices.)
    test("SIGTERM to a PID-1 `sh -c 'sleep 30 & wait'`: ignored, as in runc; then KILL -> 137", async () => {
      const bundle = makeBundle(['sh', '-c', 'echo ready; sleep 30 & wait']);
      const id = uniqueId('term1');
      const run = rt.spawn(['run', '--bundle', bundle, id]);
      try {
        let out = '';
        run.child.stdout!.on('data', (d) => (out += d));
        await until('the shell is ready', () => out.includes('ready\n'));
        await sleep(200);
        assert.equal(rt.run(['kill', id, 'TERM']).code, 0);
        await sleep(500);
        assert.equal(rt.state(id).status, 'running', 'TERM was ignored');
        assert.equal(rt.run(['kill', id, 'KILL']).code, 0);
        assert.equal((await run.done).code, 137);
      } finally {
        if (run.child.exitCode === null && run.child.signalCode === null) rt.run(['delete', '--force', id]);
        await run.done;
      }
      assertNothingLeft(rt, [bundle]);
    });

    test('without a pid namespace, SIGTERM kills `sleep 30` -> 143, as in runc', async () => {
      const bundle = makeBundle(['sh', '-c', 'echo ready; exec sleep 30'], (c) => (c.linux.namespaces = c.linux.namespaces.filter((n: { type: string }) => n.type !== 'pid')));
      const id = uniqueId('exit143');
      const run = rt.spawn(['run', '--bundle', bundle, id]);
      try {
        let out = '';
        run.child.stdout!.on('data', (d) => (out += d));
        await until('sleep runs', () => out.includes('ready\n'));
        assert.equal(rt.run(['kill', id, 'TERM']).code, 0);
        assert.equal((await run.done).code, 143);
      } finally {
        if (run.child.exitCode === null && run.child.signalCode === null) rt.run(['delete', '--force', id]);
        await run.done;
      }
      assertNothingLeft(rt, [bundle]);
    });
  });
});
