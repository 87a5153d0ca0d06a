// checkpoint and restore with a real CRIU (the criu on PATH: the host's, or
// the one scripts/setup-criu installs), side by side with runc 1.1.5 given
// the same criu through --criu. Each scenario checks what a process keeps
// (a counter in memory, a file offset), what is on disk (images 0700,
// descriptors.json), and that nothing is left: no state, cgroup or process.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { makeBundle, processLives, sideBySide, sleep, uniqueId } from './harness.js';
import {
  background, cgroupDirs, cgroupsNamed, count, countAtLeast, COUNTER, criu, criuMountsUnder, descendants, detached, freePort,
  frozenProbe, guardCriu, hostSkip, isFrozen, pidOf, type Rt, scratchDir, startReceiver, statusFdByte, STEP_MS, SUITE_MS, tcpPairBundle, within,
} from './criu-harness.js';

const skip = await hostSkip();
// Every criu the tests start goes through the guard's wrapper, so that cleanup can kill one that hangs.
const guard = skip ? undefined : guardCriu();
const CRIU = guard?.criu;

/**
 * CRIU 4.1's page server cannot send a lazily dumped page on this kernel: the
 * dump fails at its first page with "page-pipe: splice: -1: Bad file
 * descriptor", the same with `criu dump --lazy-pages` run by hand.
 */
const LAZY_SPLICE_FAILURE = /page-pipe: splice: -1: Bad file descriptor/;

describe('checkpoint and restore', { skip, timeout: SUITE_MS }, () => {
  const sbs = sideBySide();
  after(async () => {
    // A checkpoint that hung holds its container: its criu goes first, then delete -f can clear it.
    const { stuck } = await guard!.reap();
    sbs.cleanup();
    assert.deepEqual(stuck, [], 'criu processes outlived SIGKILL');
  });
  const runtimes = (): Array<[string, Rt]> => [['tsrun', sbs.rt], ...(sbs.runc ? [['runc', sbs.runc] as [string, Rt]] : [])];

  test('a process counting in memory goes on from where it was (images 0700, descriptors.json, pid file, cgroup)', async () => {
    const bundle = makeBundle(COUNTER);
    for (const [name, rt] of runtimes()) {
      const id = uniqueId('count');
      const images = path.join(scratchDir(sbs.dirs, name), 'images');
      assert.equal(detached(rt, ['run', '-d', '--bundle', bundle, id]).code, 0);
      const oldPid = pidOf(rt, id);
      const oldCgroups = cgroupDirs(oldPid);
      const before = await countAtLeast(rt, id, 20);
      const cp = criu(rt, ['checkpoint', '--image-path', images, id]);
      assert.equal(cp.code, 0, `${name} checkpoint: ${cp.stderr}`);
      assert.ok(!processLives(oldPid), `${name}: the checkpointed process still runs`);
      assert.deepEqual(rt.ids(), [], `${name}: the checkpointed container is still there`);
      if (name === 'tsrun') {
        assert.equal(fs.statSync(images).mode & 0o777, 0o700, 'the image directory holds memory: 0700');
        assert.deepEqual(oldCgroups.filter((d) => fs.existsSync(d)), [], 'the old cgroup is gone');
      }
      assert.equal(JSON.parse(fs.readFileSync(path.join(images, 'descriptors.json'), 'utf8')).length, 3);

      const pidFile = path.join(path.dirname(images), 'pid');
      const rs = detached(rt, ['restore', '-d', '--image-path', images, '--pid-file', pidFile, id], bundle);
      assert.equal(rs.code, 0, `${name} restore: ${rs.stderr}`);
      const st = rt.state(id);
      assert.equal(st.status, 'running');
      assert.equal(fs.readFileSync(pidFile, 'utf8'), String(st.pid));
      const after1 = count(rt, id);
      await sleep(300);
      const after2 = count(rt, id);
      // Restarted from 0 it would be far below; stopped, it would not move.
      assert.ok(after1 >= before && after2 > after1, `${name}: counter ${before} → ${after1} → ${after2}`);
      assert.ok(after2 < before + 200, `${name}: counter ${before} → ${after2}`);
      if (name === 'tsrun') assert.ok(cgroupDirs(st.pid as number).length > 0, 'restored into a cgroup of its own');
      const newCgroups = cgroupDirs(st.pid as number);
      assert.equal(rt.run(['delete', '-f', id]).code, 0);
      assert.deepEqual(newCgroups.filter((d) => fs.existsSync(d)), [], `${name}: the restored cgroup is left`);
    }
  });

  test('--leave-running keeps the original running and thawed', async () => {
    const bundle = makeBundle(COUNTER);
    for (const [name, rt] of runtimes()) {
      const id = uniqueId('leave');
      const images = path.join(scratchDir(sbs.dirs, name), 'images');
      assert.equal(detached(rt, ['run', '-d', '--bundle', bundle, id]).code, 0);
      const pid = pidOf(rt, id);
      const before = await countAtLeast(rt, id, 5);
      const cp = criu(rt, ['checkpoint', '--leave-running', '--image-path', images, id]);
      assert.equal(cp.code, 0, `${name} checkpoint: ${cp.stderr}`);
      assert.equal(pidOf(rt, id), pid);
      assert.equal(rt.state(id).status, 'running');
      assert.ok(!isFrozen(pid), `${name}: left frozen`);
      await countAtLeast(rt, id, before + 3);
      assert.ok(fs.existsSync(path.join(images, 'pstree.img')));
      assert.equal(rt.run(['delete', '-f', id]).code, 0);
    }
  });

  test('restore under a new id from the same images; a file keeps its offset', async () => {
    // Reads line 1 of /etc/passwd before the checkpoint, line 2 once told to (after the restore).
    const bundle = makeBundle([
      '/bin/sh', '-c',
      'exec 3</etc/passwd; read -r l <&3; echo "$l" > /tmp/first; while [ ! -e /tmp/go ]; do sleep 0.05; done; read -r l <&3; echo "$l" > /tmp/second; exec sleep 1000',
    ]);
    const lines = fs.readFileSync(path.join(JSON.parse(fs.readFileSync(path.join(bundle, 'config.json'), 'utf8')).root.path, 'etc/passwd'), 'utf8').split('\n');
    for (const [name, rt] of runtimes()) {
      const id = uniqueId('offset');
      const images = path.join(scratchDir(sbs.dirs, name), 'images');
      assert.equal(detached(rt, ['run', '-d', '--bundle', bundle, id]).code, 0);
      for (let i = 0; i < 100 && rt.run(['exec', id, 'cat', '/tmp/first']).code !== 0; i++) await sleep(50);
      assert.equal(criu(rt, ['checkpoint', '--image-path', images, id]).code, 0);
      const newId = uniqueId('moved');
      const rs = detached(rt, ['restore', '-d', '--image-path', images, '--bundle', bundle, newId]);
      assert.equal(rs.code, 0, `${name} restore as ${newId}: ${rs.stderr}`);
      assert.deepEqual(rt.ids(), [newId]);
      assert.equal(rt.run(['exec', newId, 'touch', '/tmp/go']).code, 0);
      let second = '';
      for (let i = 0; i < 100; i++) {
        const r = rt.run(['exec', newId, 'cat', '/tmp/second']);
        if (r.code === 0) {
          second = r.stdout.trim();
          break;
        }
        await sleep(50);
      }
      assert.equal(second, lines[1], `${name}: the file offset was not kept`);
      const restored = rt.state(newId).pid as number;
      const cgroups = cgroupDirs(restored);
      if (name === 'tsrun') {
        // Every hierarchy, the unified one of a hybrid host too, is the new id's: nothing stays under the old one.
        assert.deepEqual(cgroups.filter((d) => !d.endsWith(`/${newId}`)), [], `${name}: restored outside the new id's cgroups`);
      }
      assert.equal(rt.run(['delete', '-f', newId]).code, 0);
      assert.deepEqual(cgroups.filter((d) => fs.existsSync(d)), [], `${name}: the restored cgroups are left`);
    }
  });

  test('a terminal: the restored pty master goes to --console-socket (orphan-pts-master)', async () => {
    const bundle = makeBundle(['/bin/sh', '-c', 'echo before-$(tty); while [ ! -e /tmp/go ]; do sleep 0.05; done; echo after-$(tty)'], (c) => {
      c.process.terminal = true;
      c.mounts.push({ destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620'] });
    });
    for (const [name, rt] of runtimes()) {
      const dir = scratchDir(sbs.dirs, `tty-${name}`);
      const images = path.join(dir, 'images');
      const id = uniqueId('tty');
      const first = await startReceiver(dir);
      assert.equal(detached(rt, ['run', '-d', '--console-socket', first.sock, '--bundle', bundle, id]).code, 0);
      for (let i = 0; i < 100 && !fs.readFileSync(`${first.sock}.out`, 'utf8').includes('before'); i++) await sleep(50);
      const cp = criu(rt, ['checkpoint', '--image-path', images, id]);
      assert.equal(cp.code, 0, `${name} checkpoint: ${cp.stderr}`);
      first.child.kill();
      const second = await startReceiver(dir);
      const noSock = detached(rt, ['restore', '-d', '--image-path', images, '--bundle', bundle, id]);
      assert.notEqual(noSock.code, 0, `${name}: a terminal restored with no console socket`);
      assert.match(noSock.stderr, /console socket/);
      assert.deepEqual(rt.ids(), []);
      const rs = detached(rt, ['restore', '-d', '--console-socket', second.sock, '--image-path', images, '--bundle', bundle, id]);
      assert.equal(rs.code, 0, `${name} restore: ${rs.stderr}`);
      assert.equal(rt.run(['exec', id, 'touch', '/tmp/go']).code, 0);
      const out = await Promise.race([second.done, sleep(10_000).then(() => 'timed out')]);
      assert.match(out, /after-\/dev\/pts\/0/, `${name}: ${out}`);
      await rt.waitStatus(id, 'stopped');
      assert.equal(rt.run(['delete', id]).code, 0);
    }
  });

  test('restore runs the prestart and createRuntime hooks with the restored pid (setup-namespaces), poststart after', async () => {
    for (const [name, rt] of runtimes()) {
      const dir = scratchDir(sbs.dirs, `hooks-${name}`);
      const images = path.join(dir, 'images');
      const hook = (tag: string) => ({ path: '/bin/sh', args: ['sh', '-c', `cat > ${dir}/${tag}.json`] });
      const bundle = makeBundle(COUNTER, (c) => {
        c.hooks = { prestart: [hook('prestart')], createRuntime: [hook('createRuntime')], poststart: [hook('poststart')] };
      });
      const id = uniqueId('hooks');
      assert.equal(detached(rt, ['run', '-d', '--bundle', bundle, id]).code, 0);
      await countAtLeast(rt, id, 3);
      assert.equal(criu(rt, ['checkpoint', '--image-path', images, id]).code, 0);
      for (const tag of ['prestart', 'createRuntime', 'poststart']) fs.rmSync(path.join(dir, `${tag}.json`));
      const rs = detached(rt, ['restore', '-d', '--image-path', images, '--bundle', bundle, id]);
      assert.equal(rs.code, 0, `${name} restore: ${rs.stderr}`);
      const pid = pidOf(rt, id);
      for (const tag of ['prestart', 'createRuntime']) {
        const st = JSON.parse(fs.readFileSync(path.join(dir, `${tag}.json`), 'utf8'));
        assert.equal(st.id, id, `${name} ${tag}`);
        assert.equal(st.pid, pid, `${name} ${tag}: the restored init's pid`);
      }
      // runc 1.1.5 runs no poststart hook on restore; tsrun does, as after create+start.
      if (name === 'tsrun') assert.equal(JSON.parse(fs.readFileSync(path.join(dir, 'poststart.json'), 'utf8')).pid, pid);
      assert.equal(rt.run(['delete', '-f', id]).code, 0);
    }
  });

  test('--tcp-established: a TCP connection between two processes of the container survives', async (t) => {
    const bundle = tcpPairBundle();
    const unsupported: string[] = [];
    for (const [name, rt] of runtimes()) {
      const images = path.join(scratchDir(sbs.dirs, `tcp-${name}`), 'images');
      const id = uniqueId('tcp');
      assert.equal(detached(rt, ['run', '-d', '--bundle', bundle, id]).code, 0);
      const received = async (want: string) => {
        for (let i = 0; i < 100; i++) {
          const r = rt.run(['exec', id, 'cat', '/tmp/received']);
          if (r.code === 0 && r.stdout.includes(want)) return r.stdout;
          await sleep(50);
        }
        assert.fail(`${name}: the server never got ${want}`);
      };
      await sleep(500);
      assert.equal(rt.run(['exec', id, 'touch', '/tmp/go-1']).code, 0);
      await received('line-1');
      const refused = criu(rt, ['checkpoint', '--image-path', images, id]);
      assert.notEqual(refused.code, 0, `${name}: an established connection dumped without --tcp-established`);
      assert.equal(rt.state(id).status, 'running', `${name}: a refused checkpoint stops the container`);
      const cp = criu(rt, ['checkpoint', '--tcp-established', '--image-path', images, id]);
      const log = fs.existsSync(path.join(images, 'dump.log')) ? fs.readFileSync(path.join(images, 'dump.log'), 'utf8') : '';
      if (cp.code !== 0 && /Can't get 1:34 opt: Operation not supported/.test(log)) {
        // Linux 6.16 allows SO_PASSSEC (34) on unix sockets only; CRIU 4.1 still reads it from every socket.
        assert.equal(rt.run(['delete', '-f', id]).code, 0);
        unsupported.push(name);
        continue;
      }
      assert.equal(cp.code, 0, `${name} checkpoint: ${cp.stderr}`);
      const rs = detached(rt, ['restore', '-d', '--tcp-established', '--image-path', images, '--bundle', bundle, id]);
      assert.equal(rs.code, 0, `${name} restore: ${rs.stderr}`);
      assert.equal(rt.run(['exec', id, 'touch', '/tmp/go-2']).code, 0);
      assert.match(await received('line-2'), /line-1\nline-2/);
      assert.equal(rt.run(['delete', '-f', id]).code, 0);
    }
    if (unsupported.length) t.skip(`this CRIU cannot dump a TCP socket on this kernel (getsockopt SO_PASSSEC: EOPNOTSUPP): seen with ${unsupported.join(' and ')}`);
  });

  test('--pre-dump, then a checkpoint with --parent-path (iterative migration)', async (t) => {
    const bundle = makeBundle(COUNTER);
    if (spawnSync(CRIU!, ['check', '--feature', 'mem_dirty_track'], { stdio: 'ignore' }).status !== 0) {
      // No soft-dirty tracking here: both refuse, tsrun saying why.
      for (const [name, rt] of runtimes()) {
        const id = uniqueId('pre');
        assert.equal(detached(rt, ['run', '-d', '--bundle', bundle, id]).code, 0);
        const pre = criu(rt, ['checkpoint', '--pre-dump', '--image-path', path.join(scratchDir(sbs.dirs, `pre-${name}`), 'pre'), id]);
        assert.notEqual(pre.code, 0, name);
        if (name === 'tsrun') assert.match(pre.stderr, /--pre-dump needs CRIU's memory tracking/);
        assert.equal(rt.state(id).status, 'running', `${name}: a refused pre-dump stops the container`);
        assert.equal(rt.run(['delete', '-f', id]).code, 0);
      }
      t.skip('CRIU has no memory tracking on this kernel (criu check --feature mem_dirty_track): pre-dump is refused, as checked');
      return;
    }
    for (const [name, rt] of runtimes()) {
      const dir = scratchDir(sbs.dirs, `pre-${name}`);
      const id = uniqueId('pre');
      assert.equal(detached(rt, ['run', '-d', '--bundle', bundle, id]).code, 0);
      const before = await countAtLeast(rt, id, 5);
      const pre = criu(rt, ['checkpoint', '--pre-dump', '--image-path', path.join(dir, 'pre'), id]);
      assert.equal(pre.code, 0, `${name} pre-dump: ${pre.stderr}`);
      assert.equal(rt.state(id).status, 'running', `${name}: a pre-dump leaves it running`);
      await countAtLeast(rt, id, before + 3);
      const cp = criu(rt, ['checkpoint', '--parent-path', '../pre', '--image-path', path.join(dir, 'final'), id]);
      assert.equal(cp.code, 0, `${name} checkpoint: ${cp.stderr}`);
      assert.ok(fs.lstatSync(path.join(dir, 'final', 'parent')).isSymbolicLink(), `${name}: no parent link in the images`);
      const rs = detached(rt, ['restore', '-d', '--image-path', path.join(dir, 'final'), '--bundle', bundle, id]);
      assert.equal(rs.code, 0, `${name} restore: ${rs.stderr}`);
      const c = await countAtLeast(rt, id, before + 4);
      assert.ok(c < before + 300, `${name}: ${before} → ${c}`);
      assert.equal(rt.run(['delete', '-f', id]).code, 0);
    }
  });

  test('--lazy-pages: the dump serves memory to `criu lazy-pages`, a restore under a new id takes it page by page (post-copy)', async (t) => {
    const bundle = makeBundle(COUNTER);
    const failedBySplice: string[] = [];
    // tsrun only: runc 1.1.5 fails the same way here, and its restore then waits
    // for ever, even once its criu is killed, holding a bind of the rootfs.
    for (const [name, rt] of runtimes().filter(([n]) => n === 'tsrun')) {
      const id = uniqueId('lazy');
      const newId = uniqueId('lazyto');
      const dir = scratchDir(sbs.dirs, `lazy-${name}`);
      const images = path.join(dir, 'images');
      const work = path.join(dir, 'work');
      assert.equal(detached(rt, ['run', '-d', '--bundle', bundle, id]).code, 0);
      const before = await countAtLeast(rt, id, 10);
      const port = await freePort();
      // --status-fd: one \0 once the page server listens.
      let cp!: ReturnType<typeof background>;
      const status = await statusFdByte(dir, 600, (fd) => {
        cp = background(rt, ['checkpoint', '--lazy-pages', '--page-server', `127.0.0.1:${port}`, '--status-fd', '3', '--image-path', images, '--work-path', work, id], { fds: [fd] });
      });
      assert.equal(status.length, 1, `${name}: no status byte from the checkpoint`);
      assert.equal(status[0], 0, `${name}: the status byte is not \\0`);
      assert.ok(fs.existsSync(path.join(images, 'inventory.img')), `${name}: the images are written before the pages move`);
      assert.ok(!fs.readdirSync(images).some((f) => /^pages-.*\.img$/.test(f) && fs.statSync(path.join(images, f)).size > 64 * 4096), `${name}: the memory went to the images, not lazily`);
      assert.equal(rt.state(id).status, 'running', `${name}: the original is there until its pages are gone`);

      const lazy = spawn(CRIU!, ['lazy-pages', '--page-server', '--address', '127.0.0.1', '--port', String(port), '-D', images, '-o', 'lazy-pages.log', '-v4'], { stdio: 'ignore' });
      const lazyDone = new Promise((r) => lazy.on('close', r));
      for (let i = 0; i < 200 && !fs.existsSync(path.join(images, 'lazy-pages.socket')); i++) await sleep(25);
      const rs = background(rt, ['restore', '-d', '--lazy-pages', '--image-path', images, '--bundle', bundle, newId], { cwd: bundle });
      const cpEnd = await within(cp.done, STEP_MS);
      assert.ok(cpEnd, `${name}: the lazy checkpoint did not end`);
      const dumpLog = fs.existsSync(path.join(work, 'dump.log')) ? fs.readFileSync(path.join(work, 'dump.log'), 'utf8') : '';
      if (cpEnd.code !== 0 && LAZY_SPLICE_FAILURE.test(dumpLog)) {
        failedBySplice.push(name);
        // The original goes on, thawed; the restore side waits for pages that never come: its criu is ended.
        assert.match(cpEnd.stderr, /Lazy pages transfer FAILED|splice/, cpEnd.stderr);
        assert.equal(rt.state(id).status, 'running', `${name}: the original did not survive a failed lazy dump`);
        await countAtLeast(rt, id, before + 3);
        let rsEnd = await within(rs.done, 5_000);
        if (!rsEnd) {
          for (const p of descendants(rs.child.pid!)) {
            try {
              process.kill(p, 'SIGKILL');
            } catch {
              // gone
            }
          }
          rsEnd = await within(rs.done, 15_000);
        }
        assert.ok(rsEnd, `${name}: the restore did not end once its criu was killed`);
        assert.notEqual(rsEnd.code, 0);
        assert.match(rsEnd.stderr, /criu was killed|criu failed/, rsEnd.stderr);
        assert.deepEqual(rt.ids(), [id], 'the failed restore left its container');
        assert.deepEqual(cgroupsNamed(newId), [], 'the failed restore left a cgroup');
        assert.deepEqual(criuMountsUnder(images), [], "CRIU's cgroup yard is left mounted");
        lazy.kill('SIGKILL');
        await lazyDone;
        assert.equal(rt.run(['delete', '-f', id]).code, 0);
        continue;
      }
      assert.equal(cpEnd.code, 0, `${name} lazy checkpoint: ${cpEnd.stderr}`);
      const rsEnd = await within(rs.done, STEP_MS);
      assert.equal(rsEnd?.code, 0, `${name} lazy restore: ${rsEnd?.stderr}`);
      await within(lazyDone, 30_000);
      assert.deepEqual(rt.ids(), [newId], `${name}: the checkpointed original is not gone`);
      const after1 = count(rt, newId);
      const after2 = await countAtLeast(rt, newId, after1 + 3);
      assert.ok(after1 >= before && after2 < before + 400, `${name}: counter ${before} → ${after1} → ${after2}`);
      assert.equal(rt.run(['delete', '-f', newId]).code, 0);
    }
    if (failedBySplice.length) {
      t.skip(`CRIU 4.1 cannot serve lazily dumped pages on this kernel (page-pipe: splice: -1: Bad file descriptor, also with \`criu dump --lazy-pages\` by hand): runc 1.1.5 fails alike; the failure was checked to leave the original running and nothing of the restore`);
    }
  });

  test('--lazy-pages refusals: no --page-server, a bad --status-fd, a restore with no lazy-pages daemon (nothing left)', async () => {
    const bundle = makeBundle(COUNTER);
    for (const [name, rt] of runtimes()) {
      const id = uniqueId('lazyno');
      const images = path.join(scratchDir(sbs.dirs, `lazyno-${name}`), 'images');
      assert.equal(detached(rt, ['run', '-d', '--bundle', bundle, id]).code, 0);
      const bad = criu(rt, ['checkpoint', '--lazy-pages', '--page-server', '127.0.0.1:1', '--status-fd', '250', '--image-path', images, id]);
      assert.notEqual(bad.code, 0, name);
      assert.match(bad.stderr, /invalid --status-fd argument 250/, `${name}: ${bad.stderr}`);
      assert.equal(rt.state(id).status, 'running', name);
      if (name === 'tsrun') {
        const noServer = criu(rt, ['checkpoint', '--lazy-pages', '--image-path', images, id]);
        assert.notEqual(noServer.code, 0);
        assert.match(noServer.stderr, /--lazy-pages needs --page-server/, noServer.stderr);
        assert.equal(rt.state(id).status, 'running');
      }
      // A complete checkpoint, then a lazy restore with no daemon to take the pages from.
      assert.equal(criu(rt, ['checkpoint', '--image-path', images, id]).code, 0);
      if (name === 'tsrun') {
        const rs = detached(rt, ['restore', '-d', '--lazy-pages', '--image-path', images, id], bundle);
        assert.notEqual(rs.code, 0);
        assert.match(rs.stderr, /no lazy-pages daemon listens at .*lazy-pages\.socket.*criu lazy-pages --page-server/, rs.stderr);
        assert.deepEqual(rt.ids(), []);
        assert.deepEqual(cgroupsNamed(id), [], 'a cgroup is left');
        assert.deepEqual(criuMountsUnder(images), []);
      }
    }
  });

  test('restore without --detach waits for the restored process and exits with its status', async () => {
    const bundle = makeBundle(['/bin/sh', '-c', 'i=0; while [ $i -lt 100 ]; do i=$((i+1)); echo $i > /tmp/count; sleep 0.05; done; exit 7']);
    for (const [name, rt] of runtimes()) {
      const images = path.join(scratchDir(sbs.dirs, `fg-${name}`), 'images');
      const id = uniqueId('fg');
      assert.equal(detached(rt, ['run', '-d', '--bundle', bundle, id]).code, 0);
      await countAtLeast(rt, id, 5);
      assert.equal(criu(rt, ['checkpoint', '--image-path', images, id]).code, 0);
      const rs = detached(rt, ['restore', '--image-path', images, '--bundle', bundle, id]);
      assert.equal(rs.code, 7, `${name} restore: ${rs.stderr}`);
      if (name === 'tsrun') assert.deepEqual(rt.ids(), [], 'the container is removed once its process exits');
      else rt.run(['delete', '-f', id]);
    }
  });

  test("engines' probes: checkpoint --help exits 0; restore --lsm-mount-context without a value", () => {
    for (const [name, rt] of runtimes()) {
      assert.equal(rt.run(['checkpoint', '--help']).code, 0, name);
      const r = rt.run(['restore', '--lsm-mount-context']);
      assert.notEqual(r.code, 0, name);
      assert.match(r.stderr, /flag needs an argument/, `${name}: ${r.stderr}`);
    }
    assert.doesNotMatch(sbs.rt.run(['--help']).stdout, /not implemented/);
  });

  test('a restore whose bundle is missing, or whose images are corrupt, explains and leaves nothing', async () => {
    const rt = sbs.rt;
    const bundle = makeBundle(COUNTER);
    const images = path.join(scratchDir(sbs.dirs, 'faults'), 'images');
    const id = uniqueId('fault');
    assert.equal(detached(rt, ['run', '-d', '--bundle', bundle, id]).code, 0);
    await countAtLeast(rt, id, 3);
    assert.equal(criu(rt, ['checkpoint', '--image-path', images, id]).code, 0);

    const missing = path.join(os.tmpdir(), `tsrun-no-such-bundle-${process.pid}`);
    const r1 = detached(rt, ['restore', '-d', '--image-path', images, '--bundle', missing, id]);
    assert.notEqual(r1.code, 0);
    assert.match(r1.stderr, /bundle .* does not exist/);
    assert.deepEqual(rt.ids(), []);

    const r2 = detached(rt, ['restore', '-d', '--image-path', path.join(images, 'nope'), '--bundle', bundle, id]);
    assert.notEqual(r2.code, 0);
    assert.match(r2.stderr, /image path .* does not exist/);
    assert.deepEqual(rt.ids(), []);

    // The process tree image damaged: CRIU's own error line, and the log named.
    fs.writeFileSync(path.join(images, 'pstree.img'), 'not an image');
    const r3 = detached(rt, ['restore', '-d', '--image-path', images, '--bundle', bundle, id]);
    assert.notEqual(r3.code, 0);
    assert.match(r3.stderr, /criu failed: type RESTORE/);
    assert.match(r3.stderr, /log file: .*restore\.log/);
    assert.match(r3.stderr, /Error \(/, `no CRIU error line quoted: ${r3.stderr}`);
    assert.deepEqual(rt.ids(), []);
    assert.deepEqual(cgroupsNamed(id), [], 'a cgroup is left');
  });

  test('kill -9 of tsrun midway through a checkpoint: CRIU finishes or gives up on its own, nothing stays frozen', async () => {
    const rt = sbs.rt;
    const bundle = makeBundle(COUNTER);
    const images = path.join(scratchDir(sbs.dirs, 'killts'), 'images');
    const id = uniqueId('killtsrun');
    assert.equal(detached(rt, ['run', '-d', '--bundle', bundle, id]).code, 0);
    const pid = pidOf(rt, id);
    const frozen = frozenProbe(pid);
    const wrapper = path.join(scratchDir(sbs.dirs, 'wrap2'), 'criu');
    fs.writeFileSync(wrapper, `#!/bin/sh\necho $$ > ${wrapper}.pid\nexec ${CRIU} "$@"\n`, { mode: 0o755 });
    const child = spawn(rt.bin, ['--root', rt.root, '--criu', wrapper, 'checkpoint', '--image-path', images, id], { stdio: 'ignore' });
    const done = new Promise((r) => child.on('close', r));
    for (let i = 0; i < 400 && !(fs.existsSync(`${wrapper}.pid`) && frozen()); i++) await sleep(5);
    child.kill('SIGKILL');
    await done;
    const criuPid = Number(fs.readFileSync(`${wrapper}.pid`, 'utf8'));
    for (let i = 0; i < 200 && processLives(criuPid); i++) await sleep(25);
    assert.ok(!processLives(criuPid), 'criu outlived tsrun');
    const r = rt.run(['state', id]);
    if (r.code !== 0) {
      // The dump was over and tsrun was killed while it removed the container: the next command's sweep removed the rest.
      assert.match(r.stderr, /container does not exist/, r.stderr);
      assert.deepEqual(rt.ids(), [], 'a state dir is left');
      assert.deepEqual(cgroupsNamed(id), [], 'a cgroup is left');
      assert.ok(!processLives(pid), 'the container outlived its checkpoint');
      return;
    }
    const st = JSON.parse(r.stdout) as Record<string, unknown>;
    if (st.status !== 'stopped') {
      assert.equal(st.status, 'running');
      assert.ok(!frozen(), 'left frozen');
    }
    assert.equal(rt.run(['delete', '-f', id]).code, 0);
  });

  test('kill -9 of criu midway through a checkpoint: explained, container running and thawed', async () => {
    const rt = sbs.rt;
    const bundle = makeBundle(COUNTER);
    const images = path.join(scratchDir(sbs.dirs, 'kill'), 'images');
    const id = uniqueId('killcriu');
    assert.equal(detached(rt, ['run', '-d', '--bundle', bundle, id]).code, 0);
    const pid = pidOf(rt, id);
    const frozen = frozenProbe(pid);
    const before = await countAtLeast(rt, id, 3);
    // A criu that the test kills once it has frozen the container.
    const wrapper = path.join(scratchDir(sbs.dirs, 'wrap'), 'criu');
    fs.writeFileSync(wrapper, `#!/bin/sh\necho $$ > ${wrapper}.pid\nexec ${CRIU} "$@"\n`, { mode: 0o755 });
    const child = spawn(rt.bin, ['--root', rt.root, '--criu', wrapper, 'checkpoint', '--image-path', images, id], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const done = new Promise<number>((r) => child.on('close', (c) => r(c ?? 128)));
    for (let i = 0; i < 400 && !(fs.existsSync(`${wrapper}.pid`) && frozen()); i++) await sleep(5);
    const criuPid = Number(fs.readFileSync(`${wrapper}.pid`, 'utf8'));
    try {
      process.kill(criuPid, 'SIGKILL');
    } catch {
      // it finished first: then the checkpoint succeeded, which the asserts below tell
    }
    const code = await done;
    if (process.env.TSRUN_CRIU_TEST_VERBOSE) console.error(`checkpoint exit ${code}: ${stderr}`);
    if (code === 0) {
      assert.deepEqual(rt.ids(), [], 'a finished checkpoint removes the container');
      return;
    }
    assert.match(stderr, /criu was killed by SIGKILL|criu failed/, stderr);
    assert.match(stderr, /log file: /);
    assert.equal(rt.state(id).status, 'running');
    assert.ok(!frozen(), 'left frozen');
    await countAtLeast(rt, id, before + 3);
    assert.equal(rt.run(['delete', '-f', id]).code, 0);
  });
});
