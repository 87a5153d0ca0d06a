// runc's edge rules on tsrun (docs/runc-compat.md): invalid and duplicate ids (also concurrent creates).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { assertNothingLeft, makeBundle, processLives, Runtime, sleep, uniqueId } from './harness.js';
import { edgeSuite, tsrunInits, initsUnder, newInits, errorMsg, dispose, runAsync } from './edge-harness.js';

edgeSuite('invalid and duplicate ids (also concurrent creates)', ({ rt, scratch }) => {
  test('invalid ids fail with exit 1 and leave nothing under the root', async () => {
    const fresh = new Runtime();
    try {
      const bundle = makeBundle(['sleep', '30']);
      const cases: [string, string][] = [
        ['../x', 'invalid container ID format'],
        ['a/b', 'invalid container ID format'],
        ['..', 'invalid container ID format'],
        ['.', 'invalid container ID format'],
        ['a b', 'invalid container ID format'],
        ['', 'container id cannot be empty'],
      ];
      const runs: [string[], string][] = [
        ...cases.map(([id, want]): [string[], string] => [['create', '--bundle', bundle, id], want]),
        [['run', '-d', '--bundle', bundle, 'a/b'], 'invalid container ID format'],
        ...['state', 'kill', 'delete'].map((cmd): [string[], string] => [[cmd, '../x'], 'invalid container ID format']),
      ];
      const results = await Promise.all(runs.map(([args]) => runAsync(fresh, scratch, args)));
      results.forEach((r, i) => {
        const [args, want] = runs[i];
        const what = `${args[0]} ${JSON.stringify(args[args.length - 1])}`;
        assert.equal(r.code, 1, what);
        assert.equal(r.stdout, '', what);
        assert.ok(errorMsg(r.stderr).includes(want), `${what}: ${r.stderr}`);
      });
      assert.deepEqual(fs.readdirSync(fresh.root), [], 'nothing under the root');
      assert.ok(!fs.existsSync(path.join(path.dirname(fresh.root), 'x')), 'nothing next to the root');
      fresh.cleanup();
    } finally {
      dispose(fresh);
    }
  });

  describe('duplicate ids', () => {
    test('a second create of an id fails with "already exists" and leaves the first alone', () => {
      const bundle = makeBundle(['sleep', '30']);
      const id = uniqueId('dup');
      assert.equal(rt.run(['create', '--bundle', bundle, id]).code, 0);
      const first = rt.state(id);
      for (const args of [['create', '--bundle', bundle, id], ['run', '-d', '--bundle', bundle, id]]) {
        const r = rt.run(args);
        assert.equal(r.code, 1, args[0]);
        assert.match(errorMsg(r.stderr), /already exists/);
        const now = rt.state(id);
        assert.equal(now.status, 'created');
        assert.equal(now.pid, first.pid);
        assert.equal(now.created, first.created);
        assert.ok(processLives(Number(first.pid)));
      }
      assert.deepEqual(initsUnder(path.join(rt.root, id)), [Number(first.pid)], 'one init for the id');
      assert.equal(rt.run(['delete', id]).code, 0);
    });

    test('4 concurrent creates of one id: exactly one wins, one init exists', async () => {
      const bundle = makeBundle(['sleep', '30']);
      const id = uniqueId('race');
      const inits = tsrunInits();
      const results = await Promise.all([0, 1, 2, 3].map(() => runAsync(rt, scratch, ['create', '--bundle', bundle, id])));
      const winners = results.filter((r) => r.code === 0);
      assert.equal(winners.length, 1, `exactly one create succeeds: ${JSON.stringify(results)}`);
      for (const r of results.filter((r) => r.code !== 0)) {
        assert.equal(r.code, 1);
        assert.match(errorMsg(r.stderr), /already exists/);
      }
      const s = rt.state(id);
      assert.equal(s.status, 'created');
      await sleep(100); // a losing create's init, if any, would still be around
      assert.deepEqual(initsUnder(path.join(rt.root, id)), [Number(s.pid)], 'exactly one init process');
      assert.deepEqual(newInits(inits, rt.root, bundle), [Number(s.pid)], 'no other new init');
      assert.equal(rt.run(['delete', id]).code, 0);
      assertNothingLeft(rt, [bundle]);
    });
  });

  // Each case has a root of its own, so the cases can run side by side.
});
