// `tsrun check`: every problem of a bundle at once, each with its config path,
// cause and fix; exit 0 exactly when create gets past planning; nothing made
// and nothing of the bundle run. Beside create on the same bundles.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { makeBundle, Runtime, skipUnlessRoot, uniqueId } from './harness.js';

interface Problem {
  severity: 'error' | 'warning';
  path: string;
  cause: string;
  fix: string;
}

function check(rt: Runtime, bundle: string): { code: number; report: { ok: boolean; problems: Problem[] }; text: string } {
  const json = rt.run(['check', '--bundle', bundle, '--format', 'json']);
  const text = rt.run(['check', '--bundle', bundle]);
  assert.equal(json.code, text.code, text.stderr);
  return { code: json.code, report: JSON.parse(json.stdout), text: text.stdout };
}

test('check names five different problems at once, each with its path, cause and fix; create fails on one of them', { skip: skipUnlessRoot }, () => {
  const rt = new Runtime();
  const marker = path.join(rt.root, 'hook-ran');
  const hook = path.join(rt.root, 'hook.sh');
  // A prestart hook that would leave a marker: check must not run it (and it is not executable, which check says).
  fs.writeFileSync(hook, `#!/bin/sh\ntouch ${marker}\n`, { mode: 0o644 });
  const hardNproc = Number(/^Max processes\s+\S+\s+(\S+)/m.exec(fs.readFileSync('/proc/self/limits', 'utf8'))?.[1]);
  const bundle = makeBundle(['true'], (c) => {
    c.process.capabilities = { bounding: ['CAP_CHOWN', 'CAP_NOT_REAL'] };
    c.mounts.push({ destination: '/data', type: 'bind', source: path.join(rt.root, 'no-such-dir'), options: ['rbind'] });
    c.hooks = { prestart: [{ path: hook }] };
    c.linux.namespaces = c.linux.namespaces.map((n: { type: string }) => (n.type === 'network' ? { type: 'network', path: '/proc/0/ns/net' } : n));
    c.linux.resources = { ...(c.linux.resources ?? {}), hugepageLimits: [{ pageSize: '3MB', limit: 1 }] };
    c.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_NOT_REAL'] };
    if (Number.isFinite(hardNproc)) c.process.rlimits = [{ type: 'RLIMIT_NPROC', soft: 10, hard: hardNproc + 1 }];
  });
  try {
    // The schema refuses an unknown seccomp architecture: check says so (all of the schema's problems) and stops there.
    const schema = check(rt, bundle);
    assert.equal(schema.code, 1);
    assert.deepEqual(schema.report.problems.map((p) => p.path), ['/linux/seccomp/architectures/1']);
    const config = JSON.parse(fs.readFileSync(path.join(bundle, 'config.json'), 'utf8'));
    config.linux.seccomp.architectures = ['SCMP_ARCH_X86_64'];
    fs.writeFileSync(path.join(bundle, 'config.json'), JSON.stringify(config));

    const { code, report, text } = check(rt, bundle);
    assert.equal(code, 1, text);
    assert.equal(report.ok, false);
    const errors = report.problems.filter((p) => p.severity === 'error');
    const at = (prefix: string) => errors.find((p) => p.path.startsWith(prefix));
    for (const prefix of ['/mounts/', '/hooks/prestart/0/path', '/linux/namespaces/', '/linux/resources/hugepageLimits/0']) {
      assert.ok(at(prefix), `no error at ${prefix}:\n${text}`);
    }
    assert.match(at('/hooks/prestart/0/path')!.cause, /not executable/);
    assert.match(at('/linux/namespaces/')!.cause, /does not exist/);
    // Root without CAP_SYS_RESOURCE (a sandbox) cannot raise the hard limit: then that is a sixth.
    const canRaise = (BigInt(`0x${/^CapEff:\s*(\S+)/m.exec(fs.readFileSync('/proc/self/status', 'utf8'))![1]}`) >> 24n) & 1n;
    if (!canRaise && Number.isFinite(hardNproc)) assert.ok(at('/process/rlimits/0'), text);
    assert.ok(errors.length >= 4, text);
    for (const p of errors) {
      assert.ok(p.cause.length > 0 && p.path.startsWith('/'), JSON.stringify(p));
      assert.ok(text.includes(`error: config.json: ${p.path}: ${p.cause}`), `${p.path} missing from the text:\n${text}`);
    }
    // The capability this kernel does not know is a warning: create drops it and goes on.
    assert.ok(report.problems.some((p) => p.severity === 'warning' && p.path === '/process/capabilities/bounding/1'), text);
    assert.match(text, /errors?, 1 warning: create would fail\n$/);

    assert.ok(!fs.existsSync(marker), 'check ran the prestart hook');
    assert.deepEqual(rt.ids(), [], 'check left something under --root');
    // create stops at one of the problems check named.
    const id = uniqueId('h15check');
    const created = rt.run(['create', '--bundle', bundle, id]);
    assert.notEqual(created.code, 0, 'create got past a bundle check refused');
    const named = /config\.json: (\/[^:]+):/.exec(created.stderr)?.[1] ?? '';
    assert.ok(errors.some((p) => named.startsWith(p.path) || p.path.startsWith(named)), `create failed at ${named || created.stderr}, which check did not name:\n${text}`);
  } finally {
    rt.cleanup();
  }
});

test('check passes a bundle create accepts, and exits 0', { skip: skipUnlessRoot }, () => {
  const rt = new Runtime();
  const bundle = makeBundle(['true']);
  try {
    const { code, report, text } = check(rt, bundle);
    assert.equal(code, 0, text);
    assert.equal(report.ok, true);
    assert.match(text, /create would get past planning/);
    const id = uniqueId('h15check');
    const created = rt.run(['create', '--bundle', bundle, id]);
    assert.equal(created.code, 0, created.stderr);
    assert.equal(rt.run(['delete', '--force', id]).code, 0);
  } finally {
    rt.cleanup();
  }
});

test('check of a missing bundle or config says which and exits 1', { skip: skipUnlessRoot }, () => {
  const rt = new Runtime();
  try {
    const missing = path.join(os.tmpdir(), `h15check-missing-${process.pid}`);
    const r = rt.run(['check', '--bundle', missing]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /does not exist or is not a directory/);
  } finally {
    rt.cleanup();
  }
});
