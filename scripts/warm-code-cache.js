// Writes the code cache of one lean lifecycle bundle (dist/tsrun-lite.cjs or
// dist/tsrun-fast.cjs; scripts/build-code-cache.js runs this once for each,
// in a node of its own) after running, in this process, the commands bin/tsrun
// sends to it on stand-in containers. V8 compiles a function at its first call
// and a cache holds only what was compiled when it was made: a cache made by
// loading the bundle alone left every state, list, kill, start and delete
// compiling its functions again at each start.
//
// A stand-in is a state directory written by the state store's own code
// whose init is a shell: it opens exec.fifo for writing (which blocks until
// `start` opens the read end), writes "0" as tsrun-init does once its hooks
// have run, and execs sleep, the container's process. No namespace, mount or
// cgroup is made, so this runs wherever the build does; everything it makes
// is under one temporary directory, removed at the end, and every stand-in is
// killed.
//
// Usage: node scripts/warm-code-cache.js tsrun-lite.cjs|tsrun-fast.cjs
// (the commands' own output goes to stdout: its caller discards it).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const dist = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist');
const { writeCodeCacheAfter } = await import(path.join(dist, 'src', 'code-cache.js'));
const { StateStore, recordLiveContainer } = await import(path.join(dist, 'src', 'runtime', 'state.js'));
const { defaultConfig } = await import(path.join(dist, 'src', 'spec', 'defaults.js'));

/** What each bundle is warmed with: the commands bin/tsrun runs it for, as engines call them, on the stand-ins "created" and "other". */
const PLANS = {
  'tsrun-lite.cjs': (c) => [
    ['state', 'created'],
    ['list'],
    ['list', '--format', 'json'],
    [...c.jsonLog, 'start', 'created'],
    ['state', 'created'],
    [...c.jsonLog, 'kill', 'created', 'TERM'],
  ],
  'tsrun-fast.cjs': (c) => [
    ['state', 'created'],
    [...c.jsonLog, 'kill', 'created', 'KILL'],
    c.reaped('created'),
    [...c.jsonLog, 'delete', 'created'],
    [...c.jsonLog, 'delete', '--force', 'other'],
  ],
};

const bundleName = process.argv[2];
if (!(bundleName in PLANS)) {
  console.error(`warm-code-cache: which bundle? ${Object.keys(PLANS).join(' or ')}`);
  process.exit(2);
}

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-warm-code-cache-'));
const root = path.join(scratch, 'root');
const bundle = path.join(scratch, 'bundle');
fs.mkdirSync(path.join(bundle, 'rootfs'), { recursive: true });
const store = new StateStore(root, () => true);
const inits = new Map();

/** A container in `created`, as create leaves one: its init waits on exec.fifo. */
function standIn(id) {
  const dir = store.create(id);
  try {
    store.core.mkfifo(dir.fifoPath, 0o622);
    const init = spawn('/bin/sh', ['-c', 'printf 0 > "$0" && exec sleep 60', dir.fifoPath], { stdio: 'ignore' });
    const exited = new Promise((resolve) => init.once('exit', resolve));
    inits.set(id, { init, exited });
    recordLiveContainer(dir, { id, pid: init.pid, bundle, rootfs: path.join(bundle, 'rootfs'), config: defaultConfig(), vanished: `the stand-in init of ${id} exited` });
  } finally {
    dir.close();
  }
}

try {
  standIn('created');
  standIn('other');
  const plan = PLANS[bundleName]({
    jsonLog: ['--log', path.join(scratch, 'log.json'), '--log-format', 'json'],
    // Waits until the killed init is reaped: a delete must find it stopped.
    reaped: (id) => () => inits.get(id).exited,
  });
  const launch = path.join(dist, bundleName.replace(/\.cjs$/, '-launch.cjs'));
  await writeCodeCacheAfter(path.join(dist, bundleName), async (cli) => {
    for (const step of plan) {
      if (typeof step === 'function') {
        await step();
        continue;
      }
      await cli.main([process.execPath, launch, '--root', root, ...step]);
      if (process.exitCode) throw new Error(`warm-code-cache: tsrun ${step.join(' ')} failed (exit ${process.exitCode})`);
    }
  });
} finally {
  for (const { init } of inits.values()) init.kill('SIGKILL');
  await Promise.all([...inits.values()].map(({ exited }) => exited));
  fs.rmSync(scratch, { recursive: true, force: true });
}
