// runc's edge rules on tsrun (docs/runc-compat.md): list in its three formats, and the missing newline of state.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { busyboxRootfs, makeBundle, processLives, Runtime, uniqueId } from './harness.js';
import { edgeSuite, until, dispose } from './edge-harness.js';

edgeSuite('list in its three formats, and the missing newline of state', ({ rt, scratch }) => {
  describe('list', () => {
    test('an empty root: header only; json null; -q nothing', () => {
      const fresh = new Runtime();
      try {
        assert.deepEqual(fresh.run(['list']), { code: 0, stdout: 'ID          PID         STATUS      BUNDLE      CREATED     OWNER\n', stderr: '' });
        assert.deepEqual(fresh.run(['list', '--format', 'json']), { code: 0, stdout: 'null\n', stderr: '' });
        assert.deepEqual(fresh.run(['list', '-q']), { code: 0, stdout: '', stderr: '' });
        // A --root that does not exist lists as empty too.
        const missing = path.join(fresh.root, 'not-yet');
        const r = spawnSync(fresh.bin, ['--root', missing, 'list', '-f', 'json'], { encoding: 'utf8' });
        assert.equal(r.status, 0, r.stderr);
        assert.equal(r.stdout, 'null\n');
        fs.rmSync(missing, { recursive: true, force: true });
        fresh.cleanup();
      } finally {
        dispose(fresh);
      }
    });

    test('rows sorted by id, with their statuses, in table, json and -q', async () => {
      const fresh = new Runtime();
      try {
        const sleeper = makeBundle(['sleep', '30']);
        const quick = makeBundle(['true']);
        const tag = `${process.pid}`;
        const ids = { created: `zz-created-${tag}`, running: `mm-running-${tag}`, stopped: `aa-stopped-${tag}` };
        const pidOf = (id: string) => Number(fs.readFileSync(path.join(scratch, `${id}.pid`), 'utf8'));
        assert.equal(fresh.run(['create', '--pid-file', path.join(scratch, `${ids.created}.pid`), '--bundle', sleeper, ids.created]).code, 0);
        assert.equal(fresh.run(['run', '-d', '--pid-file', path.join(scratch, `${ids.running}.pid`), '--bundle', sleeper, ids.running]).code, 0);
        const quickPid = path.join(scratch, `${ids.stopped}.pid`);
        assert.equal(fresh.run(['run', '-d', '--pid-file', quickPid, '--bundle', quick, ids.stopped]).code, 0);
        await until('the quick container has exited', () => !processLives(Number(fs.readFileSync(quickPid, 'utf8'))));
        const expect = [
          { id: ids.stopped, status: 'stopped', pid: 0, bundle: quick },
          { id: ids.running, status: 'running', pid: pidOf(ids.running), bundle: sleeper },
          { id: ids.created, status: 'created', pid: pidOf(ids.created), bundle: sleeper },
        ];

        const table = fresh.run(['list']);
        assert.equal(table.code, 0);
        const lines = table.stdout.split('\n');
        assert.equal(lines.pop(), '', 'each line ends in a newline');
        assert.equal(lines.length, 4);
        assert.deepEqual(lines[0].split(/\s+/), ['ID', 'PID', 'STATUS', 'BUNDLE', 'CREATED', 'OWNER']);
        lines.slice(1).forEach((line, i) => {
          const [id, pid, status, bundle, created, owner, ...rest] = line.split(/\s+/);
          assert.deepEqual([id, Number(pid), status, bundle, owner, rest], [expect[i].id, expect[i].pid, expect[i].status, expect[i].bundle, 'root', []]);
          assert.match(created, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
          // Columns line up under the header.
          for (const col of ['PID', 'STATUS', 'BUNDLE', 'CREATED', 'OWNER']) {
            const at = lines[0].indexOf(col);
            assert.notEqual(line[at - 1], undefined);
            assert.ok(line[at - 1] === ' ' && line[at] !== ' ', `column ${col} aligned in ${JSON.stringify(line)}`);
          }
        });

        const json = fresh.run(['list', '--format', 'json']);
        assert.equal(json.code, 0);
        assert.ok(json.stdout.endsWith('\n') && !json.stdout.trimEnd().includes('\n'), 'one line');
        const arr = JSON.parse(json.stdout) as Record<string, unknown>[];
        assert.equal(json.stdout, JSON.stringify(arr) + '\n', 'compact');
        assert.equal(arr.length, 3);
        arr.forEach((s, i) => {
          assert.deepEqual(Object.keys(s), ['ociVersion', 'id', 'pid', 'status', 'bundle', 'rootfs', 'created', 'owner']);
          assert.deepEqual([s.id, s.pid, s.status, s.bundle, s.rootfs, s.owner], [expect[i].id, expect[i].pid, expect[i].status, expect[i].bundle, busyboxRootfs(), 'root']);
        });

        assert.deepEqual(fresh.run(['list', '-q']), { code: 0, stdout: expect.map((e) => e.id + '\n').join(''), stderr: '' });
        fresh.cleanup();
      } finally {
        dispose(fresh);
      }
    });
  });

  test('state prints no trailing newline', () => {
    const bundle = makeBundle(['sleep', '30']);
    const id = uniqueId('nl');
    assert.equal(rt.run(['create', '--bundle', bundle, id]).code, 0);
    const r = rt.run(['state', id]);
    assert.equal(r.code, 0);
    assert.ok(r.stdout.endsWith('\n}'), `ends in "\\n}": ${JSON.stringify(r.stdout.slice(-5))}`);
    assert.ok(r.stdout.startsWith('{\n  "ociVersion": '), 'two-space indent');
    assert.equal(r.stdout, JSON.stringify(JSON.parse(r.stdout), null, 2));
    assert.equal(rt.run(['delete', id]).code, 0);
  });
});
