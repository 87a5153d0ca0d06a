// runc's edge rules on tsrun (docs/runc-compat.md): create and run failures leave nothing behind.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { assertNothingLeft, busyboxRootfs, makeBundle, Runtime, uniqueId } from './harness.js';
import { edgeSuite, tsrunInits, newInits, errorMsg, dispose, runAsync } from './edge-harness.js';

edgeSuite('create and run failures leave nothing behind', ({ rt, scratch }) => {
  describe('create and run failures leave nothing behind', { concurrency: 4 }, () => {
    interface FailCase {
      name: string;
      bundle: () => string;
      want: (bundle: string) => (string | RegExp)[];
      /** Fails inside tsrun-init: also checked through `run -d`. */
      inInit?: boolean;
    }
    const withConfig = (text: string) => () => {
      const b = makeBundle(['true']);
      fs.writeFileSync(path.join(b, 'config.json'), text);
      return b;
    };
    const cases: FailCase[] = [
      {
        name: 'missing bundle dir',
        bundle: () => path.join(makeBundle(['true']), 'does-not-exist'),
        want: (b) => [b],
      },
      {
        name: 'bundle without config.json',
        bundle: () => {
          const b = makeBundle(['true']);
          fs.rmSync(path.join(b, 'config.json'));
          return b;
        },
        want: () => ['config.json'],
      },
      {
        name: 'invalid JSON (line and column)',
        bundle: withConfig('{\n  "ociVersion": "1.2.0"\n  "process": {}\n}\n'),
        want: () => [/line 3, column 3/],
      },
      {
        name: 'schema error: process.args []',
        bundle: () => makeBundle([]),
        want: () => ['/process/args'],
      },
      {
        name: 'unsupported field: linux.intelRdt',
        bundle: () => makeBundle(['true'], (c) => (c.linux.intelRdt = { closID: 'guaranteed_group' })),
        want: () => ['/linux/intelRdt'],
      },
      {
        name: 'plan error: hostname without a uts namespace',
        bundle: () => makeBundle(['true'], (c) => (c.linux.namespaces = c.linux.namespaces.filter((n: { type: string }) => n.type !== 'uts'))),
        want: () => ['/hostname'],
      },
      {
        name: 'a mount that fails inside init',
        inInit: true,
        bundle: () => makeBundle(['true'], (c) => c.mounts.push({ destination: '/mnt', type: 'nosuchfs', source: 'none' })),
        want: () => ['/mounts/3'],
      },
      {
        name: 'args[0] not in $PATH',
        inInit: true,
        bundle: () => makeBundle(['nope']),
        want: () => ['exec: "nope": executable file not found in $PATH'],
      },
      {
        name: 'args[0] a missing absolute path',
        bundle: () => makeBundle(['/bin/nope']),
        want: () => ['exec: "/bin/nope"', 'no such file or directory'],
      },
      {
        name: 'args[0] not executable',
        bundle: () => makeBundle(['/etc/passwd']),
        want: () => ['exec: "/etc/passwd"', 'permission denied'],
      },
    ];

    for (const c of cases) {
      for (const verb of c.inInit ? ['create', 'run'] : ['create']) {
        test(`${verb}: ${c.name}`, async (t) => {
          const own = new Runtime();
          t.after(() => dispose(own));
          const bundle = c.bundle();
          const id = uniqueId('fail');
          const pidFile = path.join(scratch, `${id}.pid`);
          const inits = tsrunInits();
          const args = verb === 'run' ? ['run', '-d'] : ['create'];
          const r = await runAsync(own, scratch, [...args, '--pid-file', pidFile, '--bundle', bundle, id]);
          assert.equal(r.code, 1, `exit 1: ${r.stderr}`);
          assert.equal(r.stdout, '');
          const msg = errorMsg(r.stderr);
          for (const w of c.want(bundle)) {
            if (typeof w === 'string') assert.ok(msg.includes(w), `message ${JSON.stringify(msg)} should include ${JSON.stringify(w)}`);
            else assert.match(msg, w);
          }
          assert.ok(!fs.existsSync(path.join(own.root, id)), 'no state dir');
          assert.ok(!fs.existsSync(pidFile), 'no pid file');
          assert.deepEqual(newInits(inits, own.root, bundle), [], 'no tsrun-init left');
          assertNothingLeft(own, [bundle, busyboxRootfs()]);
          own.cleanup();
        });
      }
    }
  });
});

edgeSuite('checkpoint with a criu that exits before answering', ({ scratch }) => {
  test('the message gives the exit status of criu, and the container runs on', async (t) => {
    const own = new Runtime();
    t.after(() => dispose(own));
    const criu = path.join(scratch, 'criu-exits');
    fs.writeFileSync(criu, '#!/bin/sh\nexit 3\n', { mode: 0o755 });
    const id = uniqueId('ckpt');
    const bundle = makeBundle(['sleep', '100']);
    const started = own.run(['run', '-d', '--bundle', bundle, id]);
    assert.equal(started.code, 0, started.stderr);
    const images = path.join(scratch, `${id}-images`);
    const r = await runAsync(own, scratch, ['--criu', criu, 'checkpoint', '--image-path', images, id]);
    assert.equal(r.code, 1, r.stderr);
    // Not the EPIPE of writing the request to a criu that is gone.
    assert.match(errorMsg(r.stderr), /^criu exited with status 3 before answering the DUMP request/);
    const state = JSON.parse(own.run(['state', id]).stdout) as { status: string };
    assert.equal(state.status, 'running');
  });
});
