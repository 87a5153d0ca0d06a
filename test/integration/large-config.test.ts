// Configs larger than one datagram of the init socket (~208 KB, its default
// send buffer): a plan with 1,000 long env entries or 2,000 mounts, an exec
// --process of the same size, and hook states that carry big annotations back
// to init. Each reaches init whole; runc runs them too. Nothing is left behind.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { makeBundle, sideBySide, skipUnlessRoot, uniqueId, type Result } from './harness.js';
import { cgroupsNamed } from './fuzz-leaks.js';

/** n env entries BIG_<i>=xxx…, each `len` bytes long. */
function bigEnv(n: number, len: number): string[] {
  return Array.from({ length: n }, (_, i) => {
    const name = `BIG_${i}=`;
    return name + 'x'.repeat(len - name.length);
  });
}

const ids: string[] = [];
/** A container id of this file, checked for leftovers at the end. */
function newId(prefix: string): string {
  const id = uniqueId(prefix);
  ids.push(id);
  return id;
}

/** tsrun-init processes holding a file under dir (their exec.fifo). */
function initsUnder(dir: string): number[] {
  return fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p)).map(Number).filter((pid) => {
    try {
      if (fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim() !== 'tsrun-init') return false;
      return fs.readdirSync(`/proc/${pid}/fd`).some((fd) => {
        try {
          return fs.readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith(dir + '/');
        } catch {
          return false;
        }
      });
    } catch {
      return false;
    }
  });
}

function ok(r: Result, what: string): string {
  assert.equal(r.code, 0, `${what} failed: ${r.stderr}`);
  return r.stdout;
}

describe('configs larger than one message to init', { skip: skipUnlessRoot }, () => {
  const sb = sideBySide();
  after(() => {
    const inits = initsUnder(sb.rt.root);
    sb.cleanup();
    assert.deepEqual(inits, [], 'a tsrun-init is left');
    assert.deepEqual(cgroupsNamed(ids), [], 'a cgroup is left');
  });

  test('1,000 env entries of 250 bytes all reach the process (run)', () => {
    const env = bigEnv(1000, 250);
    const bundle = makeBundle(['sh', '-c', 'env | grep -c "^BIG_"; echo "$BIG_999" | wc -c'], (c) => {
      c.process.env.push(...env);
    });
    assert.ok(fs.statSync(path.join(bundle, 'config.json')).size > 250_000);
    for (const rt of [sb.rt, sb.runc].filter((r) => r !== undefined)) {
      const out = ok(rt.run(['run', '--bundle', bundle, newId('env')]), `${rt.bin} run`);
      // Every entry, and the last one whole (its value plus echo's newline).
      assert.deepEqual(out.trim().split(/\s+/), ['1000', String(250 - 'BIG_999='.length + 1)], rt.bin);
    }
  });

  test('2,000 mounts are all made (run)', () => {
    const bundle = makeBundle(['sh', '-c', 'grep -c " /tmp/m[0-9]* tmpfs " /proc/self/mounts'], (c) => {
      for (let i = 0; i < 2000; i++) c.mounts.push({ destination: `/tmp/m${i}`, type: 'tmpfs', source: 'tmpfs', options: ['size=4k'] });
    });
    for (const rt of [sb.rt, sb.runc].filter((r) => r !== undefined)) {
      const out = ok(rt.run(['run', '--bundle', bundle, newId('mnt')], { timeout: 60_000 }), `${rt.bin} run`);
      assert.equal(out.trim(), '2000', rt.bin);
    }
  });

  test('exec --process with a 260 KB process.json', () => {
    const bundle = makeBundle(['sleep', '600']);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-test-process-'));
    sb.dirs.push(dir);
    const processJson = path.join(dir, 'process.json');
    fs.writeFileSync(
      processJson,
      JSON.stringify({
        user: { uid: 0, gid: 0 },
        args: ['sh', '-c', 'env | grep -c "^BIG_"'],
        env: ['PATH=/bin', ...bigEnv(1000, 250)],
        cwd: '/',
      }),
    );
    assert.ok(fs.statSync(processJson).size > 250_000);
    for (const rt of [sb.rt, sb.runc].filter((r) => r !== undefined)) {
      const id = newId('exec');
      ok(rt.run(['run', '--detach', '--bundle', bundle, id]), `${rt.bin} run --detach`);
      try {
        assert.equal(ok(rt.run(['exec', '--process', processJson, id]), `${rt.bin} exec`).trim(), '1000', rt.bin);
      } finally {
        ok(rt.run(['delete', '--force', id]), `${rt.bin} delete`);
      }
    }
  });

  test('a created init stays under 1 MB: what only setup needed (2,000 mounts, a 300 KB hook state) is given back', () => {
    const annotations: Record<string, string> = {};
    for (let i = 0; i < 1000; i++) annotations[`org.example.big.${i}`] = 'a'.repeat(300);
    const bundles = {
      mounts: makeBundle(['true'], (c) => {
        for (let i = 0; i < 2000; i++) c.mounts.push({ destination: `/tmp/m${i}`, type: 'tmpfs', source: 'tmpfs', options: ['size=4k'] });
      }),
      hookState: makeBundle(['true'], (c) => {
        c.annotations = annotations;
        c.hooks = { createRuntime: [{ path: '/bin/true' }], createContainer: [{ path: '/bin/true' }] };
      }),
    };
    for (const [what, bundle] of Object.entries(bundles)) {
      const id = newId('rss');
      ok(sb.rt.run(['create', '--bundle', bundle, id], { timeout: 60_000 }), `create (${what})`);
      try {
        const pid = Number(sb.rt.state(id).pid);
        const rss = Number(/^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
        assert.ok(rss > 0 && rss < 1024, `the created init of ${what} holds ${rss} kB`);
      } finally {
        ok(sb.rt.run(['delete', '--force', id]), 'delete');
      }
    }
  });

  test('hook states with 300 KB of annotations reach the startContainer hook whole', () => {
    const annotations: Record<string, string> = {};
    for (let i = 0; i < 1000; i++) annotations[`org.example.big.${i}`] = 'a'.repeat(300);
    // createRuntime runs on the host in the parent; startContainer in the
    // container, with the state init got back in the ACK; the process shows it.
    const bundle = makeBundle(['cat', '/tmp/state.json'], (c) => {
      c.annotations = annotations;
      c.hooks = {
        createRuntime: [{ path: '/bin/sh', args: ['sh', '-c', 'cat >/dev/null'] }],
        startContainer: [{ path: '/bin/sh', args: ['sh', '-c', 'cat >/tmp/state.json'] }],
      };
    });
    const id = newId('hooks');
    const state = JSON.parse(ok(sb.rt.run(['run', '--bundle', bundle, id]), 'run'));
    assert.equal(state.id, id);
    assert.equal(state.status, 'created');
    assert.deepEqual(state.annotations, annotations);
  });
});
