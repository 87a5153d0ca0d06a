// Unit tests for the state store (src/runtime/state.ts): id rules, atomic writes, and StateStore on a temp dir (needs the built addon, no root).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  FIFO_FILE, InvalidIdError, STATE_FILE, StateStore, validateId, writeFileAtomic, type StoredState,
} from '../../../src/runtime/state.js';
import { undoDeadCreate } from '../../../src/runtime/dead-create.js';
import { STATE_VERSION } from '../../../src/runtime/state-shape.js';
import { ContainerNotFoundError, TsrunError } from '../../../src/core/errors.js';
import { native } from '../../../src/core/native.js';

const tmp = mkdtempSync(join(tmpdir(), 'tsrun-state-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
let rootNo = 0;
const newRoot = () => join(tmp, `root-${rootNo++}`);

function stateFor(id: string): StoredState {
  return {
    ociVersion: '1.3.0', id, pid: 4242, bundle: '/bundles/x', rootfs: '/bundles/x/rootfs',
    created: '2026-11-23T10:41:11.123456789Z', owner: '', initStartTime: 12345, config: { ociVersion: '1.3.0' },
  };
}

/** Creates id with a state file and releases its lock, as a finished `create` leaves it. */
function createWithState(store: StateStore, id: string): void {
  const dir = store.create(id);
  dir.writeState(stateFor(id));
  dir.close();
}

// --- validateId ---

test('validateId accepts letters, digits, _ + - .', () => {
  for (const id of ['abc', 'a.b-c_d+e', 'A1', '0', '...', '.hidden', 'x..y', 'a'.repeat(200), 'test_busybox-1.2+3']) {
    assert.doesNotThrow(() => validateId(id), id);
  }
});

test('validateId refuses "", ".", "..", slashes, spaces and other characters, naming the id', () => {
  assert.throws(() => validateId(''), (e: unknown) => e instanceof InvalidIdError && e.message === 'container id cannot be empty');
  for (const id of ['.', '..', 'a/b', '../x', '/abs', 'a b', ' a', 'a\n', 'a\0b', 'é', 'a:b', 'a*', '$x', 'a\\b']) {
    assert.throws(
      () => validateId(id),
      (e: unknown) => {
        assert.ok(e instanceof InvalidIdError, JSON.stringify(id));
        assert.ok(e instanceof TsrunError);
        assert.ok(e.message.startsWith(`invalid container ID format: ${JSON.stringify(id)}`), e.message);
        return true;
      },
    );
  }
});

// --- writeFileAtomic ---

test('writeFileAtomic writes, replaces, sets the mode and leaves no temp file', () => {
  const dir = join(tmp, 'atomic');
  mkdirSync(dir);
  const file = join(dir, 'state.json');
  writeFileAtomic(file, '{"v":1}');
  assert.equal(readFileSync(file, 'utf8'), '{"v":1}');
  assert.equal(statSync(file).mode & 0o777, 0o600 & ~process.umask());
  writeFileAtomic(file, 'second, longer content');
  assert.equal(readFileSync(file, 'utf8'), 'second, longer content');
  writeFileAtomic(file, 'x');
  assert.equal(readFileSync(file, 'utf8'), 'x', 'shorter content replaces, not overwrites in place');
  writeFileAtomic(join(dir, 'other'), 'o', 0o640);
  assert.equal(statSync(join(dir, 'other')).mode & 0o777, 0o640 & ~process.umask());
  assert.deepEqual(readdirSync(dir).sort(), ['other', 'state.json']);
});

test('writeFileAtomic into a missing directory throws and leaves nothing', () => {
  const dir = join(tmp, 'atomic-missing');
  assert.throws(() => writeFileAtomic(join(dir, 'f'), 'x'), { code: 'ENOENT' });
  assert.equal(existsSync(dir), false);
});

// --- StateStore ---

test('the native addon is built and has flock', () => {
  assert.equal(typeof native().flock, 'function');
});

test('create makes the container directory (and the root), locked', () => {
  const root = newRoot();
  const store = new StateStore(root, undoDeadCreate);
  const dir = store.create('c1');
  try {
    assert.equal(dir.id, 'c1');
    assert.equal(dir.dir, join(root, 'c1'));
    assert.ok(statSync(join(root, 'c1')).isDirectory());
    assert.equal(statSync(join(root, 'c1')).mode & 0o777, 0o711 & ~process.umask());
    assert.equal(statSync(root).mode & 0o777, 0o700 & ~process.umask(), 'a new root is 0700, as runc makes it');
    assert.equal(dir.fifoPath, join(root, 'c1', FIFO_FILE));
    assert.equal(dir.hasState(), false);
    assert.equal(dir.hasFifo(), false);
  } finally {
    dir.close();
  }
});

test('create of an id in use throws "container with given ID already exists", while held and after', () => {
  const store = new StateStore(newRoot(), undoDeadCreate);
  const first = store.create('dup');
  try {
    assert.throws(() => store.create('dup'), (e: unknown) => e instanceof TsrunError && e.message === 'container with given ID already exists: dup');
    first.writeState(stateFor('dup'));
  } finally {
    first.close();
  }
  assert.throws(() => store.create('dup'), { message: 'container with given ID already exists: dup' });
  const again = store.open('dup');
  assert.equal(again.readState().id, 'dup');
  again.close();
});

test('create refuses an invalid id before touching the disk', () => {
  const root = newRoot();
  const store = new StateStore(root, undoDeadCreate);
  assert.throws(() => store.create('../escape'), InvalidIdError);
  assert.equal(existsSync(root), false);
  assert.equal(existsSync(join(tmp, 'escape')), false);
});

test('open of a missing id throws ContainerNotFoundError', () => {
  const store = new StateStore(newRoot(), undoDeadCreate);
  assert.throws(() => store.open('nope'), (e: unknown) => e instanceof ContainerNotFoundError && e.id === 'nope' && e.message === 'container does not exist');
  createWithState(store, 'other');
  assert.throws(() => store.open('nope', true), ContainerNotFoundError);
});

test('open returns the stored state; writeState round-trips', () => {
  const store = new StateStore(newRoot(), undoDeadCreate);
  createWithState(store, 'c2');
  const dir = store.open('c2', true);
  try {
    // Written in this tsrun's shape: the version comes with it.
    assert.deepEqual(dir.readState(), { ...stateFor('c2'), version: STATE_VERSION });
    assert.equal(dir.hasState(), true);
  } finally {
    dir.close();
  }
});

test('a directory left without state.json and without a lock holder is cleared by a later create', () => {
  const root = newRoot();
  const store = new StateStore(root, undoDeadCreate);
  mkdirSync(join(root, 'stale'), { recursive: true });
  writeFileSync(join(root, 'stale', FIFO_FILE), 'leftover');
  const dir = store.create('stale');
  try {
    assert.deepEqual(readdirSync(join(root, 'stale')), [], 'the old content is gone');
  } finally {
    dir.close();
  }
});

test('a half-made directory is not found by open, and open clears it', () => {
  const root = newRoot();
  const store = new StateStore(root, undoDeadCreate);
  mkdirSync(join(root, 'half'), { recursive: true });
  assert.throws(() => store.open('half'), ContainerNotFoundError);
  assert.equal(existsSync(join(root, 'half')), false);
});

test('a directory still held by its create is neither cleared by open nor taken by create', () => {
  const root = newRoot();
  const store = new StateStore(root, undoDeadCreate);
  const held = store.create('busy');
  try {
    assert.throws(() => store.create('busy'), { message: 'container with given ID already exists: busy' });
    assert.equal(existsSync(join(root, 'busy')), true);
  } finally {
    held.close();
  }
});

test('destroy removes the directory', () => {
  const root = newRoot();
  const store = new StateStore(root, undoDeadCreate);
  createWithState(store, 'gone');
  store.open('gone').destroy();
  assert.equal(existsSync(join(root, 'gone')), false);
  assert.throws(() => store.open('gone'), ContainerNotFoundError);
  assert.deepEqual(store.ids(), []);
});

test('ids lists only directories with state.json, sorted; the root holds nothing else of ours', () => {
  const root = newRoot();
  const store = new StateStore(root, undoDeadCreate);
  assert.deepEqual(store.ids(), [], 'a missing root has no containers');
  const ids = ['charlie', 'alpha', 'bravo', 'Zulu', 'a.1', 'delta', 'echo', 'foxtrot', 'golf', 'hotel', 'india', '0', '_x', '+y'];
  for (const id of ids) createWithState(store, id);
  store.create('in-progress').close(); // no state yet
  mkdirSync(join(root, 'not valid'));
  writeFileSync(join(root, 'not valid', STATE_FILE), '{}');
  writeFileSync(join(root, 'stray-file'), '');
  assert.deepEqual(readdirSync(root).filter((n) => !ids.includes(n)).sort(), ['in-progress', 'not valid', 'stray-file'], 'no lock file or other leftovers in the root');
  assert.deepEqual(store.ids(), ['+y', '0', 'Zulu', '_x', 'a.1', 'alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel', 'india']);
  assert.deepEqual(store.ids(), [...ids].sort());
});

test('sweptIds clears what a killed create left, and never a directory holding other files (a --root pointed at the wrong place)', () => {
  const root = newRoot();
  const store = new StateStore(root, undoDeadCreate);
  // A killed create: its directory, an init record and a temp file, no state, no lock held.
  store.create('dead').close();
  writeFileSync(join(root, 'dead', 'init.json'), '{"pid":1,"initStartTime":1}');
  writeFileSync(join(root, 'dead', '.state.json.123.tmp'), '');
  // Someone else's directories under the same root: left whole.
  mkdirSync(join(root, 'photos'));
  writeFileSync(join(root, 'photos', 'a.jpg'), 'x');
  mkdirSync(join(root, 'mixed'));
  writeFileSync(join(root, 'mixed', 'init.json'), '{}');
  writeFileSync(join(root, 'mixed', 'notes.txt'), 'mine');
  createWithState(store, 'live');
  assert.deepEqual(store.sweptIds(), ['live']);
  assert.deepEqual(readdirSync(root).sort(), ['live', 'mixed', 'photos']);
  assert.deepEqual(readdirSync(join(root, 'mixed')).sort(), ['init.json', 'notes.txt']);
  assert.equal(readFileSync(join(root, 'photos', 'a.jpg'), 'utf8'), 'x');
  // A create of an id whose directory holds other files is refused, not cleared.
  assert.throws(() => store.create('photos'), { message: 'container with given ID already exists: photos' });
  assert.ok(existsSync(join(root, 'photos', 'a.jpg')));
});
