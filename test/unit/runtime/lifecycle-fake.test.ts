// create, start, run, exec, kill, delete, state, list and the status rules of
// Container, driven through a Runtime with a recording fake of the native
// core (and, for create, run and exec, a fake tsrun-init on its channel): no
// root, no addon, no cgroup. A container's "init" is a sleep this test started.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Runtime } from '../../../src/runtime/runtime.js';
import { ContainerNotFoundError, StatusError } from '../../../src/core/errors.js';
import { readProcStat } from '../../../src/runtime/proc.js';
import { STATE_VERSION } from '../../../src/runtime/state-shape.js';
import { ownWarmUpTarget } from '../../../src/runtime/cgroup-warm.js';
import { FakeInit, RecordingCore } from './fake-core.js';

// A caller that is not root is rootless, and a rootless create needs a user namespace in the config, which
// these configs (and the fake tsrun-init's checks of the plan) leave out: those tests are root's.
const skipUnlessRoot = process.geteuid?.() === 0 ? false : 'a non-root caller is rootless: these configs have no user namespace (the create tests run as root)';

interface Fixture {
  runtime: Runtime;
  core: RecordingCore;
  root: string;
  init: ChildProcess;
  exited: Promise<NodeJS.Signals | null>;
  cleanup(): void;
}

/** A container `id` in `created`: state.json, init.json and exec.fifo, its init a sleep of ours. */
async function createdContainer(id: string): Promise<Fixture> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-fake-root-'));
  const core = new RecordingCore();
  const runtime = new Runtime({ root, core });
  const init = spawn('sleep', ['100'], { stdio: 'ignore' });
  await new Promise((r) => init.once('spawn', r));
  const exited = new Promise<NodeJS.Signals | null>((r) => init.once('exit', (_code, signal) => r(signal)));
  const dir = path.join(root, id);
  fs.mkdirSync(dir, { mode: 0o711 });
  core.mkfifo(path.join(dir, 'exec.fifo'), 0o622);
  const startTime = readProcStat(init.pid!)!.startTime;
  fs.writeFileSync(path.join(dir, 'init.json'), JSON.stringify({ pid: init.pid, initStartTime: startTime }));
  fs.writeFileSync(path.join(dir, 'state.json'), JSON.stringify({
    version: STATE_VERSION, ociVersion: '1.3.0', id, pid: init.pid, bundle: root, rootfs: path.join(root, 'rootfs'),
    created: new Date().toISOString(), owner: '', initStartTime: startTime,
    config: { ociVersion: '1.3.0', root: { path: 'rootfs' }, process: { args: ['sleep'], cwd: '/' } },
  }));
  core.calls.length = 0;
  return {
    runtime, core, root, init, exited,
    cleanup() {
      init.kill('SIGKILL');
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}

test('state and list: created while exec.fifo is there, with a shared lock and no other kernel call', async () => {
  const f = await createdContainer('c1');
  try {
    const s = f.runtime.state('c1');
    assert.equal(s.status, 'created');
    assert.equal(s.pid, f.init.pid);
    assert.deepEqual(f.core.calls.map((c) => [c.name, c.args[1], c.args[2]]), [['flock', false, true]]);
    // list names the owner of the state directory: whoever runs this test.
    assert.deepEqual(f.runtime.list().map((c) => [c.id, c.status, c.owner]), [['c1', 'created', os.userInfo().username]]);
    assert.throws(() => f.runtime.state('nope'), ContainerNotFoundError);
  } finally {
    f.cleanup();
  }
});

test('start: claims exec.fifo (exclusive, non-blocking flock), reads init\'s "0" up to EOF, then the container runs', async () => {
  const f = await createdContainer('c2');
  try {
    const fifo = path.join(f.root, 'c2', 'exec.fifo');
    // Init's side: "0" written, its end closed at exec (here, at the first poll).
    const initEnd = fs.openSync(fifo, fs.constants.O_RDWR | fs.constants.O_NONBLOCK);
    fs.writeSync(initEnd, '0');
    f.core.onWaitReadable = () => {
      fs.closeSync(initEnd);
      f.core.onWaitReadable = undefined;
    };
    await f.runtime.start('c2');
    assert.equal(fs.existsSync(fifo), false, 'exec.fifo stays after start');
    const names = f.core.names();
    assert.deepEqual(names.slice(0, 3), ['flock', 'flock', 'pidfdOpen']);
    assert.deepEqual(f.core.calls[0].args.slice(1), [true, true], 'the container lock: exclusive, blocking');
    assert.deepEqual(f.core.calls[1].args.slice(1), [true, false], 'the fifo claim: exclusive, non-blocking');
    assert.ok(names.includes('waitReadable'));
    assert.equal(f.runtime.state('c2').status, 'running');
    // A second start: runc's words.
    await assert.rejects(() => f.runtime.start('c2'), (e: unknown) => e instanceof StatusError && e.message === 'cannot start an already running container');
  } finally {
    f.cleanup();
  }
});

test('start: a fifo another start holds (flock refused) is "already running"; a stopped init is "has stopped"', async () => {
  const f = await createdContainer('c3');
  try {
    // The container's lock is had (blocking); the fifo's (non-blocking) is another start's.
    f.core.flockResult = (_fd, _exclusive, block) => block;
    await assert.rejects(() => f.runtime.start('c3'), (e: unknown) => e instanceof StatusError && e.message === 'cannot start an already running container');
    f.core.flockResult = () => true;
    // No writer ever came and init is gone (no pidfd: /proc says so once it is killed).
    f.init.kill('SIGKILL');
    await f.exited;
    await assert.rejects(() => f.runtime.start('c3'), (e: unknown) => e instanceof StatusError && e.message === 'cannot start a container that has stopped');
  } finally {
    f.cleanup();
  }
});

test('kill: the signal goes to the init; a stopped container is "container not running"', async () => {
  const f = await createdContainer('c4');
  try {
    f.runtime.kill('c4', 'TERM');
    assert.equal(await f.exited, 'SIGTERM');
    assert.equal(f.runtime.state('c4').status, 'stopped');
    assert.equal(f.runtime.state('c4').pid, 0);
    assert.throws(() => f.runtime.kill('c4', 'KILL'), (e: unknown) => e instanceof StatusError && e.message === 'container not running');
    assert.throws(() => f.runtime.kill('c4', 'NOSUCH'), /unknown signal "NOSUCH"/);
  } finally {
    f.cleanup();
  }
});

test('delete: refused while running without force; with force the init is killed (SIGKILL), waited for, and the directory goes', async () => {
  const f = await createdContainer('c5');
  try {
    fs.rmSync(path.join(f.root, 'c5', 'exec.fifo'));
    assert.equal(f.runtime.state('c5').status, 'running');
    assert.throws(() => f.runtime.delete('c5'), (e: unknown) => e instanceof StatusError && e.message === 'cannot delete container c5 that is not stopped: running');
    f.core.calls.length = 0;
    f.runtime.delete('c5', { force: true });
    assert.equal(await f.exited, 'SIGKILL');
    assert.deepEqual(f.core.names(), ['flock', 'pidfdOpen']);
    assert.equal(fs.existsSync(path.join(f.root, 'c5')), false);
    assert.deepEqual(f.runtime.list(), []);
    // delete -f of what is not there succeeds, as runc's does.
    f.runtime.delete('c5', { force: true });
  } finally {
    f.cleanup();
  }
});

test('a created container is deleted without force (it has run nothing of the user\'s yet)', async () => {
  const f = await createdContainer('c6');
  try {
    f.runtime.delete('c6');
    assert.equal(await f.exited, 'SIGKILL');
    assert.equal(fs.existsSync(path.join(f.root, 'c6')), false);
  } finally {
    f.cleanup();
  }
});

test('run and exec wait through the core given, not a global one, and touch no signal handler', async () => {
  // The waiters run and exec use (foreground.ts), with this core: the exit status comes from it.
  const { ChildWaiter, SignalForwarder } = await import('../../../src/runtime/foreground.js');
  const core = new RecordingCore();
  core.exits.set(4242, { exited: false, code: 0, signal: 9 });
  const before = process.listenerCount('SIGTERM');
  assert.equal(await new ChildWaiter(core).wait(4242), 137);
  assert.equal(process.listenerCount('SIGTERM'), before, 'a ChildWaiter took SIGTERM');
  core.exits.set(4243, { exited: true, code: 3, signal: 0 });
  const forwarder = new SignalForwarder(core);
  assert.equal(process.listenerCount('SIGTERM'), before + 1);
  assert.equal(await forwarder.wait(4243), 3);
  assert.equal(process.listenerCount('SIGTERM'), before, 'the forwarder kept SIGTERM after the wait');
  assert.deepEqual(core.names(), ['waitPidAsync', 'waitPidAsync']);
});

/** A bundle whose rootfs is an empty directory: planning needs no binary in it (init looks args[0] up). */
function fakeBundle(): string {
  const bundle = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-fake-bundle-'));
  fs.mkdirSync(path.join(bundle, 'rootfs'));
  fs.writeFileSync(path.join(bundle, 'config.json'), JSON.stringify({
    ociVersion: '1.3.0',
    process: { args: ['/bin/app', 'x'], cwd: '/', user: { uid: 0, gid: 0 }, env: ['PATH=/bin'] },
    root: { path: 'rootfs' },
    hostname: 'fake',
    mounts: [{ destination: '/proc', type: 'proc', source: 'proc' }],
    linux: { namespaces: [{ type: 'pid' }, { type: 'mount' }, { type: 'uts' }] },
  }));
  return bundle;
}

test('create, start, exec, kill and delete through a fake tsrun-init: the plan it gets, the calls made, the states seen', { skip: skipUnlessRoot }, async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-fake-root-'));
  const bundle = fakeBundle();
  const init = spawn('sleep', ['100'], { stdio: 'ignore' });
  await new Promise((r) => init.once('spawn', r));
  const exited = new Promise<NodeJS.Signals | null>((r) => init.once('exit', (_c, s) => r(s)));
  const core = new RecordingCore();
  const EXEC_PID = 0x7ffffff1;
  let execs = 0;
  core.init = new FakeInit(() => (core.init!.plans.length === 1 ? init.pid! : (execs++, EXEC_PID)));
  core.exits.set(EXEC_PID, { exited: true, code: 7, signal: 0 });
  const runtime = new Runtime({ root, core });
  try {
    assert.equal(runtime.create('k1', { bundle }).status, 'created');
    const plan = core.init.plans[0] as Record<string, any>;
    assert.equal(plan.mode, 'create');
    assert.equal(plan.fifoPath, path.join(root, 'k1', 'exec.fifo'));
    assert.equal(plan.rootfs, path.join(bundle, 'rootfs'));
    assert.equal(plan.hostname, 'fake');
    assert.deepEqual((plan.namespaces as { type: string }[]).map((n) => n.type).sort(), ['mount', 'pid', 'uts']);
    assert.deepEqual(plan.process.args, ['/bin/app', 'x']);
    // The root's lock and the new directory's; then init's protocol. The state returned is the one written: no read back.
    // Around it all, where this host has v1 hierarchies, the cgroup-attach warm-up (cgroup-warm.ts), started first and ended.
    const warm = ownWarmUpTarget() === undefined ? [] : ['cgroupWarmStart'];
    assert.deepEqual(core.names(), [...warm, 'flock', 'flock', 'mkfifo', 'spawnInit', 'channelSend', 'channelRecv', 'waitPid', 'channelRecv', 'channelSend', ...warm.map(() => 'cgroupWarmStop')]);
    assert.deepEqual(core.calls.find((c) => c.name === 'waitPid')!.args, [RecordingCore.STAGE0, true], 'stage 0 is reaped');
    const state = JSON.parse(fs.readFileSync(path.join(root, 'k1', 'state.json'), 'utf8'));
    assert.equal(state.pid, init.pid);
    assert.equal(state.bundle, bundle);

    await runtime.start('k1');
    assert.equal(runtime.state('k1').status, 'running');

    core.calls.length = 0;
    assert.equal(await runtime.exec('k1', { flags: { args: ['/bin/other'], env: ['A=1'] } }), 7);
    const execPlan = core.init.plans[1] as Record<string, any>;
    assert.equal(execPlan.mode, 'exec');
    assert.deepEqual(execPlan.process.args, ['/bin/other']);
    assert.ok((execPlan.process.env as string[]).includes('A=1'));
    assert.equal(execs, 1);
    assert.deepEqual(core.names().filter((n) => n === 'waitPidAsync'), ['waitPidAsync'], 'the exec\'d process is waited for through the core');
    // exec moves its process into the v1 hierarchies too: warmed from its first call, ended before it waits.
    assert.deepEqual(core.names().filter((n) => n.startsWith('cgroupWarm') || n === 'spawnInit' || n === 'waitPidAsync'),
      [...warm, 'spawnInit', ...warm.map(() => 'cgroupWarmStop'), 'waitPidAsync']);
    if (warm.length) assert.equal(core.names()[0], 'cgroupWarmStart');

    runtime.kill('k1', 'SIGTERM');
    assert.equal(await exited, 'SIGTERM');
    runtime.delete('k1');
    assert.deepEqual(runtime.list(), []);
  } finally {
    init.kill('SIGKILL');
    fs.rmSync(root, { recursive: true, force: true });
    fs.rmSync(bundle, { recursive: true, force: true });
  }
});

test('run through a fake tsrun-init: the exit status the core reports for the init, and nothing left', { skip: skipUnlessRoot }, async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-fake-root-'));
  const bundle = fakeBundle();
  const init = spawn('sleep', ['100'], { stdio: 'ignore' });
  await new Promise((r) => init.once('spawn', r));
  const core = new RecordingCore();
  core.init = new FakeInit(() => init.pid!);
  core.exits.set(init.pid!, { exited: false, code: 0, signal: 15 });
  const runtime = new Runtime({ root, core });
  try {
    assert.equal(await runtime.run('r1', { bundle }), 128 + 15);
    assert.deepEqual(core.calls.filter((c) => c.name === 'waitPidAsync').map((c) => c.args[0]), [init.pid]);
    assert.deepEqual(runtime.list(), []);
    assert.deepEqual(fs.readdirSync(root), []);
  } finally {
    init.kill('SIGKILL');
    fs.rmSync(root, { recursive: true, force: true });
    fs.rmSync(bundle, { recursive: true, force: true });
  }
});

test('run with stdio through a fake tsrun-init: spawnInit gets /dev/null and the caller\'s fd as 0-2, ours are closed after, and exit says which signal', { skip: skipUnlessRoot }, async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-fake-root-'));
  const bundle = fakeBundle();
  const init = spawn('sleep', ['100'], { stdio: 'ignore' });
  await new Promise((r) => init.once('spawn', r));
  const core = new RecordingCore();
  core.init = new FakeInit(() => init.pid!);
  core.exits.set(init.pid!, { exited: false, code: 0, signal: 15 });
  const mine = fs.openSync(path.join(root, 'err.log'), 'w');
  let given: string[] = [];
  core.onSpawnInit = (_n, stdio) => (given = (stdio ?? []).map((fd) => fs.readlinkSync(`/proc/self/fd/${fd}`)));
  const runtime = new Runtime({ root, core });
  try {
    const p = await runtime.run('s1', { bundle }, { stdio: ['ignore', 'ignore', mine] });
    const [, preserve, stdio] = core.calls.find((c) => c.name === 'spawnInit')!.args as [string, number, number[]];
    assert.equal(preserve, 0);
    assert.equal(stdio[2], mine, 'a number is the caller\'s own fd');
    assert.deepEqual(given, ['/dev/null', '/dev/null', path.join(root, 'err.log')]);
    assert.deepEqual([p.stdin, p.stdout, p.stderr], [null, null, null]);
    assert.equal(p.pid, init.pid);
    assert.deepEqual(await p.exit, { status: 128 + 15, signal: 'SIGTERM' });
    // The /dev/null fds were ours to close; the caller's stays the caller's.
    for (const fd of stdio.slice(0, 2)) assert.notEqual(readlinkOrGone(fd), '/dev/null');
    assert.equal(fs.readlinkSync(`/proc/self/fd/${mine}`), path.join(root, 'err.log'));
    assert.deepEqual(runtime.list(), []);

    // stdio with a terminal is refused before anything starts, and nothing is left.
    const cfg = JSON.parse(fs.readFileSync(path.join(bundle, 'config.json'), 'utf8'));
    fs.writeFileSync(path.join(bundle, 'config.json'), JSON.stringify({ ...cfg, process: { ...cfg.process, terminal: true } }));
    core.calls.length = 0;
    await assert.rejects(runtime.run('s2', { bundle }, { stdio: 'ignore' }), (e: Error) => e.constructor.name === 'PlanError' && /\/process\/terminal: .*stdio/.test(e.message));
    assert.ok(!core.names().includes('spawnInit'));
    assert.deepEqual(fs.readdirSync(root), ['err.log']);
    await assert.rejects(runtime.run('s3', { bundle }, { stdio: ['pipe', 'pipe'] as never }), /three options/);
  } finally {
    fs.closeSync(mine);
    init.kill('SIGKILL');
    fs.rmSync(root, { recursive: true, force: true });
    fs.rmSync(bundle, { recursive: true, force: true });
  }
});

function readlinkOrGone(fd: number): string {
  try {
    return fs.readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    return 'closed';
  }
}

test('NOTIFY_SOCKET through the fake core: run binds the container\'s socket in the state dir, dials the host, and passes READY= on with our pid', { skip: skipUnlessRoot }, async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-fake-root-'));
  const bundle = fakeBundle();
  const init = spawn('sleep', ['100'], { stdio: 'ignore' });
  await new Promise((r) => init.once('spawn', r));
  const core = new RecordingCore();
  core.init = new FakeInit(() => init.pid!);
  core.notify = { lines: ['READY=1'], barrierAcked: false };
  // The init ends once READY= is through: run's wait returns then.
  let released!: () => void;
  const ready = new Promise<void>((r) => (released = r));
  const exitAfterReady = ready.then(() => ({ exited: true, code: 0, signal: 0 }));
  const waitPidAsync = core.waitPidAsync.bind(core);
  core.waitPidAsync = async (pid) => (pid === init.pid ? (await waitPidAsync(pid), exitAfterReady) : waitPidAsync(pid));
  const notifyReady = core.notifyReady.bind(core);
  core.notifyReady = async (...a) => {
    const r = await notifyReady(...a);
    released();
    return r;
  };
  const warnings: string[] = [];
  const runtime = new Runtime({ root, core, log: { warn: (m) => warnings.push(m) } });
  try {
    assert.equal(await runtime.run('n1', { bundle }, { notifySocket: '/run/host-notify.sock' }), 0);
    const plan = core.init.plans[0] as Record<string, any>;
    assert.ok((plan.process.env as string[]).includes('NOTIFY_SOCKET=/run/notify/notify.sock'), 'the container is told where its socket is');
    const calls = core.calls.filter((c) => c.name.startsWith('notify'));
    assert.deepEqual(calls.map((c) => c.name), ['notifyBind', 'notifyConnect', 'notifyRecvReady', 'notifyReady']);
    assert.deepEqual(calls[0].args, [path.join(root, 'n1', 'notify', 'notify.sock')]);
    assert.deepEqual(calls[1].args, ['/run/host-notify.sock']);
    // In the foreground tsrun is the process to watch: MAINPID is ours.
    assert.deepEqual(calls[3].args, ['READY=1', process.pid, 30_000]);
    assert.deepEqual(warnings, ['Timeout after waiting 30s for barrier. Ignored.']);
    assert.deepEqual(fs.readdirSync(root), []);
  } finally {
    init.kill('SIGKILL');
    fs.rmSync(root, { recursive: true, force: true });
    fs.rmSync(bundle, { recursive: true, force: true });
  }
});
