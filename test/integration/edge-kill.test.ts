// runc's edge rules on tsrun (docs/runc-compat.md): kill: signal spellings and refusals.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { assertNothingLeft, makeBundle, processLives, sleep, uniqueId } from './harness.js';
import { edgeSuite, until, runUntilReady, waitStopped, errorMsg, runAsync } from './edge-harness.js';

edgeSuite('kill: signal spellings and refusals', ({ rt, scratch }) => {
  describe('kill', () => {
    test('KILL, SIGKILL, 9 and kill all deliver SIGKILL (run exits 137)', async () => {
      const bundle = makeBundle(['sh', '-c', 'echo ready; exec sleep 30']);
      const spellings = ['KILL', 'SIGKILL', '9', 'kill'];
      const runs = await Promise.all(spellings.map(async (sig) => {
        const id = uniqueId('killsp');
        return { sig, id, run: await runUntilReady(rt, bundle, id) };
      }));
      const kills = await Promise.all(runs.map((r) => runAsync(rt, scratch, ['kill', r.id, r.sig])));
      kills.forEach((k, i) => assert.deepEqual(k, { code: 0, stdout: '', stderr: '' }, runs[i].sig));
      for (const r of runs) assert.equal((await r.run.done).code, 137, r.sig);
      assertNothingLeft(rt, [bundle]);
    });

    test('TERM, SIGTERM, 15 and no signal deliver SIGTERM (a trap sees each); the last trap exits 9', async () => {
      // Each TERM prints "term N"; the fourth exits 9. "ready" comes after the trap is set.
      const script = "n=0; trap 'n=$((n+1)); echo term $n; [ $n = 4 ] && exit 9' TERM; echo ready; while :; do sleep 0.05; done";
      const bundle = makeBundle(['sh', '-c', script]);
      const id = uniqueId('termsp');
      const run = rt.spawn(['run', '--bundle', bundle, id]);
      let out = '';
      run.child.stdout!.on('data', (d) => (out += d));
      try {
        await until('the shell is ready', () => out.includes('ready\n'));
        const spellings = [['TERM'], ['SIGTERM'], ['15'], []];
        for (const [i, sig] of spellings.entries()) {
          const k = rt.run(['kill', id, ...sig]);
          assert.deepEqual(k, { code: 0, stdout: '', stderr: '' }, sig.join() || '(none)');
          await until(`the trap saw ${sig.join() || '(none)'}`, () => out.includes(`term ${i + 1}\n`));
        }
        assert.equal((await run.done).code, 9);
      } finally {
        if (run.child.exitCode === null && run.child.signalCode === null) rt.run(['delete', '--force', id]);
        await run.done;
      }
      assertNothingLeft(rt, [bundle]);
    });

    test('signal 0 exits 0 and does nothing; FOO is an unknown signal', async () => {
      const bundle = makeBundle(['sleep', '30']);
      const id = uniqueId('sig0');
      const pidFile = path.join(scratch, `${id}.pid`);
      assert.equal(rt.run(['run', '-d', '--pid-file', pidFile, '--bundle', bundle, id]).code, 0);
      const pid = Number(fs.readFileSync(pidFile, 'utf8'));
      assert.deepEqual(rt.run(['kill', id, '0']), { code: 0, stdout: '', stderr: '' });
      await sleep(100);
      assert.ok(processLives(pid));
      const bads = ['FOO', 'SIGFOO'];
      (await Promise.all(bads.map((bad) => runAsync(rt, scratch, ['kill', id, bad])))).forEach((r, i) => {
        assert.equal(r.code, 1, bads[i]);
        assert.equal(errorMsg(r.stderr), `unknown signal "${bads[i]}"`);
      });
      assert.equal(rt.state(id).status, 'running');
      assert.equal(rt.run(['delete', '--force', id]).code, 0);
    });

    test('KILL of a created container stops it; kill of a stopped one: "container not running"', async () => {
      const bundle = makeBundle(['sleep', '30']);
      const id = uniqueId('killcreated');
      const pidFile = path.join(scratch, `${id}.pid`);
      assert.equal(rt.run(['create', '--pid-file', pidFile, '--bundle', bundle, id]).code, 0);
      const pid = Number(fs.readFileSync(pidFile, 'utf8'));
      assert.equal(rt.run(['kill', id, 'KILL']).code, 0);
      await waitStopped(rt, id, pid);
      const r = rt.run(['kill', id, 'KILL']);
      assert.equal(r.code, 1);
      assert.equal(r.stdout, '');
      assert.equal(errorMsg(r.stderr), 'container not running');
      assert.equal(rt.run(['delete', id]).code, 0);
    });

    // containerd kills a created task with SIGTERM first: runc's init (Go) dies of it.
    test('TERM of a created container stops it (runc: created + TERM -> stopped)', async () => {
      const bundle = makeBundle(['sleep', '30']);
      const id = uniqueId('termcreated');
      assert.equal(rt.run(['create', '--pid-file', path.join(scratch, `${id}.pid`), '--bundle', bundle, id]).code, 0);
      const pid = Number(fs.readFileSync(path.join(scratch, `${id}.pid`), 'utf8'));
      try {
        assert.equal(rt.run(['kill', id, 'TERM']).code, 0);
        await until('the init dies of the TERM', () => !processLives(pid), 2_000);
        assert.equal(rt.state(id).status, 'stopped');
      } finally {
        assert.equal(rt.run(['delete', '--force', id]).code, 0);
      }
    });
  });
});
