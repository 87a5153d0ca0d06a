// bin/tsrun starts node in an environment of its own: node acts on several
// variables before any JS runs (NODE_OPTIONS, OPENSSL_CONF, ...), and tsrun
// runs as root. Each is shown to act on a plain `node` first, so that each
// test can fail, then to be inert under tsrun.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { makeBundle, processLives, repoRoot, runToFiles, sideBySide, skipUnlessRoot, sleep, tsrunBin, uniqueId } from './harness.js';

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-launcher-env-'));
const nodePath = fs.readFileSync(path.join(repoRoot, 'dist', 'node-path'), 'utf8').trim();

/** Runs argv with the caller's environment plus extra. */
function withEnv(cmd: string, args: string[], extra: Record<string, string>) {
  return runToFiles(cmd, args, scratch, { env: { ...process.env, ...extra }, timeout: 30_000 }).result;
}

after(() => fs.rmSync(scratch, { recursive: true, force: true }));

describe('bin/tsrun: node starts in an environment of its own', () => {
  test('runs the node the build recorded, by its absolute path', () => {
    assert.ok(path.isAbsolute(nodePath), nodePath);
    // A `node` earlier on PATH that would leave a marker is not the one run.
    const bin = fs.mkdtempSync(path.join(scratch, 'bin-'));
    const marker = path.join(scratch, 'path-node-ran');
    fs.writeFileSync(path.join(bin, 'node'), `#!/bin/sh\ntouch ${marker}\nexec ${nodePath} "$@"\n`, { mode: 0o755 });
    const r = withEnv(tsrunBin, ['--version'], { PATH: `${bin}:${process.env.PATH}` });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.ok(!fs.existsSync(marker), 'bin/tsrun ran the node on PATH');
  });

  test('NODE_OPTIONS=--require: the module does not run', () => {
    const marker = path.join(scratch, 'required-ran');
    const mod = path.join(scratch, 'evil.js');
    fs.writeFileSync(mod, `require('fs').writeFileSync(${JSON.stringify(marker)}, 'ran');`);
    const env = { NODE_OPTIONS: `--require ${mod}` };
    assert.equal(withEnv(nodePath, ['-e', '0'], env).code, 0);
    assert.ok(fs.existsSync(marker), 'control: plain node runs the --require module');
    fs.rmSync(marker);
    const r = withEnv(tsrunBin, ['--version'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!fs.existsSync(marker), 'tsrun ran the NODE_OPTIONS --require module');
  });

  test('OPENSSL_CONF: a config that would abort node is not read', () => {
    // node reads its nodejs_conf section; a provider that cannot load aborts it.
    const conf = path.join(scratch, 'openssl.cnf');
    fs.writeFileSync(conf, 'nodejs_conf = oc\n[oc]\nproviders = p\n[p]\nevil = evil_sect\n[evil_sect]\nmodule = /nonexistent/evil.so\nactivate = 1\n');
    const env = { OPENSSL_CONF: conf };
    assert.notEqual(withEnv(nodePath, ['-e', '0'], env).code, 0, 'control: plain node fails on this config');
    const r = withEnv(tsrunBin, ['--version'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^tsrun version /);
  });

  test('NODE_V8_COVERAGE: no coverage is written', () => {
    const dir = path.join(scratch, 'coverage');
    const env = { NODE_V8_COVERAGE: dir };
    assert.equal(withEnv(nodePath, ['-e', '0'], env).code, 0);
    assert.ok(fs.readdirSync(dir).length > 0, 'control: plain node writes coverage');
    fs.rmSync(dir, { recursive: true });
    assert.equal(withEnv(tsrunBin, ['--version'], env).code, 0);
    assert.ok(!fs.existsSync(dir), 'tsrun wrote V8 coverage');
  });

  test('NODE_REDIRECT_WARNINGS: no file is created or appended to, even when node warns', () => {
    const file = path.join(scratch, 'warnings');
    // A warning at start-up (a loader flag), so that one is written if the variable acts.
    const env = { NODE_REDIRECT_WARNINGS: file, NODE_OPTIONS: '--experimental-loader=data:text/javascript,' };
    assert.equal(withEnv(nodePath, ['-e', '0'], env).code, 0);
    assert.ok(fs.existsSync(file), 'control: plain node writes its warnings there');
    fs.rmSync(file);
    const r = withEnv(tsrunBin, ['list'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!fs.existsSync(file), 'tsrun wrote to NODE_REDIRECT_WARNINGS');
  });
});

describe('bin/tsrun: what reaches node, and what reaches the container', { skip: skipUnlessRoot }, () => {
  const sbs = sideBySide();
  after(() => sbs.cleanup());

  const hostile = {
    NODE_OPTIONS: '--max-old-space-size=1',
    NODE_ICU_DATA: '/nonexistent',
    NODE_EXTRA_CA_CERTS: '/nonexistent.pem',
    NODE_REDIRECT_WARNINGS: '/nonexistent/w',
    NODE_V8_COVERAGE: '/nonexistent/c',
    OPENSSL_CONF: '/nonexistent.cnf',
    BASH_ENV: '/nonexistent.sh',
    LD_PRELOAD: '',
    FROM_THE_CALLER: 'yes',
  };

  test("node's environment is the allow-list's: PATH, HOME, DEBUG, TSRUN_*, NOTIFY_SOCKET, ... and nothing of the rest", async () => {
    const { rt } = sbs;
    const id = uniqueId('env');
    const bundle = makeBundle(['sleep', '30']);
    const env: NodeJS.ProcessEnv = { ...process.env, ...hostile, TSRUN_SOMETHING: 'kept', DEBUG: 'nothing:*', LISTEN_FDS: '0' };
    // A foreground run stays up, so its environ can be read; the pid is the launched one (exec all the way).
    const child = spawn(tsrunBin, ['--root', rt.root, 'run', '--bundle', bundle, id], { env, stdio: 'ignore' });
    try {
      let environ = '';
      for (let i = 0; i < 500 && !environ.includes('TSRUN_INHERITED_NOFILE'); i++) {
        await sleep(20);
        if (fs.readlinkSync(`/proc/${child.pid}/exe`) === nodePath) environ = fs.readFileSync(`/proc/${child.pid}/environ`, 'utf8');
      }
      const names = environ.split('\0').filter(Boolean).map((kv) => kv.slice(0, kv.indexOf('=')));
      for (const name of Object.keys(hostile)) assert.ok(!names.includes(name), `${name} reached node`);
      for (const name of ['PATH', 'TSRUN_SOMETHING', 'TSRUN_INHERITED_NOFILE', 'DEBUG', 'LISTEN_FDS']) assert.ok(names.includes(name), `${name} did not reach node`);
      assert.ok(environ.split('\0').includes(`PATH=${process.env.PATH}`));
      await rt.waitStatus(id, 'running');
    } finally {
      rt.run(['kill', id, 'KILL']);
      await new Promise((r) => (child.exitCode === null && child.signalCode === null ? child.on('exit', r) : r(undefined)));
    }
    assert.ok(!processLives(child.pid!));
  });

  test("the container's environment is config.json's (and HOME from /etc/passwd when it has none), as with runc", (t) => {
    const { rt, runc } = sbs;
    if (!runc) return t.skip('runc is not installed');
    const outputs = [rt, runc].map((r) => {
      const bundle = makeBundle(['env'], (c) => {
        c.process.env = ['PATH=/usr/sbin:/usr/bin:/sbin:/bin', 'A=1', 'TERM=dumb'];
      });
      const res = runToFiles(r.bin, ['--root', r.root, 'run', '--bundle', bundle, uniqueId('env')], r.root, {
        env: { ...process.env, ...hostile },
        timeout: 30_000,
      }).result;
      assert.equal(res.code, 0, `${r.bin}: ${res.stderr}`);
      return res.stdout.split('\n').filter(Boolean).sort();
    });
    assert.deepEqual(outputs[0], outputs[1]);
    assert.deepEqual(outputs[0], ['A=1', 'HOME=/root', 'PATH=/usr/sbin:/usr/bin:/sbin:/bin', 'TERM=dumb']);
  });

  test('without dist/node-path: node from PATH, with a one-line hint naming the rebuild', () => {
    // A copy of the launcher beside a dist without node-path.
    const pkg = fs.mkdtempSync(path.join(scratch, 'pkg-'));
    fs.mkdirSync(path.join(pkg, 'bin'));
    fs.copyFileSync(tsrunBin, path.join(pkg, 'bin', 'tsrun'));
    fs.symlinkSync(path.join(repoRoot, 'build'), path.join(pkg, 'build'));
    fs.copyFileSync(path.join(repoRoot, 'package.json'), path.join(pkg, 'package.json'));
    fs.mkdirSync(path.join(pkg, 'dist'));
    for (const f of fs.readdirSync(path.join(repoRoot, 'dist'))) {
      if (f !== 'node-path') fs.symlinkSync(path.join(repoRoot, 'dist', f), path.join(pkg, 'dist', f));
    }
    const r = spawnSync(path.join(pkg, 'bin', 'tsrun'), ['--version'], { encoding: 'utf8', env: { ...process.env, PATH: `${path.dirname(nodePath)}:${process.env.PATH}` } });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^tsrun version /);
    assert.equal(r.stderr.split('\n').filter(Boolean).length, 1);
    assert.match(r.stderr, /npm run build:ts/);
  });
});
