// The library (`import { Runtime } from 'tsrun'`, here by file) inside
// another program: containers run, exit statuses come back, typed errors are
// thrown, and the host program keeps its own process as it was (signal
// handlers, umask). runc's CVE classes through the library: a leaked fd
// or a /proc/self/fd cwd never reaches the host, and a runtime process's exe
// cannot be opened from the container.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { baseConfig, busyboxRootfs, repoRoot, skipUnlessRoot, tsrunBin, uniqueId } from './harness.js';

const entry = pathToFileURL(path.join(repoRoot, 'dist', 'src', 'index.js')).href;

/** Runs an ES module program (body after `import * as tsrun`) in a node of its own; its stdout and stderr. */
function program(body: string, env: Record<string, string> = {}): { code: number; stdout: string; stderr: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-lib-'));
  try {
    const file = path.join(dir, 'main.mjs');
    fs.writeFileSync(file, `import * as tsrun from ${JSON.stringify(entry)};\n${body}\n`);
    const root = path.join(dir, 'root');
    const r = spawnSync(process.execPath, [file], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, ...env, STATE_ROOT: root } });
    // A program that failed midway may leave containers: removed as the CLI removes them.
    for (const id of fs.existsSync(root) ? fs.readdirSync(root) : []) spawnSync(tsrunBin, ['--root', root, 'delete', '--force', id]);
    return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const config = (args: string[], patch: (c: Record<string, any>) => void = () => {}) => {
  const c = baseConfig(args);
  patch(c);
  return JSON.stringify(c);
};

test('run: a config built in code runs, its exit status comes back, and the host process is left as it was', { skip: skipUnlessRoot }, () => {
  const r = program(`
    const signals = ['SIGINT', 'SIGTERM', 'SIGCHLD', 'SIGHUP', 'SIGWINCH'];
    const before = { listeners: signals.map((s) => process.listenerCount(s)), umask: process.umask() };
    const runtime = new tsrun.Runtime({ root: process.env.STATE_ROOT, log: console });
    const config = tsrun.validateConfig(${config(['sh', '-c', 'echo hello-from-library; exit 7'])});
    const status = await runtime.run(${JSON.stringify(uniqueId('h15lib'))}, { config, rootfs: config.root.path });
    const after = { listeners: signals.map((s) => process.listenerCount(s)), umask: process.umask() };
    console.log(JSON.stringify({ status, same: JSON.stringify(before) === JSON.stringify(after), left: runtime.list().length }));
  `);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.ok(lines.includes('hello-from-library'), r.stdout);
  assert.deepEqual(JSON.parse(lines.at(-1)!), { status: 7, same: true, left: 0 });
});

test('run and exec with stdio: stdin is written, stdout and stderr come back apart, and the exit status and signal', { skip: skipUnlessRoot }, () => {
  const id = uniqueId('h15lib');
  const r = program(`
    const runtime = new tsrun.Runtime({ root: process.env.STATE_ROOT });
    const text = (s) => new Promise((resolve, reject) => { let t = ''; s.setEncoding('utf8'); s.on('data', (d) => (t += d)); s.on('end', () => resolve(t)); s.on('error', reject); });
    const seen = {};
    // run: the container's process reads stdin to its end, writes both streams, and exits 4.
    const config = tsrun.validateConfig(${config(['sh', '-c', 'tr a-z A-Z; echo to-stderr >&2; exit 4'])});
    const p = await runtime.run(${JSON.stringify(id)}, { config, rootfs: config.root.path }, { stdio: 'pipe' });
    p.stdin.end('written to stdin\\n');
    const [out, err, exit] = await Promise.all([text(p.stdout), text(p.stderr), p.exit]);
    seen.run = { out, err, exit, pidNumber: Number.isInteger(p.pid), left: runtime.list().length };

    // exec into a running container: stdout piped, stdin and stderr ignored; then one killed by a signal.
    const id2 = ${JSON.stringify(id)} + '-2';
    await runtime.run(id2, { config: tsrun.validateConfig(${config(['sleep', '1000'])}), rootfs: config.root.path }, { detach: true });
    const e = await runtime.exec(id2, { flags: { args: ['sh', '-c', 'cat; echo exec-out; echo gone >&2; exit 2'] }, stdio: ['ignore', 'pipe', 'ignore'] });
    seen.exec = { nulls: [e.stdin, e.stderr], out: await text(e.stdout), exit: await e.exit };
    const k = await runtime.exec(id2, { flags: { args: ['sh', '-c', 'kill -TERM $$'] }, stdio: 'pipe' });
    seen.killed = await k.exit;
    // A terminal is the process's stdio: asking for pipes with it is refused, and nothing is left open.
    try { await runtime.exec(id2, { flags: { args: ['true'], tty: true }, stdio: 'pipe' }); } catch (x) { seen.terminal = x.constructor.name + ': ' + x.message; }
    runtime.delete(id2, { force: true });
    console.log(JSON.stringify(seen));
  `);
  assert.equal(r.code, 0, r.stderr);
  const seen = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
  assert.deepEqual(seen.run, { out: 'WRITTEN TO STDIN\n', err: 'to-stderr\n', exit: { status: 4, signal: null }, pidNumber: true, left: 0 });
  assert.deepEqual(seen.exec, { nulls: [null, null], out: 'exec-out\n', exit: { status: 2, signal: null } });
  assert.deepEqual(seen.killed, { status: 128 + 15, signal: 'SIGTERM' });
  assert.match(seen.terminal, /^PlanError: .*terminal.*stdio/);
});

test('create/start/state/exec/pause/resume/ps/events/kill/delete, and typed errors', { skip: skipUnlessRoot }, () => {
  const id = uniqueId('h15lib');
  const r = program(`
    const runtime = new tsrun.Runtime({ root: process.env.STATE_ROOT });
    const config = tsrun.validateConfig(${config(['sleep', '1000'])});
    const id = ${JSON.stringify(id)};
    const seen = [];
    seen.push(runtime.create(id, { config, rootfs: config.root.path }).status);
    await runtime.start(id);
    seen.push(runtime.state(id).status);
    seen.push(await runtime.exec(id, { flags: { args: ['sh', '-c', 'exit 3'] } }));
    seen.push(await runtime.exec(id, { process: { args: ['true'], cwd: '/', user: { uid: 0, gid: 0 }, env: ['PATH=/bin'] } }));
    runtime.pause(id);
    seen.push(runtime.state(id).status);
    try { runtime.pause(id); } catch (e) { seen.push(e instanceof tsrun.StatusError ? 'StatusError: ' + e.message : String(e)); }
    runtime.resume(id);
    seen.push(runtime.ps(id).includes(runtime.state(id).pid));
    for await (const e of runtime.events(id, { stats: true })) seen.push(e.type + ':' + (typeof e.data.pids.current));
    runtime.kill(id, 'KILL');
    while (runtime.state(id).status !== 'stopped') await new Promise((r) => setTimeout(r, 20));
    runtime.delete(id);
    try { runtime.state(id); } catch (e) { seen.push(e instanceof tsrun.ContainerNotFoundError); }
    try { runtime.create('bad/id', { config, rootfs: config.root.path }); } catch (e) { seen.push(e instanceof tsrun.InvalidIdError); }
    try { tsrun.validateConfig({ ociVersion: '1.0.0', process: { cwd: 'relative' } }); } catch (e) { seen.push(e instanceof tsrun.ConfigError ? e.path : String(e)); }
    console.log(JSON.stringify(seen));
  `);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout.trim().split('\n').at(-1)!), [
    'created', 'running', 3, 0, 'paused', 'StatusError: container not running', true, 'stats:number', true, true, '/process/cwd',
  ]);
});

test('CVE-2024-21626 class through the library: a fd the host program holds open never reaches the container', { skip: skipUnlessRoot }, () => {
  const marker = `host-only-${process.pid}`;
  fs.writeFileSync(path.join(os.tmpdir(), marker), '');
  try {
    const r = program(`
      import('node:fs').then(async ({ default: fs }) => {
        // Host directories the program holds open, as a server holds its files.
        const held = [fs.openSync(${JSON.stringify(os.tmpdir())}, 'r'), fs.openSync('/', 'r')];
        const runtime = new tsrun.Runtime({ root: process.env.STATE_ROOT });
        const fds = await runtime.run('${uniqueId('h15lib')}', { config: tsrun.validateConfig(${config(['sh', '-c', 'echo FDS $(ls /proc/self/fd)'])}), rootfs: ${JSON.stringify(busyboxRootfs())} });
        for (let n = 3; n <= 12; n++) {
          const cfg = tsrun.validateConfig(${config(['sh', '-c', 'ls -a .. ../.. ../../.. 2>&1; readlink /proc/self/cwd'])});
          cfg.process.cwd = '/proc/self/fd/' + n;
          try { await runtime.run('${uniqueId('h15lib')}-' + n, { config: cfg, rootfs: cfg.root.path }); } catch (e) { console.log('REFUSED ' + n + ': ' + e.message); }
        }
        console.log('HELD ' + held.join(' '));
      });
    `);
    assert.equal(r.code, 0, r.stderr);
    // ls's own directory fd is 3.
    assert.match(r.stdout, /^FDS 0 1 2 3$/m);
    assert.ok(!r.stdout.includes(marker), `a cwd reached the host:\n${r.stdout}`);
    for (const line of r.stdout.split('\n').filter((l) => l.startsWith('REFUSED'))) assert.match(line, /cannot enter cwd/);
  } finally {
    fs.rmSync(path.join(os.tmpdir(), marker), { force: true });
  }
});

test('CVE-2019-5736 class through the library: no runtime process\'s exe or fds can be opened from the container', { skip: skipUnlessRoot }, () => {
  const watcher = [
    'while :; do',
    '  for p in /proc/[0-9]*; do',
    '    n=${p#/proc/}; [ "$n" = 1 ] && continue; [ "$n" = $$ ] && continue',
    '    if (exec 3<>"$p/exe") 2>/dev/null; then echo "OPENED-EXE $n $(readlink $p/exe)" >> /tmp/log; fi',
    '    if ls "$p/fd" >/dev/null 2>&1; then echo "LISTED-FD $n $(readlink $p/exe)" >> /tmp/log; fi',
    '  done',
    'done',
  ].join('\n');
  const caps = ['CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FOWNER', 'CAP_KILL', 'CAP_SETGID', 'CAP_SETUID', 'CAP_SYS_CHROOT'];
  const id = uniqueId('h15lib');
  const r = program(`
    const runtime = new tsrun.Runtime({ root: process.env.STATE_ROOT });
    const config = tsrun.validateConfig(${config(['sh', '-c', `touch /tmp/log; ( ${watcher} ) & sleep 1000`], (c) => {
      c.process.capabilities = { bounding: caps, effective: caps, permitted: caps };
    })});
    await runtime.run('${id}', { config, rootfs: config.root.path }, { detach: true });
    await new Promise((r) => setTimeout(r, 200));
    for (let i = 0; i < 15; i++) await runtime.exec('${id}', { flags: { args: ['true'] } });
    await new Promise((r) => setTimeout(r, 200));
    console.log('LOG-BEGIN');
    await runtime.exec('${id}', { flags: { args: ['cat', '/tmp/log'] } });
    runtime.delete('${id}', { force: true });
  `);
  assert.equal(r.code, 0, r.stderr);
  const log = r.stdout.slice(r.stdout.indexOf('LOG-BEGIN') + 'LOG-BEGIN'.length);
  // The exec'd `true`/`cat` are busybox: opening those is no escape. Anything else is.
  const escapes = log.split('\n').filter((l) => l && !/\/bin\/busybox$/.test(l) && !/ $/.test(l));
  assert.deepEqual(escapes, []);
});
