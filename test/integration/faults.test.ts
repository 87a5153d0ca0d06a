// Faults midway through create: tsrun killed with SIGKILL at many points, and
// a mount that fails late. Afterwards nothing may remain: no state dir (once
// the next command has swept), no tsrun-init process, no mount.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { assertNothingLeft, makeBundle, Runtime, skipUnlessRoot, sleep, uniqueId } from './harness.js';

/** Pids of tsrun-init processes whose exec.fifo (fd) points under root. */
function initsUnder(root: string): number[] {
  const out: number[] = [];
  for (const p of fs.readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      if (fs.readFileSync(`/proc/${p}/comm`, 'utf8').trim() !== 'tsrun-init') continue;
      const fds = fs.readdirSync(`/proc/${p}/fd`).map((fd) => {
        try {
          return fs.readlinkSync(`/proc/${p}/fd/${fd}`);
        } catch {
          return '';
        }
      });
      if (fds.some((l) => l.startsWith(root))) out.push(Number(p));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

describe('faults during create', { skip: skipUnlessRoot }, () => {
  const rt = new Runtime();
  after(() => rt.cleanup());

  test('SIGKILL of tsrun at any point of create leaves nothing once swept', async () => {
    // Many mounts make init's part long enough to be hit at different steps.
    const bundle = makeBundle(['true'], (c) => {
      for (let i = 0; i < 150; i++) c.mounts.push({ destination: `/tmp/m${i}`, type: 'tmpfs', source: 'tmpfs' });
    });
    const outcomes = new Set<string>();
    for (const delay of [0, 2, 5, 10, 20, 40, 60, 80, 120, 160, 250]) {
      const id = uniqueId('kill9');
      const child = spawn(rt.bin, ['--root', rt.root, 'create', '--bundle', bundle, id], { stdio: 'ignore' });
      const closed = new Promise((r) => child.on('close', r));
      await sleep(delay);
      child.kill('SIGKILL');
      await closed;
      // Whatever init was doing, it sees its socket close and exits by itself.
      for (let i = 0; i < 100 && initsUnder(rt.root).some(Boolean); i++) {
        const st = rt.run(['state', id]);
        if (st.code === 0) break; // it finished creating before the kill
        await sleep(20);
      }
      const st = rt.run(['state', id]);
      outcomes.add(st.code === 0 ? JSON.parse(st.stdout).status : 'absent');
      if (st.code === 0) assert.equal(rt.run(['delete', '--force', id]).code, 0);
      rt.run(['list']); // sweeps what a killed create left
      assert.deepEqual(rt.ids(), [], `after a kill at ${delay} ms, state is left: ${rt.ids()}`);
      assert.deepEqual(initsUnder(rt.root), [], `after a kill at ${delay} ms, an init is left`);
    }
    assertNothingLeft(rt, [bundle]);
    assert.ok(outcomes.has('absent'), `some kill landed mid-create (outcomes: ${[...outcomes]})`);
  });

  test('a mount that fails after many others leaves no process, mount or state', () => {
    const bundle = makeBundle(['true'], (c) => {
      for (let i = 0; i < 20; i++) c.mounts.push({ destination: `/tmp/m${i}`, type: 'tmpfs', source: 'tmpfs' });
      c.mounts.push({ destination: '/tmp/bad', type: 'nosuchfs', source: 'none' });
    });
    const r = rt.run(['create', '--bundle', bundle, '--pid-file', `${bundle}/pid`, uniqueId('badmount')]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /\/mounts\/23: mount none \(type nosuchfs\) on \/tmp\/bad: no such device/);
    assert.ok(!fs.existsSync(`${bundle}/pid`), 'no pid file');
    assert.deepEqual(initsUnder(rt.root), [], 'no init is left');
    assertNothingLeft(rt, [bundle]);
  });
});
