// Unit tests for the record of CRIU's cgroup yards a restore keeps (src/runtime/criu-yards.ts):
// which yard directories an undo takes (no mounts here; those are the integration tests').
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { undoCriuYards, undoCriuYardsQuietly, YardRecorder } from '../../../src/runtime/criu-yards.js';
import { CRIU_YARDS_FILE } from '../../../src/runtime/state.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-unit-yards-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const noUnmount = { unmountById: () => assert.fail('nothing is mounted here') };

function dirs(name: string) {
  const state = path.join(tmp, `${name}-state`);
  const work = path.join(tmp, `${name}-work`);
  fs.mkdirSync(state);
  fs.mkdirSync(work);
  return { state, work };
}

const yards = (work: string) => fs.readdirSync(work).filter((n) => n.startsWith('.criu.cgyard.')).sort();

test('a yard directory that appeared after the record and that nobody uses goes; one there before stays; so does the record', () => {
  const { state, work } = dirs('plain');
  fs.mkdirSync(path.join(work, '.criu.cgyard.before'));
  new YardRecorder(state, work);
  const rec = JSON.parse(fs.readFileSync(path.join(state, CRIU_YARDS_FILE), 'utf8'));
  assert.equal(rec.work, fs.realpathSync(work));
  assert.deepEqual(rec.before, [path.join(fs.realpathSync(work), '.criu.cgyard.before')]);
  fs.mkdirSync(path.join(work, '.criu.cgyard.ours'));
  fs.writeFileSync(path.join(work, 'restore.log'), '');
  undoCriuYards(state, noUnmount);
  assert.deepEqual(yards(work), ['.criu.cgyard.before']);
  assert.ok(fs.existsSync(path.join(work, 'restore.log')), 'only yards are removed');
  assert.ok(!fs.existsSync(path.join(state, CRIU_YARDS_FILE)), 'the record is left');
  // No record: nothing to do.
  undoCriuYards(state, noUnmount);
});

test('an unrecorded yard in a directory a live process works in (another restore\'s CRIU) stays', async () => {
  const { state, work } = dirs('busy');
  new YardRecorder(state, work);
  fs.mkdirSync(path.join(work, '.criu.cgyard.theirs'));
  const other = spawn('sleep', ['30'], { cwd: work, stdio: 'ignore' });
  await new Promise((r) => other.once('spawn', r));
  try {
    undoCriuYards(state, noUnmount);
    assert.deepEqual(yards(work), ['.criu.cgyard.theirs']);
  } finally {
    other.kill('SIGKILL');
    await new Promise((r) => other.once('close', r));
  }
  assert.ok(!fs.existsSync(path.join(state, CRIU_YARDS_FILE)));
});

test('a damaged record is removed with a warning that names it; the quiet form says it is done', () => {
  const { state, work } = dirs('damaged');
  fs.mkdirSync(path.join(work, '.criu.cgyard.x'));
  fs.writeFileSync(path.join(state, CRIU_YARDS_FILE), '{"work"');
  const warnings: string[] = [];
  undoCriuYards(state, noUnmount, (m) => warnings.push(m));
  assert.equal(warnings.length, 1);
  assert.match(warnings[0], new RegExp(`${CRIU_YARDS_FILE} is damaged: CRIU's cgroup yard of this container's restore, if any, is left`));
  assert.deepEqual(yards(work), ['.criu.cgyard.x'], 'with nothing to go by, nothing is touched');
  assert.equal(undoCriuYardsQuietly(state, noUnmount), true);
});
