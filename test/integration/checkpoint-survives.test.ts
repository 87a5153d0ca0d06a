// What a container keeps across a real CRIU checkpoint and restore, side by
// side with runc 1.1.5 given the same criu: its mounts (a bind from the
// host, masked and read-only paths, a tmpfs /dev with devpts), its cgroup
// path and limits, namespaces it joined by path, its state and hooks. Then
// the robustness of tsrun's own side: one checkpoint at a time, and a
// restore interrupted by a signal. Each test checks that nothing is left:
// state dirs, cgroups, processes, mounts (CRIU's cgroup yard too).
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { makeBundle, processLives, sideBySide, sleep, uniqueId } from './harness.js';
import {
  cgroupDirs, cgroupsNamed, countAtLeast, COUNTER, criu, criuMountsUnder, detached, guardCriu, hostSkip, isFrozen, pidOf, type Rt, scratchDir, STEP_MS, SUITE_MS, within,
} from './criu-harness.js';

const skip = await hostSkip();
// Every criu the tests start goes through the guard's wrapper, so that cleanup can kill one that hangs.
const guard = skip ? undefined : guardCriu();
const CRIU = guard?.criu;

/** A hook that writes the state it is given to dir/tag.json. */
const hook = (dir: string, tag: string) => ({ path: '/bin/sh', args: ['sh', '-c', `cat > ${dir}/${tag}.json`] });

function readJson(file: string): Record<string, unknown> {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

function exec(rt: Rt, id: string, script: string) {
  return rt.run(['exec', id, '/bin/sh', '-c', script]);
}

/** Mount points in the container's mountinfo, with their filesystem types. */
function mountTypes(rt: Rt, id: string): Map<string, string> {
  const r = exec(rt, id, 'cat /proc/1/mountinfo');
  assert.equal(r.code, 0, r.stderr);
  return new Map(r.stdout.trim().split('\n').map((l) => [l.split(' ')[4], l.split(' - ')[1].split(' ')[0]]));
}

/** Mount points on the host under any of dirs. */
function hostMountsUnder(dirs: string[]): string[] {
  const reals = dirs.map((d) => fs.realpathSync(d));
  return fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4] ?? '').filter((m) => reals.some((d) => m.startsWith(`${d}/`)));
}

/** The limit files of the cgroup pid is in: memory (v1 or v2) and pids. */
function limits(pid: number): { memory: string; pids: string } {
  const dirs = cgroupDirs(pid);
  const read = (names: string[]) => {
    for (const d of dirs) {
      for (const n of names) if (fs.existsSync(path.join(d, n))) return fs.readFileSync(path.join(d, n), 'utf8').trim();
    }
    return 'missing';
  };
  return { memory: read(['memory.limit_in_bytes', 'memory.max']), pids: read(['pids.max']) };
}

/** The pid namespace's inode and the process's pid in it (the last NSpid). */
function pidNs(pid: number): { ino: number; inner: number } {
  const nspid = /^NSpid:\s*(.*)$/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))![1].trim().split(/\s+/);
  return { ino: fs.statSync(`/proc/${pid}/ns/pid`).ino, inner: Number(nspid[nspid.length - 1]) };
}

/** A criu wrapper: records its pid in <wrapper>.pid, sleeps delay seconds, then runs the real criu. */
function criuWrapper(dir: string, name: string, delay = 0): string {
  const wrapper = path.join(dir, name);
  fs.writeFileSync(wrapper, `#!/bin/sh\necho $$ > ${wrapper}.pid\n${delay ? `sleep ${delay}\n` : ''}exec ${CRIU} "$@"\n`, { mode: 0o755 });
  return wrapper;
}

async function fileAppears(file: string, ms = 20_000): Promise<void> {
  for (let end = Date.now() + ms; Date.now() < end; ) {
    if (fs.existsSync(file)) return;
    await sleep(20);
  }
  assert.fail(`${file} did not appear`);
}

/** tsrun (or runc) in the background with this criu; done resolves with its exit code (128+N for signal N) and stderr. */
function startCommand(rt: Rt, criuPath: string, args: string[], log?: string): { child: ChildProcess; done: Promise<{ code: number; stderr: string }> } {
  // With a log, every stdio is /dev/null, as the detached run's that a foreground restore hands its own in place of.
  const child = guard!.track(spawn(rt.bin, ['--root', rt.root, ...(log ? ['--log', log] : []), '--criu', criuPath, ...args], { stdio: ['ignore', 'ignore', log ? 'ignore' : 'pipe'] }));
  let stderr = '';
  child.stderr?.on('data', (d) => (stderr += d));
  const done = new Promise<{ code: number; stderr: string }>((resolve) =>
    child.on('close', (code, sig) => {
      if (log && fs.existsSync(log)) stderr = fs.readFileSync(log, 'utf8');
      resolve({ code: code ?? 128 + (sig ? (({ SIGKILL: 9, SIGTERM: 15, SIGINT: 2 }) as Record<string, number>)[sig] ?? 0 : 0), stderr });
    }),
  );
  return { child, done };
}

describe('checkpoint and restore: what survives', { skip, timeout: SUITE_MS }, () => {
  const sbs = sideBySide();
  after(async () => {
    // A checkpoint that hung holds its container (and its lock): its tsrun and criu go first, then delete -f can clear it.
    const { stuck } = await guard!.reap();
    sbs.cleanup();
    assert.deepEqual(stuck, [], 'criu processes outlived SIGKILL');
  });
  const runtimes = (): Array<[string, Rt]> => [['tsrun', sbs.rt], ...(sbs.runc ? [['runc', sbs.runc] as [string, Rt]] : [])];

  test('a host bind mount, masked and read-only paths, /dev and devpts, cgroup path and limits, the state, the hooks (runtime-spec config.md Mounts, config-linux.md Masked Paths, Readonly Paths, Control groups; runtime.md State, config.md POSIX-platform Hooks)', async () => {
    const maskedFiles = ['/proc/kcore', '/proc/keys', '/proc/timer_list'].filter((p) => fs.existsSync(p));
    const maskedDirs = ['/proc/acpi', '/proc/scsi'].filter((p) => fs.existsSync(p) && fs.statSync(p).isDirectory());
    assert.ok(maskedFiles.length && maskedDirs.length, 'no masked file or directory to try on this host');
    const stateKeys = new Map<string, string[]>();
    for (const [name, rt] of runtimes()) {
      const dir = scratchDir(sbs.dirs, `survive-${name}`);
      const hostDir = path.join(dir, 'host');
      fs.mkdirSync(hostDir);
      fs.writeFileSync(path.join(hostDir, 'file'), 'from-the-host\n');
      const images = path.join(dir, 'images');
      const id = uniqueId(`survive${name}`);
      const bundle = makeBundle(COUNTER, (c) => {
        c.mounts.push(
          { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620'] },
          { destination: '/data', type: 'bind', source: hostDir, options: ['rbind', 'rw'] },
        );
        c.linux.maskedPaths = [...maskedFiles, ...maskedDirs];
        c.linux.readonlyPaths = ['/proc/sys'];
        c.linux.cgroupsPath = `/${id}`;
        c.linux.resources = { memory: { limit: 64 << 20 }, pids: { limit: 64 } };
        c.annotations = { 'org.example.checkpoint': 'kept' };
        c.hooks = { prestart: [hook(dir, 'prestart')], createRuntime: [hook(dir, 'createRuntime')], poststop: [hook(dir, 'poststop')] };
      });
      assert.equal(detached(rt, ['run', '-d', '--bundle', bundle, id]).code, 0);
      const before = rt.state(id);
      const oldPid = before.pid as number;
      const counted = await countAtLeast(rt, id, 10);
      assert.equal(exec(rt, id, 'echo in > /data/before').code, 0);
      const cp = criu(rt, ['checkpoint', '--image-path', images, id]);
      assert.equal(cp.code, 0, `${name} checkpoint: ${cp.stderr}`);
      assert.ok(!processLives(oldPid), `${name}: the checkpointed init lives`);
      for (const tag of ['prestart', 'createRuntime', 'poststop']) fs.rmSync(path.join(dir, `${tag}.json`), { force: true });

      const pidFile = path.join(dir, 'pid');
      const rs = detached(rt, ['restore', '-d', '--image-path', images, '--pid-file', pidFile, '--bundle', bundle, id]);
      assert.equal(rs.code, 0, `${name} restore: ${rs.stderr}`);
      // The state: running, the restored pid, the same bundle and annotations, created anew (as runc: the restore's time).
      const st = rt.state(id);
      stateKeys.set(name, Object.keys(st).sort());
      assert.equal(st.status, 'running', name);
      const pid = st.pid as number;
      assert.equal(fs.readFileSync(pidFile, 'utf8'), String(pid), `${name}: --pid-file`);
      assert.equal(st.bundle, before.bundle, name);
      assert.equal(st.rootfs, before.rootfs, name);
      assert.deepEqual(st.annotations, { 'org.example.checkpoint': 'kept' }, `${name}: annotations`);
      assert.ok(Date.parse(st.created as string) > Date.parse(before.created as string), `${name}: created ${before.created} → ${st.created}`);
      for (const tag of ['prestart', 'createRuntime']) {
        const hs = readJson(path.join(dir, `${tag}.json`));
        assert.equal(hs.pid, pid, `${name} ${tag}: the restored pid`);
        assert.equal(hs.id, id, `${name} ${tag}`);
        assert.equal(hs.bundle, before.bundle, `${name} ${tag}`);
      }
      assert.ok(!fs.existsSync(path.join(dir, 'poststop.json')), `${name}: poststop ran on restore`);
      assert.ok((await countAtLeast(rt, id, counted)) < counted + 200, `${name}: the counter started over`);

      // The bind from the host: its content, writable both ways.
      assert.equal(exec(rt, id, 'cat /data/file').stdout, 'from-the-host\n', name);
      assert.equal(exec(rt, id, 'cat /data/before && echo out > /data/after').stdout, 'in\n', name);
      assert.equal(fs.readFileSync(path.join(hostDir, 'after'), 'utf8'), 'out\n', `${name}: a write to the bind after the restore`);
      // Masked files read empty (/dev/null over them), masked directories are empty, /proc/sys is read-only.
      for (const f of maskedFiles) assert.equal(exec(rt, id, `wc -c < ${f}`).stdout.trim(), '0', `${name}: ${f} is not masked after the restore`);
      for (const d of maskedDirs) assert.equal(exec(rt, id, `ls -A ${d}`).stdout, '', `${name}: ${d} is not masked after the restore`);
      const ro = exec(rt, id, 'echo x > /proc/sys/kernel/domainname');
      assert.notEqual(ro.code, 0, `${name}: /proc/sys is writable after the restore`);
      assert.match(ro.stderr, /Read-only file system/, name);
      // /dev: the tmpfs, devpts with its ptmx, a working /dev/null.
      const types = mountTypes(rt, id);
      assert.equal(types.get('/dev'), 'tmpfs', name);
      assert.equal(types.get('/dev/pts'), 'devpts', name);
      assert.ok(types.has('/data'), `${name}: the bind is not mounted after the restore`);
      assert.equal(exec(rt, id, 'echo hi > /dev/null && test -c /dev/pts/ptmx && test -c /dev/null && echo ok').stdout, 'ok\n', `${name}: /dev after the restore`);
      // The cgroup: the config's path in every hierarchy, with its limits.
      const dirs = cgroupDirs(pid);
      assert.ok(dirs.length > 0, name);
      assert.deepEqual(dirs.filter((d) => !d.endsWith(`/${id}`)), [], `${name}: restored outside cgroupsPath /${id}`);
      assert.deepEqual(limits(pid), { memory: String(64 << 20), pids: '64' }, `${name}: the limits after the restore`);

      assert.equal(rt.run(['delete', '-f', id]).code, 0);
      // poststop runs on delete, as after any run.
      assert.equal(readJson(path.join(dir, 'poststop.json')).id, id, `${name}: poststop after delete`);
      assert.deepEqual(rt.ids(), [], name);
      assert.deepEqual(dirs.filter((d) => fs.existsSync(d)), [], `${name}: the cgroup is left`);
      assert.deepEqual(hostMountsUnder([dir, bundle]), [], `${name}: mounts are left (CRIU's cgroup yard among them)`);
      assert.ok(!processLives(pid), `${name}: the restored init outlived delete -f`);
    }
    // The restored state has runc's fields, no more, no fewer.
    if (stateKeys.has('runc')) assert.deepEqual(stateKeys.get('tsrun'), stateKeys.get('runc'));
  });

  test('--manage-cgroups-mode soft, full and ignore restore into the config\'s cgroup with its limits; strict is refused (config-linux.md Control groups)', async () => {
    for (const [name, rt] of runtimes()) {
      // runc 1.1.5 knows no "ignore".
      for (const mode of name === 'tsrun' ? ['soft', 'full', 'ignore'] : ['soft', 'full']) {
        const images = path.join(scratchDir(sbs.dirs, `cg-${name}-${mode}`), 'images');
        const id = uniqueId(`cg${mode}`);
        const bundle = makeBundle(COUNTER, (c) => {
          c.linux.cgroupsPath = `/${id}`;
          c.linux.resources = { memory: { limit: 48 << 20 }, pids: { limit: 40 } };
        });
        assert.equal(detached(rt, ['run', '-d', '--bundle', bundle, id]).code, 0);
        const before = await countAtLeast(rt, id, 3);
        const cp = criu(rt, ['checkpoint', '--manage-cgroups-mode', mode, '--image-path', images, id]);
        assert.equal(cp.code, 0, `${name} ${mode} checkpoint: ${cp.stderr}`);
        const rs = detached(rt, ['restore', '-d', '--manage-cgroups-mode', mode, '--image-path', images, '--bundle', bundle, id]);
        assert.equal(rs.code, 0, `${name} ${mode} restore: ${rs.stderr}`);
        const pid = pidOf(rt, id);
        const dirs = cgroupDirs(pid);
        assert.deepEqual(dirs.filter((d) => !d.endsWith(`/${id}`)), [], `${name} ${mode}: restored outside /${id}`);
        assert.deepEqual(limits(pid), { memory: String(48 << 20), pids: '40' }, `${name} ${mode}`);
        await countAtLeast(rt, id, before + 2);
        assert.equal(rt.run(['delete', '-f', id]).code, 0);
        assert.deepEqual(dirs.filter((d) => fs.existsSync(d)), [], `${name} ${mode}: the cgroup is left`);
        assert.ok(!processLives(pid), `${name} ${mode}: the restored init outlived delete -f`);
        assert.deepEqual(criuMountsUnder(images), [], `${name} ${mode}: CRIU's cgroup yard is left`);
      }
    }
    // strict: CRIU restores only into cgroups it makes, tsrun makes the config's first. runc 1.1.5
    // takes the flag and restores in soft mode (its restore.log says "cgroups restore mode 0x4").
    const rt = sbs.rt;
    const images = path.join(scratchDir(sbs.dirs, 'cg-strict'), 'images');
    const id = uniqueId('cgstrict');
    const bundle = makeBundle(COUNTER, (c) => {
      c.linux.cgroupsPath = `/${id}`;
    });
    assert.equal(detached(rt, ['run', '-d', '--bundle', bundle, id]).code, 0);
    await countAtLeast(rt, id, 3);
    assert.equal(criu(rt, ['checkpoint', '--manage-cgroups-mode', 'strict', '--image-path', images, id]).code, 0);
    const rs = detached(rt, ['restore', '-d', '--manage-cgroups-mode', 'strict', '--image-path', images, '--bundle', bundle, id]);
    assert.notEqual(rs.code, 0);
    assert.match(rs.stderr, /--manage-cgroups-mode strict: CRIU's strict mode restores only into cgroups that do not exist yet.*use soft/, rs.stderr);
    assert.deepEqual(rt.ids(), []);
    assert.deepEqual(cgroupsNamed(id), []);
    // The same images restore in soft mode.
    assert.equal(detached(rt, ['restore', '-d', '--image-path', images, '--bundle', bundle, id]).code, 0);
    assert.equal(rt.run(['delete', '-f', id]).code, 0);
    assert.deepEqual(cgroupsNamed(id), []);
  });

  test('a network namespace joined by path (ip netns add): restored into that very namespace (config-linux.md Namespaces)', async () => {
    const netns = `tsrun-criu-${process.pid}`;
    assert.equal(spawnSync('ip', ['netns', 'add', netns]).status, 0, 'ip netns add');
    try {
      assert.equal(spawnSync('ip', ['-n', netns, 'addr', 'add', '10.213.7.1/32', 'dev', 'lo']).status, 0);
      const nsPath = `/run/netns/${netns}`;
      const ino = fs.statSync(nsPath).ino;
      const bundle = makeBundle(COUNTER, (c) => {
        c.linux.namespaces = c.linux.namespaces.map((n: { type: string }) => (n.type === 'network' ? { type: 'network', path: nsPath } : n));
      });
      for (const [name, rt] of runtimes()) {
        const images = path.join(scratchDir(sbs.dirs, `netns-${name}`), 'images');
        const id = uniqueId('netns');
        assert.equal(detached(rt, ['run', '-d', '--bundle', bundle, id]).code, 0);
        assert.equal(fs.statSync(`/proc/${pidOf(rt, id)}/ns/net`).ino, ino, name);
        const before = await countAtLeast(rt, id, 3);
        const cp = criu(rt, ['checkpoint', '--image-path', images, id]);
        assert.equal(cp.code, 0, `${name} checkpoint: ${cp.stderr}`);
        const rs = detached(rt, ['restore', '-d', '--image-path', images, '--bundle', bundle, id]);
        assert.equal(rs.code, 0, `${name} restore: ${rs.stderr}`);
        assert.equal(fs.statSync(`/proc/${pidOf(rt, id)}/ns/net`).ino, ino, `${name}: restored into another network namespace`);
        assert.match(exec(rt, id, 'ip addr show dev lo').stdout, /10\.213\.7\.1\/32/, name);
        await countAtLeast(rt, id, before + 2);
        const pid = pidOf(rt, id);
        const dirs = cgroupDirs(pid);
        assert.equal(rt.run(['delete', '-f', id]).code, 0);
        assert.deepEqual(rt.ids(), [], name);
        assert.ok(!processLives(pid), `${name}: the restored init outlived delete -f`);
        assert.deepEqual(dirs.filter((d) => fs.existsSync(d)), [], `${name}: the cgroup is left`);
        assert.deepEqual(criuMountsUnder(images), [], `${name}: CRIU's cgroup yard is left`);
      }
    } finally {
      spawnSync('ip', ['netns', 'del', netns]);
    }
  });

  test('a pid namespace joined by path: restored into it under the same pid there (config-linux.md Namespaces; runc\'s extRootPidNS)', async () => {
    // The namespace's init, as a pod's pause process: it must reap what is orphaned there. The checkpoint
    // kills the counter's shell; its `sleep` child, a zombie nobody reaps, would keep the session id, which
    // is the dumped init's pid, and CRIU could not restore that pid ("Can't fork for N: File exists").
    const holder = spawn('unshare', ['--pid', '--fork', '/bin/sh', '-c', 'while :; do sleep 0.1; done'], { stdio: 'ignore' });
    let inner = 0;
    try {
      for (let i = 0; i < 100 && !inner; i++) {
        inner = Number(fs.readFileSync(`/proc/${holder.pid}/task/${holder.pid}/children`, 'utf8').trim().split(/\s+/)[0] || 0);
        if (!inner) await sleep(20);
      }
      assert.ok(inner, 'the namespace holder did not start');
      const nsPath = `/proc/${inner}/ns/pid`;
      const ino = fs.statSync(nsPath).ino;
      const bundle = makeBundle(COUNTER, (c) => {
        c.linux.namespaces = c.linux.namespaces.map((n: { type: string }) => (n.type === 'pid' ? { type: 'pid', path: nsPath } : n));
      });
      for (const [name, rt] of runtimes()) {
        const images = path.join(scratchDir(sbs.dirs, `pidns-${name}`), 'images');
        const id = uniqueId('pidns');
        assert.equal(detached(rt, ['run', '-d', '--bundle', bundle, id]).code, 0);
        const oldPid = pidOf(rt, id);
        const before = pidNs(oldPid);
        assert.equal(before.ino, ino, name);
        const counted = await countAtLeast(rt, id, 3);
        const cp = criu(rt, ['checkpoint', '--image-path', images, id]);
        assert.equal(cp.code, 0, `${name} checkpoint: ${cp.stderr}`);
        // The dumped init's pid in the namespace is free only once its parent (this host's init, after a
        // detached run) reaps it; CRIU restores that very pid. tsrun waits for it, runc does not.
        if (name === 'tsrun') assert.ok(!fs.existsSync(`/proc/${oldPid}`), 'tsrun checkpoint returned before the dumped init was reaped');
        for (let i = 0; i < 500 && fs.existsSync(`/proc/${oldPid}`); i++) await sleep(20);
        const rs = detached(rt, ['restore', '-d', '--image-path', images, '--bundle', bundle, id]);
        assert.equal(rs.code, 0, `${name} restore: ${rs.stderr}`);
        const pid = pidOf(rt, id);
        assert.deepEqual(pidNs(pid), before, `${name}: another pid namespace, or another pid in it`);
        await countAtLeast(rt, id, counted + 2);
        const dirs = cgroupDirs(pid);
        assert.equal(rt.run(['delete', '-f', id]).code, 0);
        assert.deepEqual(rt.ids(), [], name);
        assert.ok(!processLives(pid), `${name}: the restored init outlived delete -f`);
        assert.deepEqual(dirs.filter((d) => fs.existsSync(d)), [], `${name}: the cgroup is left`);
        assert.deepEqual(criuMountsUnder(images), [], `${name}: CRIU's cgroup yard is left`);
      }
    } finally {
      if (inner) process.kill(inner, 'SIGKILL');
      holder.kill('SIGKILL');
    }
  });

  test('a second checkpoint while one runs is refused before it runs CRIU, and does not thaw the first one\'s container', async () => {
    const rt = sbs.rt;
    const dir = scratchDir(sbs.dirs, 'twice');
    const bundle = makeBundle(COUNTER);
    const id = uniqueId('twice');
    assert.equal(detached(rt, ['run', '-d', '--bundle', bundle, id]).code, 0);
    const pid = pidOf(rt, id);
    const before = await countAtLeast(rt, id, 3);
    // Paused, the container stays frozen for the whole of the first checkpoint, whose criu starts late.
    assert.equal(rt.run(['pause', id]).code, 0);
    const slow = criuWrapper(dir, 'slow-criu', 2);
    const first = startCommand(rt, slow, ['checkpoint', '--leave-running', '--image-path', path.join(dir, 'first'), id]);
    await fileAppears(`${slow}.pid`);
    const second = criuWrapper(dir, 'second-criu');
    const r = rt.run(['--criu', second, 'checkpoint', '--leave-running', '--image-path', path.join(dir, 'second'), id]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, new RegExp(`container ${id} is being checkpointed by another tsrun checkpoint: wait until it ends`), r.stderr);
    assert.ok(!fs.existsSync(`${second}.pid`), 'the refused checkpoint ran criu');
    assert.ok(isFrozen(pid), 'the refused checkpoint thawed the container');
    const end = await within(first.done, STEP_MS);
    assert.ok(end, `the first checkpoint did not end within ${STEP_MS / 1000} s`);
    assert.equal(end.code, 0, `the first checkpoint: ${end.stderr}`);
    assert.ok(fs.existsSync(path.join(dir, 'first', 'pstree.img')));
    assert.equal(rt.state(id).status, 'paused', 'a paused container stays paused');
    assert.equal(rt.run(['resume', id]).code, 0);
    await countAtLeast(rt, id, before + 2);
    // The first one over, the next checkpoint goes ahead.
    const again = criu(rt, ['checkpoint', '--leave-running', '--image-path', path.join(dir, 'again'), id]);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(rt.run(['delete', '-f', id]).code, 0);
    assert.deepEqual(rt.ids(), []);
    assert.deepEqual(cgroupsNamed(id), []);
  });

  describe('a restore interrupted by a signal: CRIU does not go on alone, nothing is left', () => {
    /** A checkpoint whose restore stops in its prestart hook (CRIU's setup-namespaces) while dir/slow exists. */
    async function checkpointed(rt: Rt, tag: string) {
      const dir = scratchDir(sbs.dirs, `sig-${tag}`);
      const images = path.join(dir, 'images');
      const id = uniqueId(`sig${tag}`);
      const bundle = makeBundle(COUNTER, (c) => {
        c.linux.cgroupsPath = `/${id}`;
        c.hooks = { prestart: [{ path: '/bin/sh', args: ['sh', '-c', `if [ -e ${dir}/slow ]; then touch ${dir}/in-hook; sleep 1; fi`] }] };
      });
      assert.equal(detached(rt, ['run', '-d', '--bundle', bundle, id]).code, 0);
      await countAtLeast(rt, id, 3);
      assert.equal(criu(rt, ['checkpoint', '--image-path', images, id]).code, 0);
      fs.writeFileSync(path.join(dir, 'slow'), '');
      return { dir, images, id, bundle, wrapper: criuWrapper(dir, 'criu') };
    }

    /** Nothing of id: no state dir, cgroup, process of the restore, criu, or mount under the images. */
    function assertNothingOf(rt: Rt, c: { id: string; images: string; wrapper: string }) {
      assert.deepEqual(rt.ids(), [], 'a state dir is left');
      assert.deepEqual(cgroupsNamed(c.id), [], 'a cgroup is left');
      assert.deepEqual(criuMountsUnder(c.images), [], "CRIU's cgroup yard is left mounted");
      assert.ok(!processLives(Number(fs.readFileSync(`${c.wrapper}.pid`, 'utf8'))), 'criu is left running');
    }

    for (const [sig, code] of [['SIGTERM', 143], ['SIGINT', 130]] as const) {
      test(`${sig}: criu is killed, the restore undone, exit ${code}; the images restore afterwards`, async () => {
        const rt = sbs.rt;
        const c = await checkpointed(rt, sig.toLowerCase());
        const rs = startCommand(rt, c.wrapper, ['restore', '-d', '--image-path', c.images, '--bundle', c.bundle, c.id]);
        await fileAppears(path.join(c.dir, 'in-hook'));
        rs.child.kill(sig);
        const end = await within(rs.done, 30_000);
        assert.ok(end, 'the restore did not end');
        assert.equal(end.code, code, end.stderr);
        assert.match(end.stderr, new RegExp(`restore interrupted by ${sig}: criu \\(pid \\d+\\) was killed`), end.stderr);
        assertNothingOf(rt, c);
        fs.rmSync(path.join(c.dir, 'slow'));
        const again = detached(rt, ['restore', '-d', '--image-path', c.images, '--bundle', c.bundle, c.id]);
        assert.equal(again.code, 0, again.stderr);
        await countAtLeast(rt, c.id, 4);
        assert.equal(rt.run(['delete', '-f', c.id]).code, 0);
        assert.deepEqual(cgroupsNamed(c.id), []);
      });
    }

    test('SIGTERM during a checkpoint: criu is killed, exit 143, the container goes on running and thawed', async () => {
      const rt = sbs.rt;
      const dir = scratchDir(sbs.dirs, 'sig-cp');
      const bundle = makeBundle(COUNTER);
      const id = uniqueId('sigcp');
      assert.equal(detached(rt, ['run', '-d', '--bundle', bundle, id]).code, 0);
      const pid = pidOf(rt, id);
      const before = await countAtLeast(rt, id, 3);
      const slow = criuWrapper(dir, 'slow-criu', 2);
      const cp = startCommand(rt, slow, ['checkpoint', '--image-path', path.join(dir, 'images'), id]);
      await fileAppears(`${slow}.pid`);
      cp.child.kill('SIGTERM');
      const end = await within(cp.done, 30_000);
      assert.ok(end, 'the checkpoint did not end');
      assert.equal(end.code, 143, end.stderr);
      assert.match(end.stderr, /checkpoint interrupted by SIGTERM: criu \(pid \d+\) was killed/, end.stderr);
      assert.ok(!processLives(Number(fs.readFileSync(`${slow}.pid`, 'utf8'))), 'criu is left running');
      assert.equal(rt.state(id).status, 'running');
      assert.ok(!isFrozen(pid), 'left frozen');
      await countAtLeast(rt, id, before + 2);
      // The lock went with the interrupted checkpoint.
      assert.equal(criu(rt, ['checkpoint', '--leave-running', '--image-path', path.join(dir, 'again'), id]).code, 0);
      assert.equal(rt.run(['delete', '-f', id]).code, 0);
      assert.deepEqual(rt.ids(), []);
    });

    test('in the foreground, SIGTERM is held while CRIU works and then goes to the restored process, as with run', async () => {
      for (const [name, rt] of runtimes()) {
        const dir = scratchDir(sbs.dirs, `sig-fg-${name}`);
        const images = path.join(dir, 'images');
        const id = uniqueId('sigfg');
        // The init of a pid namespace gets SIGTERM only through a handler of its own.
        const bundle = makeBundle(['/bin/sh', '-c', `trap 'exit 42' TERM; ${COUNTER[2]}`], (c) => {
          c.hooks = { prestart: [{ path: '/bin/sh', args: ['sh', '-c', `if [ -e ${dir}/slow ]; then touch ${dir}/in-hook; sleep 1; fi`] }] };
        });
        assert.equal(detached(rt, ['run', '-d', '--bundle', bundle, id]).code, 0);
        await countAtLeast(rt, id, 3);
        assert.equal(criu(rt, ['checkpoint', '--image-path', images, id]).code, 0);
        fs.writeFileSync(path.join(dir, 'slow'), '');
        const rs = startCommand(rt, CRIU!, ['restore', '--image-path', images, '--bundle', bundle, id], path.join(dir, 'log'));
        await fileAppears(path.join(dir, 'in-hook'));
        rs.child.kill('SIGTERM');
        const end = await within(rs.done, 30_000);
        assert.ok(end, `${name}: the restore did not end`);
        assert.equal(end.code, 42, `${name}: ${end.stderr}`);
        if (name === 'tsrun') assert.deepEqual(rt.ids(), [], 'the container is removed once its process exits');
        else rt.run(['delete', '-f', id]);
        assert.deepEqual(cgroupsNamed(id), [], name);
      }
    });

    test('SIGKILL: criu sees its socket close and gives up by itself; delete -f clears the rest', async () => {
      const rt = sbs.rt;
      const c = await checkpointed(rt, 'kill');
      const rs = startCommand(rt, c.wrapper, ['restore', '-d', '--image-path', c.images, '--bundle', c.bundle, c.id]);
      await fileAppears(path.join(c.dir, 'in-hook'));
      rs.child.kill('SIGKILL');
      await rs.done;
      const criuPid = Number(fs.readFileSync(`${c.wrapper}.pid`, 'utf8'));
      for (let i = 0; i < 250 && processLives(criuPid); i++) await sleep(20);
      assert.ok(!processLives(criuPid), 'criu outlived the killed restore');
      // No restored process runs: the cgroup the restore made holds nothing.
      for (const d of cgroupsNamed(c.id)) {
        for (let i = 0; i < 100 && fs.readFileSync(path.join(d, 'cgroup.procs'), 'utf8') !== ''; i++) await sleep(20);
        assert.equal(fs.readFileSync(path.join(d, 'cgroup.procs'), 'utf8'), '', `${d} holds processes`);
      }
      assert.equal(rt.run(['delete', '-f', c.id]).code, 0);
      assertNothingOf(rt, c);
    });

    for (const workPath of [false, true]) {
      test(`SIGKILL of tsrun and criu together (process group)${workPath ? ', with --work-path' : ''}: CRIU's cgroup yard stays mounted; delete -f removes it, the restored processes, the cgroup and the state dir`, async () => {
        const rt = sbs.rt;
        const c = await checkpointed(rt, workPath ? 'pgw' : 'pg');
        const work = workPath ? path.join(c.dir, 'work') : c.images;
        if (workPath) fs.mkdirSync(work);
        const mountsBefore = new Set(mountLines());
        // Its own process group: tsrun, the criu it runs, the hook.
        const child = guard!.track(spawn(rt.bin, ['--root', rt.root, '--criu', c.wrapper, 'restore', '-d', '--image-path', c.images, ...(workPath ? ['--work-path', work] : []), '--bundle', c.bundle, c.id], { stdio: 'ignore', detached: true }));
        const closed = new Promise((resolve) => child.on('close', resolve));
        await fileAppears(path.join(c.dir, 'in-hook'));
        assert.ok(criuMountsUnder(work).length > 0, 'no cgroup yard is mounted while CRIU waits in setup-namespaces');
        const restored = cgroupsNamed(c.id).flatMap((d) => fs.readFileSync(path.join(d, 'cgroup.procs'), 'utf8').trim().split('\n').filter(Boolean).map(Number));
        assert.ok(restored.length > 0, 'nothing runs in the restore\'s cgroup');
        process.kill(-child.pid!, 'SIGKILL');
        await closed;
        const criuPid = Number(fs.readFileSync(`${c.wrapper}.pid`, 'utf8'));
        for (let i = 0; i < 250 && processLives(criuPid); i++) await sleep(20);
        assert.ok(!processLives(criuPid), 'criu outlived SIGKILL');
        // What this test is about: a CRIU killed cannot unmount its yard.
        assert.ok(criuMountsUnder(work).length > 0, 'the yard went with the killed criu: this test shows nothing');
        const del = rt.run(['delete', '-f', c.id]);
        assert.equal(del.code, 0, del.stderr);
        assertNothingOf(rt, { ...c, images: work });
        assert.deepEqual(fs.readdirSync(work).filter((n) => n.startsWith('.criu.cgyard.')), [], "CRIU's cgroup yard directory is left");
        for (const pid of restored) assert.ok(!processLives(pid), `process ${pid} of the restore is left`);
        // No mount of the restore anywhere on the host: under its directories, CRIU's temporary ones, or a cgroup hierarchy
        // out of place. The other test files run at the same time, and their CRIU mounts its yard under their own
        // scratch directories (tsrun-* in the temp dir): those are not this restore's.
        const othersScratch = (at: string) => at.startsWith(path.join(os.tmpdir(), 'tsrun-')) && !at.startsWith(c.dir);
        const left = mountLines().filter((l) => !mountsBefore.has(l)).filter((l) => {
          const [, at, fstype] = l.split(' ');
          if (at.startsWith(c.dir)) return true;
          return !othersScratch(at) && (at.includes('.criu') || ((fstype === 'cgroup' || fstype === 'cgroup2') && !at.startsWith('/sys/fs/cgroup')));
        });
        assert.deepEqual(left, [], 'mounts of the killed restore are left');
        // The images restore afterwards, in the same work directory.
        fs.rmSync(path.join(c.dir, 'slow'));
        const again = detached(rt, ['restore', '-d', '--image-path', c.images, ...(workPath ? ['--work-path', work] : []), '--bundle', c.bundle, c.id]);
        assert.equal(again.code, 0, again.stderr);
        await countAtLeast(rt, c.id, 4);
        assert.equal(rt.run(['delete', '-f', c.id]).code, 0);
        assertNothingOf(rt, { ...c, images: work });
      });
    }
  });
});

/** The host's mounts as "<mount id> <mount point> <fstype>" (/proc/self/mountinfo). */
function mountLines(): string[] {
  return fs.readFileSync('/proc/self/mountinfo', 'utf8').trim().split('\n').map((l) => `${l.split(' ')[0]} ${l.split(' ')[4]} ${l.split(' - ')[1]?.split(' ')[0]}`);
}
