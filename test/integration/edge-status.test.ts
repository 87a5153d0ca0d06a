// runc's edge rules on tsrun (docs/runc-compat.md): missing containers, deleting a created one, and when a container counts as stopped (a zombie init, a reused pid).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { assertNothingLeft, makeBundle, processLives, sleep, uniqueId } from './harness.js';
import { edgeSuite, hasPythonCtypes, until, errorMsg } from './edge-harness.js';

edgeSuite('missing containers, deleting a created one, and when a container counts as stopped (a zombie init, a reused pid)', ({ rt, scratch }) => {
  describe('missing containers', () => {
    test('delete --force of a missing id exits 0 and prints nothing', () => {
      const r = rt.run(['delete', '--force', uniqueId('missing')]);
      assert.deepEqual(r, { code: 0, stdout: '', stderr: '' });
    });

    for (const cmd of ['delete', 'state', 'start', 'kill']) {
      test(`${cmd} of a missing id: exit 1, "container does not exist"`, () => {
        const id = uniqueId('missing');
        const r = rt.run(cmd === 'kill' ? [cmd, id, 'KILL'] : [cmd, id]);
        assert.equal(r.code, 1);
        assert.equal(r.stdout, '');
        assert.equal(errorMsg(r.stderr), 'container does not exist');
        assert.ok(!fs.existsSync(path.join(rt.root, id)), 'no state dir appears');
      });
    }
  });

  test('a created container is deleted without --force, and its init is gone', () => {
    const bundle = makeBundle(['sleep', '30']);
    const id = uniqueId('delcreated');
    assert.equal(rt.run(['create', '--bundle', bundle, id]).code, 0);
    const pid = Number(rt.state(id).pid);
    assert.ok(processLives(pid));
    const r = rt.run(['delete', id]);
    assert.deepEqual(r, { code: 0, stdout: '', stderr: '' });
    assert.ok(!processLives(pid), 'the init is gone');
    assert.ok(!fs.existsSync(path.join(rt.root, id)), 'the container is gone');
    assertNothingLeft(rt, [bundle]);
  });

  // The init's parent is python, a subreaper that does not reap: the init
  // stays a zombie while python runs `tsrun state`.
  const ZOMBIE_PY = String.raw`
import ctypes, json, os, subprocess, sys, time
tsrun, root, bundle, cid, pidfile = sys.argv[1:6]
libc = ctypes.CDLL(None, use_errno=True)
if libc.prctl(36, 1, 0, 0, 0) != 0:  # PR_SET_CHILD_SUBREAPER
    sys.exit('prctl(PR_SET_CHILD_SUBREAPER) failed: errno %d' % ctypes.get_errno())
subprocess.run([tsrun, '--root', root, 'run', '-d', '--pid-file', pidfile, '--bundle', bundle, cid],
               check=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
pid = int(open(pidfile).read())
def stat():
    s = open('/proc/%d/stat' % pid).read()
    return s[s.rindex(')') + 2:].split(' ')
deadline = time.time() + 10
while stat()[0] != 'Z':
    if time.time() > deadline:
        sys.exit('the init never became a zombie')
    time.sleep(0.01)
ppid = int(stat()[1])
st = subprocess.run([tsrun, '--root', root, 'state', cid], capture_output=True, text=True)
still_zombie = stat()[0] == 'Z'
os.waitpid(pid, 0)
print(json.dumps({'me': os.getpid(), 'ppid': ppid, 'stillZombie': still_zombie,
                  'code': st.returncode, 'stdout': st.stdout, 'stderr': st.stderr}))
`;

  test('a zombie init counts as stopped (pid 0)', { skip: hasPythonCtypes ? false : 'needs python3 with ctypes' }, () => {
    const bundle = makeBundle(['sleep', '0.2']);
    const id = uniqueId('zombie');
    const pidFile = path.join(scratch, `${id}.pid`);
    const py = spawnSync('python3', ['-c', ZOMBIE_PY, rt.bin, rt.root, bundle, id, pidFile], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(py.status, 0, `python failed: ${py.stderr}`);
    const out = JSON.parse(py.stdout);
    assert.equal(out.ppid, out.me, 'the init was reparented to the python subreaper');
    assert.ok(out.stillZombie, 'the init was still an unreaped zombie while state ran');
    assert.equal(out.code, 0, out.stderr);
    const s = JSON.parse(out.stdout);
    assert.equal(s.status, 'stopped');
    assert.equal(s.pid, 0);
    assert.equal(rt.run(['delete', id]).code, 0);
    assertNothingLeft(rt, [bundle]);
  });

  test('a reused pid is not the container: state says stopped, kill refuses and signals nobody', async () => {
    const bundle = makeBundle(['sleep', '30']);
    const id = uniqueId('reuse');
    assert.equal(rt.run(['create', '--bundle', bundle, id]).code, 0);
    const oldPid = Number(rt.state(id).pid);
    assert.equal(rt.run(['kill', id, 'KILL']).code, 0);
    await until('the init is gone', () => !processLives(oldPid));

    const stranger = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      await until('the stranger sleep runs', () => processLives(stranger.pid!));
      const file = path.join(rt.root, id, 'state.json');
      const stored = JSON.parse(fs.readFileSync(file, 'utf8'));
      assert.ok(Number(stored.initStartTime) > 0, 'state.json records the init start time');
      stored.pid = stranger.pid; // initStartTime stays the old init's
      fs.writeFileSync(file, JSON.stringify(stored));

      const s = rt.state(id);
      assert.equal(s.status, 'stopped');
      assert.equal(s.pid, 0);
      const k = rt.run(['kill', id, 'KILL']);
      assert.equal(k.code, 1);
      assert.equal(errorMsg(k.stderr), 'container not running');
      await sleep(100);
      assert.ok(processLives(stranger.pid!), 'kill did not signal the process that reused the pid');
      assert.equal(stranger.exitCode, null);
      assert.equal(rt.run(['delete', id]).code, 0, 'a stopped container is deleted without --force');
      await sleep(100);
      assert.ok(processLives(stranger.pid!), 'delete did not kill it either');
    } finally {
      stranger.kill('SIGKILL');
    }
    assertNothingLeft(rt, [bundle]);
  });
});
