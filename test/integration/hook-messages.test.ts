// What tsrun says about bad strings and failing hooks, side by side with runc:
// a failed hook's output is quoted as a bounded, escaped excerpt, worded the
// same by node (prestart) and by tsrun-init (createContainer, startContainer);
// a missing startContainer hook gives runc's errno words; NUL bytes, env
// entries that are not NAME=value, a relative cwd and an empty mount
// destination are refused by create and exec, naming where. Nothing is left.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { makeBundle, sideBySide, skipUnlessRoot, uniqueId, type ConfigPatch, type Result } from './harness.js';

const s = sideBySide();
after(() => s.cleanup());

/** The error line of a `--log-format json` run. */
function errorMessage(r: Result): string {
  const lines = r.stderr.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { level: string; msg: string });
  const error = lines.find((l) => l.level === 'error');
  assert.ok(error, `no error line in ${JSON.stringify(r.stderr)}`);
  return error.msg;
}

/** `run` of a bundle made with patch, under tsrun (JSON log) and runc; both must fail, and leave nothing. */
function runBoth(args: string[], patch: ConfigPatch): { tsrun: Result; runc?: Result } {
  const bundle = makeBundle(args, patch);
  const id = uniqueId('msg');
  const tsrun = s.rt.run(['--log-format', 'json', 'run', '--bundle', bundle, id]);
  const runc = s.runc?.run(['run', '--bundle', bundle, id]);
  s.rt.run(['delete', '--force', id]);
  s.runc?.run(['delete', '--force', id]);
  assert.deepEqual(s.rt.ids(), [], 'tsrun left state behind');
  return { tsrun, runc };
}

// Prints a NUL, an escape sequence, a backslash, UTF-8 and a line, then 5000 NULs to stderr.
const NOISY = ['sh', '-c', 'printf "a\\000b\\033[31mred\\\\x \\303\\251\\n"; head -c 5000 /dev/zero >&2; exit 2'];

describe('config.md hooks: a failed hook\'s output is quoted bounded and escaped', { skip: skipUnlessRoot }, () => {
  // The limit is 256 bytes a stream (native/protocol.h): 64 NULs of 4 characters each.
  const expected = (name: string) =>
    `config.json: /hooks/${name}/0: hook /bin/sh exited with status 2, ` +
    'stdout: a\\x00b\\x1b[31mred\\\\x é, ' +
    `stderr: ${'\\x00'.repeat(64)}... (4936 more bytes)`;

  for (const name of ['prestart', 'createContainer', 'startContainer'] as const) {
    test(`${name} (${name === 'prestart' ? 'run by node' : 'run by tsrun-init'}): the same excerpt, one plain line`, () => {
      const { tsrun, runc } = runBoth(['true'], (c) => {
        c.hooks = { [name]: [{ path: '/bin/sh', args: NOISY }] };
      });
      assert.notEqual(tsrun.code, 0);
      assert.equal(errorMessage(tsrun), expected(name));
      assert.doesNotMatch(tsrun.stderr, /[\u0000-\u0009\u000b-\u001f]/, 'no raw control bytes reach the log');
      assert.ok(tsrun.stderr.length < 2000, `${tsrun.stderr.length} bytes of log`);
      if (runc) {
        // runc fails too, but quotes all 5000 NULs.
        assert.notEqual(runc.code, 0);
        assert.ok(runc.stderr.length > 5000, `runc said ${runc.stderr.length} bytes`);
      }
    });
  }
});

describe('config.md startContainer hooks: the path is looked up inside the container', { skip: skipUnlessRoot }, () => {
  test('a missing hook is "no such file or directory", as runc says', () => {
    for (const hook of ['/nonexistent', '/bin/nonexistent', '/root/missing']) {
      const { tsrun, runc } = runBoth(['true'], (c) => {
        c.hooks = { startContainer: [{ path: hook }] };
      });
      assert.equal(errorMessage(tsrun), `config.json: /hooks/startContainer/0: hook ${hook} could not be executed: no such file or directory`);
      if (runc) assert.match(runc.stderr, new RegExp(`fork/exec ${hook}: no such file or directory`));
    }
  });

  test('a path the process\'s user cannot reach is "permission denied", as runc says, and the message says why', () => {
    const { tsrun, runc } = runBoth(['true'], (c) => {
      c.process.user = { uid: 1000, gid: 1000 };
      c.hooks = { startContainer: [{ path: '/root/missing' }] };
    });
    assert.equal(errorMessage(tsrun),
      'config.json: /hooks/startContainer/0: hook /root/missing could not be executed: permission denied ' +
      '(startContainer hooks run inside the container as uid 1000 gid 1000: the path and every directory above it must be reachable there by that user)');
    if (runc) assert.match(runc.stderr, /fork\/exec \/root\/missing: permission denied/);
  });
});

describe('config.md process, mounts, linux: strings create refuses, as runc does', { skip: skipUnlessRoot }, () => {
  const cases: [string, ConfigPatch, string, RegExp][] = [
    ['a NUL in args[0] (runc: stat ...: invalid argument)', (c) => (c.process.args[0] = '/bin/sh\u0000garbage'),
      '/process/args/0', /"\/bin\/sh\\u0000garbage" holds a NUL byte \(\\u0000\) at offset 7: the kernel would read only "\/bin\/sh"; remove it/],
    ['a NUL in an env value', (c) => c.process.env.push('A=b\u0000c'), '/process/env/2', /holds a NUL byte/],
    ['a NUL in an env name', (c) => c.process.env.push('A\u0000b=c'), '/process/env/2', /holds a NUL byte/],
    ['a NUL in cwd', (c) => (c.process.cwd = '/tmp\u0000x'), '/process/cwd', /holds a NUL byte/],
    ['a NUL in a mount destination', (c) => c.mounts.push({ destination: '/mnt\u0000x', type: 'tmpfs', source: 'tmpfs' }), '/mounts/3/destination', /holds a NUL byte/],
    ['a NUL in cgroupsPath', (c) => (c.linux.cgroupsPath = '/tsrun-test\u0000x'), '/linux/cgroupsPath', /holds a NUL byte/],
    ['env "NOEQ" (runc: invalid environment variable)', (c) => c.process.env.push('NOEQ'), '/process/env/2', /must be NAME=value.*\(found "NOEQ"\)/],
    ['env "=empty" (runc: environment variable name can\'t be empty)', (c) => c.process.env.push('=empty'), '/process/env/2', /\(found "=empty"\)/],
    ['env "" (runc: invalid environment variable)', (c) => c.process.env.push(''), '/process/env/2', /\(found ""\)/],
    ['a relative cwd (runc: Cwd must be an absolute path)', (c) => (c.process.cwd = 'tmp'), '/process/cwd', /must be an absolute path inside the container/],
    ['an empty mount destination (runc: mounts over / and fails later)', (c) => c.mounts.push({ destination: '', type: 'tmpfs', source: 'tmpfs' }), '/mounts/3/destination', /^must not be empty$/],
  ];
  for (const [what, patch, pointer, reason] of cases) {
    test(what, () => {
      const { tsrun, runc } = runBoth(['true'], patch);
      assert.equal(tsrun.code, 1);
      const msg = errorMessage(tsrun);
      const m = /config\.json: (\/[^:]*): (.*)$/.exec(msg);
      assert.ok(m, msg);
      assert.equal(m[1], pointer);
      assert.match(m[2]!, reason);
      if (runc) assert.notEqual(runc.code, 0, `runc accepted it: ${runc.stdout}`);
    });
  }

  test('a relative mount destination is still taken from "/" (config.md: relative paths are deprecated), as runc does', () => {
    const bundle = makeBundle(['sh', '-c', 'grep " /mnt " /proc/mounts'], (c) => c.mounts.push({ destination: 'mnt', type: 'tmpfs', source: 'tmpfs' }));
    for (const rt of [s.rt, s.runc]) {
      if (!rt) continue;
      const id = uniqueId('rel');
      const r = rt.run(['run', '--bundle', bundle, id]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^tmpfs \/mnt tmpfs /);
      // Both warn.
      assert.match(r.stderr, rt === s.rt ? /\/mounts\/3\/destination: \\"mnt\\" is not absolute; it is mounted at \/mnt \(relative destinations are deprecated\)/ : /mount destination mnt is not absolute/);
    }
  });
});

describe('exec: flags and --process refuse what config.json refuses', { skip: skipUnlessRoot }, () => {
  test('-e NOEQ, -e =x and a NUL in a --process file, side by side with runc (both exit 255)', () => {
    const bundle = makeBundle(['sleep', '100']);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-hook-messages-'));
    s.dirs.push(dir);
    const procFile = path.join(dir, 'process.json');
    fs.writeFileSync(procFile, JSON.stringify({ cwd: '/', args: ['/bin/sh\u0000x', '-c', 'echo hi'] }));
    const cases: [string[], string][] = [
      [['-e', 'NOEQ'], 'exec failed: --env: must be NAME=value, with a non-empty NAME that holds no "=" (e.g. "PATH=/bin") (found "NOEQ")'],
      [['-e', '=x'], 'exec failed: --env: must be NAME=value, with a non-empty NAME that holds no "=" (e.g. "PATH=/bin") (found "=x")'],
      [['--process', procFile], `exec failed: ${procFile}: /args/0: "/bin/sh\\u0000x" holds a NUL byte (\\u0000) at offset 7: the kernel would read only "/bin/sh"; remove it`],
    ];
    for (const rt of [s.rt, s.runc]) {
      if (!rt) continue;
      const id = uniqueId('exec');
      assert.equal(rt.run(['run', '-d', '--bundle', bundle, id]).code, 0);
      try {
        for (const [flags, message] of cases) {
          const r = rt.run(rt === s.rt ? ['--log-format', 'json', 'exec', ...flags, id, 'true'] : ['exec', ...flags, id, 'true']);
          assert.equal(r.code, 255, `${rt.bin} exec ${flags.join(' ')}: ${r.stderr}`);
          if (rt === s.rt) assert.equal(errorMessage(r), message);
        }
      } finally {
        assert.equal(rt.run(['delete', '--force', id]).code, 0);
      }
    }
  });
});
