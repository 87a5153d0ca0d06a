// state.json carries a version (state-shape.ts STATE_VERSION). A tsrun
// upgraded while containers run goes on with what the previous one created:
// a state file of the previous shape (no version field) still starts, execs,
// kills and deletes; one from a newer tsrun is refused by name.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { makeBundle, Runtime, skipUnlessRoot, uniqueId } from './harness.js';

function rewriteState(rt: Runtime, id: string, edit: (s: Record<string, unknown>) => void): void {
  const file = path.join(rt.root, id, 'state.json');
  const state = JSON.parse(fs.readFileSync(file, 'utf8'));
  edit(state);
  fs.writeFileSync(file, JSON.stringify(state));
}

test('a state file of the previous shape (no version) is started, exec\'d into, killed and deleted', { skip: skipUnlessRoot }, async () => {
  const rt = new Runtime();
  const id = uniqueId('h15ver');
  try {
    assert.equal(rt.run(['create', '--bundle', makeBundle(['sleep', '1000']), id]).code, 0);
    const written = JSON.parse(fs.readFileSync(path.join(rt.root, id, 'state.json'), 'utf8'));
    assert.equal(written.version, 2, 'this tsrun writes version 2');
    // The previous tsrun wrote exactly these fields, without version.
    rewriteState(rt, id, (s) => delete s.version);
    assert.equal(rt.state(id).status, 'created');
    const started = rt.run(['start', id]);
    assert.equal(started.code, 0, started.stderr);
    await rt.waitStatus(id, 'running');
    const exec = rt.run(['exec', id, 'echo', 'in-old-container']);
    assert.equal(exec.code, 0, exec.stderr);
    assert.equal(exec.stdout.trim(), 'in-old-container');
    rewriteState(rt, id, (s) => delete s.version);
    const killed = rt.run(['kill', id, 'KILL']);
    assert.equal(killed.code, 0, killed.stderr);
    await rt.waitStatus(id, 'stopped');
    const deleted = rt.run(['delete', id]);
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.deepEqual(rt.ids(), []);
  } finally {
    rt.cleanup();
  }
});

test('a state file from a newer tsrun is refused by name; delete -f still removes the container', { skip: skipUnlessRoot }, () => {
  const rt = new Runtime();
  const id = uniqueId('h15ver');
  try {
    assert.equal(rt.run(['create', '--bundle', makeBundle(['sleep', '1000']), id]).code, 0);
    rewriteState(rt, id, (s) => (s.version = 99));
    const r = rt.run(['state', id]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /\/version is 99: a newer tsrun wrote it/);
    assert.equal(rt.run(['delete', '--force', id]).code, 0);
    assert.deepEqual(rt.ids(), []);
  } finally {
    rt.cleanup();
  }
});
