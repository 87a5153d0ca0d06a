// runtime-spec runtime.md "Lifecycle", "State" and "Operations" (state,
// create, start, kill, delete), checked on real containers as root.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { assertNothingLeft, makeBundle, processLives, Runtime, skipUnlessRoot, uniqueId } from '../test/integration/harness.js';

describe('runtime.md: Lifecycle and Operations', { skip: skipUnlessRoot }, () => {
  const rt = new Runtime();
  after(() => rt.cleanup());

  test('runtime.md "Lifecycle" 1-11: create -> created, start -> running, exit -> stopped, delete -> gone', async () => {
    // The process runs until the test lets it go: no timing assumptions.
    const gate = fs.mkdtempSync('/tmp/tsrun-gate-');
    const bundle = makeBundle(['sh', '-c', 'while [ ! -e /gate/go ]; do sleep 0.02; done'], (c) =>
      c.mounts.push({ destination: '/gate', type: 'bind', source: gate, options: ['rbind'] }),
    );
    const id = uniqueId('life');
    const create = rt.run(['create', '--bundle', bundle, id]);
    assert.equal(create.code, 0, create.stderr);
    const created = rt.state(id);
    assert.equal(created.status, 'created');
    assert.ok(Number(created.pid) > 0);
    assert.ok(processLives(Number(created.pid)), 'the init waits in created');

    assert.equal(rt.run(['start', id]).code, 0);
    assert.equal(rt.state(id).status, 'running');
    fs.writeFileSync(path.join(gate, 'go'), '');
    await rt.waitStatus(id, 'stopped');
    const stopped = rt.state(id);
    assert.equal(stopped.pid, 0, 'pid is 0 once stopped');
    assert.equal(rt.run(['delete', id]).code, 0);
    assert.equal(rt.run(['state', id]).code, 1);
    fs.rmSync(gate, { recursive: true });
    assertNothingLeft(rt);
  });

  test('runtime.md "State": the fields and their values', () => {
    const bundle = makeBundle(['sleep', '30'], (c) => (c.annotations = { 'org.example.key': 'value' }));
    const id = uniqueId('state');
    assert.equal(rt.run(['create', '--bundle', bundle, id]).code, 0);
    const s = rt.state(id);
    // runc's order: annotations sit before owner.
    assert.deepEqual(Object.keys(s), ['ociVersion', 'id', 'pid', 'status', 'bundle', 'rootfs', 'created', 'annotations', 'owner']);
    assert.match(String(s.ociVersion), /^1\.\d+\.\d+/);
    assert.equal(s.id, id);
    assert.equal(s.bundle, bundle, 'bundle is the absolute path');
    assert.match(String(s.created), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    assert.deepEqual(s.annotations, { 'org.example.key': 'value' });
    assert.equal(rt.run(['delete', '--force', id]).code, 0);
  });

  test('runtime.md "start": the user process runs only after start', async () => {
    const bundle = makeBundle(['sh', '-c', 'echo started > /dev/shm/x; echo ran']);
    const id = uniqueId('start');
    const outFile = path.join(bundle, 'stdout');
    const fd = fs.openSync(outFile, 'w');
    try {
      const r = spawnSync(rt.bin, ['--root', rt.root, 'create', '--bundle', bundle, id], { stdio: ['ignore', fd, 'ignore'] });
      assert.equal(r.status, 0);
    } finally {
      fs.closeSync(fd);
    }
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(fs.readFileSync(outFile, 'utf8'), '', 'nothing ran before start');
    assert.equal(rt.run(['start', id]).code, 0);
    await rt.waitStatus(id, 'stopped');
    assert.equal(fs.readFileSync(outFile, 'utf8'), 'ran\n', 'the process got the stdout create was given');
    assert.equal(rt.run(['delete', id]).code, 0);
  });

  test('runtime.md "start": start of a container that is not created is an error', async () => {
    const bundle = makeBundle(['sleep', '30']);
    const id = uniqueId('restart');
    assert.equal(rt.run(['run', '-d', '--bundle', bundle, id]).code, 0);
    const again = rt.run(['start', id]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /cannot start an already running container/);
    assert.equal(rt.run(['kill', id, 'KILL']).code, 0);
    await rt.waitStatus(id, 'stopped');
    const late = rt.run(['start', id]);
    assert.equal(late.code, 1);
    assert.match(late.stderr, /cannot start a container that has stopped/);
    assert.equal(rt.run(['delete', id]).code, 0);
  });

  test('runtime.md "kill": the signal reaches the process', async () => {
    const bundle = makeBundle(['sh', '-c', 'trap "exit 7" USR1; while :; do sleep 0.05; done']);
    const id = uniqueId('kill');
    const run = rt.spawn(['run', '--bundle', bundle, id]);
    await rt.waitStatus(id, 'running');
    await new Promise((r) => setTimeout(r, 100)); // let sh install its trap
    assert.equal(rt.run(['kill', id, 'USR1']).code, 0);
    const r = await run.done;
    assert.equal(r.code, 7, 'the trap ran: exit 7');
    assertNothingLeft(rt);
  });

  test('runtime.md "delete": deleting a running container is an error; --force kills it', async () => {
    const bundle = makeBundle(['sleep', '30']);
    const id = uniqueId('del');
    assert.equal(rt.run(['run', '-d', '--bundle', bundle, id]).code, 0);
    const pid = Number(rt.state(id).pid);
    const refused = rt.run(['delete', id]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, new RegExp(`cannot delete container ${id} that is not stopped: running`));
    assert.ok(processLives(pid));
    assert.equal(rt.run(['delete', '--force', id]).code, 0);
    assert.ok(!processLives(pid), 'the process is gone');
    assertNothingLeft(rt);
  });
});
