// Unit tests for a damaged state (src/runtime/state.ts, state-shape.ts, delete.ts): the state
// file is shape-checked and reported by file; delete -f finds the init through init.json and never
// kills a reused pid; writes name the file and leave nothing half-written; ids and --root are
// refused by name. Needs the built addon (flock), no root.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CGROUP_FILE, INIT_FILE, InvalidIdError, MAX_ID_LENGTH, STATE_FILE, StateStore, validateId, writeFileAtomic, type StoredState,
} from '../../../src/runtime/state.js';
import { undoDeadCreate } from '../../../src/runtime/dead-create.js';
import { stateProblem } from '../../../src/runtime/state-shape.js';
import { DamagedStateError, TsrunError } from '../../../src/core/errors.js';
import { deleteContainer } from '../../../src/runtime/delete.js';
import { isAlive, readProcStat } from '../../../src/runtime/proc.js';

const tmp = mkdtempSync(join(tmpdir(), 'tsrun-state-recovery-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
let rootNo = 0;
const newStore = () => new StateStore(join(tmp, `root-${rootNo++}`), undoDeadCreate);

function stateFor(id: string): StoredState {
  return {
    ociVersion: '1.3.0', id, pid: 4242, bundle: '/bundles/x', rootfs: '/bundles/x/rootfs',
    created: '2026-11-23T10:41:11.123456789Z', owner: '', initStartTime: 12345, config: { ociVersion: '1.3.0' },
  };
}

/** A container whose state.json holds text, as a finished create leaves it but damaged. */
function withStateText(store: StateStore, id: string, text: string): string {
  const dir = store.create(id);
  dir.writeState(stateFor(id));
  dir.close();
  const file = join(store.root, id, STATE_FILE);
  writeFileSync(file, text);
  return file;
}

// --- the shape of state.json ---

test('a state.json that is not JSON, empty or {} is damaged: the error names the container, the file and what is wrong, and says delete -f', () => {
  const store = newStore();
  const good = JSON.stringify(stateFor('t'));
  for (const [text, reason] of [
    [good.slice(0, 100), /^not JSON: /],
    ['', /^it is empty$/],
    ['{}', /^\/ociVersion is missing$/],
    ['null', /^must be a JSON object, not null$/],
    ['[]', /^must be a JSON object, not an array$/],
  ] as const) {
    const file = withStateText(store, 't', text);
    const dir = store.open('t', true);
    try {
      assert.throws(
        () => dir.readState(),
        (e: unknown) => {
          assert.ok(e instanceof DamagedStateError, String(e));
          assert.ok(e instanceof TsrunError);
          assert.equal(e.file, file);
          assert.match(e.reason, reason, JSON.stringify(text));
          assert.ok(e.message.includes(file) && e.message.includes('tsrun delete -f t'), e.message);
          return true;
        },
      );
    } finally {
      dir.destroy();
    }
  }
});

test('stateProblem names the first wrong field and what it must be', () => {
  const s = stateFor('c1') as unknown as Record<string, unknown>;
  assert.equal(stateProblem(s, 'c1'), undefined);
  assert.equal(stateProblem({ ...s, pid: 'x' }, 'c1'), '/pid must be a positive integer');
  assert.equal(stateProblem({ ...s, pid: 0 }, 'c1'), '/pid must be a positive integer');
  assert.equal(stateProblem({ ...s, initStartTime: -1 }, 'c1'), '/initStartTime must be a non-negative integer');
  assert.equal(stateProblem({ ...s, config: null }, 'c1'), '/config must be an object (the validated config.json)');
  assert.equal(stateProblem({ ...s, bundle: undefined }, 'c1'), '/bundle is missing');
  assert.equal(stateProblem({ ...s, annotations: { a: 1 } }, 'c1'), '/annotations must be an object of strings');
  assert.equal(stateProblem(s, 'c2'), '/id is "c1", but the file is container c2\'s');
  const cgroup = { mode: 'v1', path: '/tsrun/c1', ownedFrom: '/tsrun', v1: [], created: [] };
  assert.equal(stateProblem({ ...s, cgroup }, 'c1'), undefined);
  assert.equal(stateProblem({ ...s, cgroup: { ...cgroup, mode: 'v3' } }, 'c1'), '/cgroup/mode must be "v1", "hybrid" or "v2"');
  assert.equal(stateProblem({ ...s, cgroup: { ...cgroup, v1: [{ mount: 1 }] } }, 'c1'), '/cgroup/v1 must be a list of {mount, controllers, dir}');
  assert.equal(stateProblem({ ...s, cgroup: 'x' }, 'c1'), '/cgroup must be a JSON object, not string');
});

test('the recovery records read back, or say why not: missing, damaged', () => {
  const store = newStore();
  const dir = store.create('r');
  try {
    assert.match(String(dir.readInitRecord()), new RegExp(`${INIT_FILE} is missing$`));
    assert.match(String(dir.readCgroupRecord()), new RegExp(`${CGROUP_FILE} is missing$`));
    dir.writeInitRecord({ pid: 77, initStartTime: 5 });
    assert.deepEqual(dir.readInitRecord(), { pid: 77, initStartTime: 5 });
    writeFileSync(join(dir.dir, INIT_FILE), '{"pid":77}');
    assert.match(String(dir.readInitRecord()), /init\.json is damaged \(\/initStartTime is missing\)$/);
    writeFileSync(join(dir.dir, CGROUP_FILE), '{"mode":');
    assert.match(String(dir.readCgroupRecord()), /cgroup\.json is damaged \(not JSON: /);
  } finally {
    dir.destroy();
  }
});

// --- delete of a damaged container ---

/** A live process of ours standing in for a container's init. */
async function liveProcess(): Promise<{ pid: number; startTime: number; gone: Promise<unknown> }> {
  const child = spawn('sleep', ['60'], { stdio: 'ignore' });
  const gone = new Promise((r) => child.on('exit', r));
  await new Promise((r) => child.on('spawn', r));
  const pid = child.pid!;
  return { pid, startTime: readProcStat(pid)!.startTime, gone };
}

test('delete without -f of a damaged container refuses, naming the file, and leaves it as it is', () => {
  const store = newStore();
  const file = withStateText(store, 'd', '{}');
  assert.throws(() => deleteContainer(store, 'd', false), (e: unknown) => e instanceof DamagedStateError && e.file === file);
  assert.equal(readFileSync(file, 'utf8'), '{}');
});

test('delete -f of a damaged container kills its init, found through init.json, and removes it', async () => {
  const store = newStore();
  const init = await liveProcess();
  withStateText(store, 'k', '{}');
  const dir = store.open('k');
  dir.writeInitRecord({ pid: init.pid, initStartTime: init.startTime });
  dir.close();
  const warnings: string[] = [];
  deleteContainer(store, 'k', true, { onWarning: (m) => warnings.push(m) });
  await init.gone;
  assert.equal(isAlive(init.pid, init.startTime), false);
  assert.equal(existsSync(join(store.root, 'k')), false);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0], /^container k: removed with a damaged state file .*state\.json \(\/ociVersion is missing\); its poststop hooks were not run; .*cgroup\.json is missing: its cgroup, if it had one, is left$/);
});

test('delete -f of a damaged container never kills a pid whose start time is not the init\'s', async () => {
  const store = newStore();
  const stranger = await liveProcess();
  withStateText(store, 'p', 'garbage');
  const dir = store.open('p');
  // The init died and its pid went to another process.
  dir.writeInitRecord({ pid: stranger.pid, initStartTime: stranger.startTime + 1 });
  dir.close();
  deleteContainer(store, 'p', true);
  assert.equal(existsSync(join(store.root, 'p')), false);
  assert.equal(isAlive(stranger.pid, stranger.startTime), true, 'the stranger was killed');
  process.kill(stranger.pid, 'SIGKILL');
  await stranger.gone;
});

test('delete -f with neither record usable still removes the state, and says what may be left', () => {
  const store = newStore();
  withStateText(store, 'n', '{');
  const warnings: string[] = [];
  deleteContainer(store, 'n', true, { onWarning: (m) => warnings.push(m) });
  assert.equal(existsSync(join(store.root, 'n')), false);
  assert.match(warnings[0], /init\.json is missing: its init, if alive, is left$/);
});

// --- writes ---

test('a write that fails names the file, keeps the old content and leaves no temp file', () => {
  const store = newStore();
  const dir = store.create('w');
  try {
    dir.writeState(stateFor('w'));
    const stateFile = join(dir.dir, STATE_FILE);
    const before = readFileSync(stateFile, 'utf8');
    // The rename fails: a directory holds the name.
    writeFileAtomic(join(dir.dir, 'other'), 'x');
    const other = join(dir.dir, 'other');
    rmSync(other);
    mkdirSync(join(other, 'sub'), { recursive: true });
    assert.throws(
      () => writeFileAtomic(other, 'new'),
      (e: unknown) => e instanceof TsrunError && (e as NodeJS.ErrnoException).code === 'EISDIR' && e.message === `cannot write ${other}: illegal operation on a directory`,
    );
    // The temp file cannot even be made: the old state stays whole.
    const tmpName = join(dir.dir, `.${STATE_FILE}.${process.pid}.tmp`);
    mkdirSync(tmpName);
    assert.throws(() => dir.writeState({ ...stateFor('w'), pid: 1 }), (e: unknown) => e instanceof TsrunError && e.message.startsWith(`cannot write ${stateFile}: `));
    assert.equal(readFileSync(stateFile, 'utf8'), before);
    rmSync(tmpName, { recursive: true });
    assert.deepEqual(readdirSync(dir.dir).sort(), ['other', 'state.json']);
  } finally {
    dir.destroy();
  }
  const file = join(tmp, 'missing-dir', 'f');
  assert.throws(() => writeFileAtomic(file, 'x'), (e: unknown) => e instanceof TsrunError && e.message === `cannot write ${file}: no such file or directory`);
});

// --- ids and --root ---

test(`an id longer than ${MAX_ID_LENGTH} is refused as too long, not reported as existing`, () => {
  assert.doesNotThrow(() => validateId('a'.repeat(MAX_ID_LENGTH)));
  assert.throws(
    () => validateId('a'.repeat(300)),
    (e: unknown) => e instanceof InvalidIdError && /^container ID is too long: 300 characters, at most 255/.test(e.message),
  );
  const store = newStore();
  assert.throws(() => store.create('b'.repeat(300)), /too long/);
  assert.equal(existsSync(store.root), false);
});

test('a --root that is a file, or under one, is named as not a directory by every store operation', () => {
  const file = join(tmp, 'root-file');
  writeFileSync(file, '');
  const store = new StateStore(file, undoDeadCreate);
  for (const op of [() => store.create('c1'), () => store.open('c1'), () => store.ids()]) {
    assert.throws(op, (e: unknown) => e instanceof TsrunError && e.message === `--root ${file} is not a directory`);
  }
  const under = new StateStore(join(file, 'sub'), undoDeadCreate);
  assert.throws(() => under.create('c1'), (e: unknown) => e instanceof TsrunError && e.message === `--root ${join(file, 'sub')}: a parent of it is not a directory`);
  // A file where a container's directory goes is no fault of --root's.
  const good = newStore();
  mkdirSync(good.root, { recursive: true });
  writeFileSync(join(good.root, 'c1'), '');
  assert.throws(() => good.open('c1'), (e: unknown) => (e as NodeJS.ErrnoException).code === 'ENOTDIR' && !(e as Error).message.includes('--root'));
});
