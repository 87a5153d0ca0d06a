// RuntimeCommon (src/runtime/runtime-common.ts): state, list, kill and start
// from the state store alone, with the cgroup classes and a dead create's
// cleanup taken from the subclass. The lite entry's subclass hands the command
// over where it needs them (cli/lite-main.ts), so each must be asked for
// before anything is changed: no signal sent, no directory removed. Driven
// with a recording fake of the native core; no root, no cgroup.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Cgroup, CgroupRecord } from '../../../src/cgroups/index.js';
import type { NativeCore } from '../../../src/core/native.js';
import { RuntimeCommon } from '../../../src/runtime/runtime-common.js';
import { readProcStat } from '../../../src/runtime/proc.js';
import { STATE_VERSION } from '../../../src/runtime/state-shape.js';
import { RecordingCore } from './fake-core.js';

class Refused extends Error {}

/** Records what it is asked for, and refuses it, as the lite entry's runtime hands the command over. */
class RefusingRuntime extends RuntimeCommon {
  readonly asked: string[] = [];

  protected undoDeadCreate(dir: string, _core: NativeCore): boolean {
    this.asked.push(`undo ${path.basename(dir)}`);
    throw new Refused();
  }

  protected openCgroup(record: CgroupRecord): Cgroup {
    this.asked.push(`cgroup ${record.path}`);
    throw new Refused();
  }
}

/** A root with container id, its init a sleep of ours; frozen: its v1 freezer (a plain directory here) says FROZEN. */
async function fixture(id: string, frozen: boolean) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-common-root-'));
  const freezer = path.join(root, 'freezer-hierarchy', id);
  fs.mkdirSync(freezer, { recursive: true });
  fs.writeFileSync(path.join(freezer, 'freezer.state'), frozen ? 'FROZEN\n' : 'THAWED\n');
  const init = spawn('sleep', ['100'], { stdio: 'ignore' });
  await new Promise((r) => init.once('spawn', r));
  const dir = path.join(root, id);
  fs.mkdirSync(dir, { mode: 0o711 });
  const cgroup: CgroupRecord = {
    mode: 'v1', path: `/${id}`, ownedFrom: '', created: [],
    v1: [{ mount: path.dirname(freezer), controllers: ['freezer'], dir: freezer }],
  };
  fs.writeFileSync(path.join(dir, 'state.json'), JSON.stringify({
    version: STATE_VERSION, ociVersion: '1.3.0', id, pid: init.pid, bundle: root, rootfs: path.join(root, 'rootfs'),
    created: new Date().toISOString(), owner: '', initStartTime: readProcStat(init.pid!)!.startTime,
    config: { ociVersion: '1.3.0', root: { path: 'rootfs' }, process: { args: ['sleep'], cwd: '/' } }, cgroup,
  }));
  const runtime = new RefusingRuntime({ root, core: new RecordingCore() });
  return {
    root, init, runtime,
    alive: () => init.exitCode === null && init.signalCode === null,
    cleanup() {
      init.kill('SIGKILL');
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}

test('state reads the freezer from the record: paused, without opening the cgroup', async () => {
  const f = await fixture('p1', true);
  try {
    assert.equal(f.runtime.state('p1').status, 'paused');
    assert.deepEqual(f.runtime.asked, []);
  } finally {
    f.cleanup();
  }
});

test('kill: SIGKILL to a paused container asks for its cgroup (the thaw) before the signal goes; other signals need none', async () => {
  const f = await fixture('p2', true);
  try {
    assert.throws(() => f.runtime.kill('p2', 'KILL'), Refused);
    assert.deepEqual(f.runtime.asked, ['cgroup /p2']);
    await new Promise((r) => setTimeout(r, 50));
    assert.ok(f.alive(), 'the init got the signal before the cgroup was asked for');
    // kill --all signals through the cgroup: asked for first too.
    assert.throws(() => f.runtime.kill('p2', 'TERM', { all: true }), Refused);
    assert.ok(f.alive(), 'kill --all signalled before the cgroup was asked for');
    // A signal to the init alone needs no cgroup.
    const exited = new Promise((r) => f.init.once('exit', (_code, signal) => r(signal)));
    f.runtime.kill('p2', 'TERM');
    assert.equal(await exited, 'SIGTERM');
    assert.deepEqual(f.runtime.asked, ['cgroup /p2', 'cgroup /p2']);
  } finally {
    f.cleanup();
  }
});

test('list and state: a dead create\'s directory asks for the cleanup before it is removed, and stays when it is refused', async () => {
  const f = await fixture('live', false);
  try {
    fs.mkdirSync(path.join(f.root, 'dead'));
    assert.throws(() => f.runtime.list(), Refused);
    assert.deepEqual(f.runtime.asked, ['undo dead']);
    assert.ok(fs.existsSync(path.join(f.root, 'dead')), 'the directory went before its cleanup was done');
    assert.throws(() => f.runtime.state('dead'), Refused);
    assert.deepEqual(f.runtime.asked, ['undo dead', 'undo dead']);
    assert.ok(fs.existsSync(path.join(f.root, 'dead')));
    // The live container beside it is read without either.
    assert.equal(f.runtime.state('live').status, 'running');
    assert.equal(f.runtime.asked.length, 2);
  } finally {
    f.cleanup();
  }
});
