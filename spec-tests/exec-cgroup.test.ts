// config-linux.md "Control groups": the container's processes are in its
// cgroup. Two things of runc's that build on it: `exec --cgroup` (runc 1.1)
// puts an exec'd process in a sub-cgroup of the container's, side by side
// with runc 1.1.5 here; and clone3(CLONE_INTO_CGROUP) (runc 1.2) creates
// init and exec's process directly in the unified cgroup, so that no process
// of the container runs outside it. The kernel's own count shows it: with
// pids.max at exactly one more than the container holds, only a process
// born in the cgroup fits (stage 0 moved in first would be one too many).
// That part needs the pids controller in the unified hierarchy (pure v2: the
// test VM runs this file through exec-cgroup-vm.test.ts). Under a seccomp
// filter that makes clone3 ENOSYS (docker's default profile does), tsrun
// falls back to moving stage 0 in, and still works.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { hostLayout } from '../src/cgroups/hierarchy.js';
import { hasRunc, makeBundle, Runtime, runToFiles, skipUnlessRoot, tsrunBin, uniqueId, type Result } from '../test/integration/harness.js';

const layout = (() => {
  try {
    return hostLayout();
  } catch {
    return undefined;
  }
})();
const skip = skipUnlessRoot || (layout ? false : 'no cgroup filesystem is mounted');
const v2 = layout?.mode === 'v2';
const unified = layout?.unified;
const inVm = process.env.TSRUN_CGROUP_V2_VM === '1';

// The VM's root cgroup is the test's own: pass pids down, as systemd does on a v2 host.
if (!skip && inVm && unified) fs.writeFileSync(path.join(unified, 'cgroup.subtree_control'), '+pids');
const unifiedPids = !!unified && fs.existsSync(path.join(unified, 'cgroup.controllers')) &&
  fs.readFileSync(path.join(unified, 'cgroup.controllers'), 'utf8').split(/\s+/).includes('pids');

/**
 * A seccomp filter that makes clone3 fail with ENOSYS (as docker's default
 * profile does), loaded by python3 (ctypes, no compiler needed), which then
 * execs tsrun under it: every process tsrun starts inherits it.
 */
const NO_CLONE3_PY = `
import ctypes, os, struct, sys
def insn(code, jt, jf, k): return struct.pack("HBBI", code, jt, jf, k)
prog = b"".join([
    insn(0x20, 0, 0, 0),              # ld [0]: the syscall number
    insn(0x15, 0, 1, 435),            # jeq clone3
    insn(0x06, 0, 0, 0x00050000 | 38), # ret ERRNO(ENOSYS)
    insn(0x06, 0, 0, 0x7fff0000),     # ret ALLOW
])
buf = ctypes.create_string_buffer(prog)
fprog = struct.pack("HxxxxxxQ", len(prog) // 8, ctypes.addressof(buf))
libc = ctypes.CDLL(None, use_errno=True)
if libc.prctl(22, 2, ctypes.c_char_p(fprog), 0, 0) != 0:  # PR_SET_SECCOMP, SECCOMP_MODE_FILTER
    sys.exit("seccomp: %s" % os.strerror(ctypes.get_errno()))
os.execv(sys.argv[1], sys.argv[1:])
`;

/** Each hierarchy of /proc/<pid>/cgroup: "pids" (or "" for the unified one) to the path. */
function cgroupsOf(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.trim().split('\n')) {
    const m = /^\d+:([^:]*):(.*)$/.exec(line);
    if (m) out.set(m[1], m[2]);
  }
  return out;
}

/** Where each hierarchy's path of `now` is, relative to the container's (init's) own: '' for the same, '/sub' below. */
function relative(now: Map<string, string>, base: Map<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [h, p] of now) {
    const b = base.get(h)!;
    out[h] = p === b ? '' : p.startsWith(`${b}/`) ? p.slice(b.length) : `outside: ${p}`;
  }
  return out;
}

/** The host directory of each hierarchy's cgroup for pid (from /proc/<pid>/cgroup and the host's mounts). */
function dirsOf(pid: number): string[] {
  const out: string[] = [];
  for (const [h, p] of cgroupsOf(fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8'))) {
    const mount = h === '' ? layout!.unified! : layout!.v1.find((x) => x.controllers.join(',') === h)?.mount;
    if (mount) out.push(path.join(mount, p));
  }
  return out;
}

/** mkdir dir/sub in each of dirs; a v1 cpuset one gets its parent's cpus and mems (empty ones refuse tasks). */
function makeSub(dirs: string[], sub: string): void {
  for (const d of dirs) {
    const s = path.join(d, sub);
    fs.mkdirSync(s, { recursive: true });
    for (const f of ['cpuset.cpus', 'cpuset.mems']) {
      if (d.includes('/cpuset') && fs.existsSync(path.join(s, f)) && !fs.readFileSync(path.join(s, f), 'utf8').trim()) {
        fs.writeFileSync(path.join(s, f), fs.readFileSync(path.join(d, f), 'utf8').trim());
      }
    }
  }
}

describe('config-linux.md "Control groups": exec --cgroup, side by side with runc', { skip }, () => {
  const rt = new Runtime();
  const runc = hasRunc ? new Runtime('runc', 'runc-cg-root-') : undefined;
  const id = uniqueId('h17x-cg');
  const inits = new Map<Runtime, number>();
  const both = () => [rt, ...(runc ? [runc] : [])];

  before(() => {
    const bundle = makeBundle(['sleep', '1000']);
    for (const r of both()) {
      const res = r.run(['run', '-d', '--bundle', bundle, id]);
      assert.equal(res.code, 0, `${r.bin}: ${res.stderr}`);
      const pid = r.state(id).pid as number;
      inits.set(r, pid);
      makeSub(dirsOf(pid), 'sub');
    }
  });
  after(() => {
    rt.cleanup();
    runc?.cleanup();
  });

  const exec = (r: Runtime, flags: string[]): Result => r.run(['exec', ...flags, id, 'cat', '/proc/self/cgroup']);
  /** The exec's placement under tsrun, checked equal to runc's; returns tsrun's. */
  const placedAsRunc = (flags: string[]): Record<string, string> => {
    const got: Record<string, string>[] = [];
    for (const r of both()) {
      const res = exec(r, flags);
      assert.equal(res.code, 0, `${r.bin} exec ${flags.join(' ')}: ${res.stderr}`);
      got.push(relative(cgroupsOf(res.stdout), cgroupsOf(fs.readFileSync(`/proc/${inits.get(r)}/cgroup`, 'utf8'))));
    }
    if (got.length === 2) assert.deepEqual(got[0], got[1], 'tsrun (actual) and runc (expected) put the process in different cgroups');
    return got[0];
  };

  test('exec with no --cgroup: the container\'s own cgroup in every hierarchy', () => {
    const placed = placedAsRunc([]);
    assert.ok(Object.values(placed).every((p) => p === ''), JSON.stringify(placed));
  });

  test('--cgroup <sub-path>: that sub-cgroup in every hierarchy (and "/sub", "sub/x/.." name the same)', () => {
    for (const arg of ['sub', '/sub', 'sub/x/..']) {
      const placed = placedAsRunc(['--cgroup', arg]);
      assert.ok(Object.values(placed).every((p) => p === '/sub'), `${arg}: ${JSON.stringify(placed)}`);
    }
  });

  test('--cgroup <controller>[,<controller>]:<sub-path> (cgroup v1): only those hierarchies move; the last flag for one wins', { skip: v2 ? 'cgroup v1 only: on v2 there is one hierarchy' : false }, () => {
    const placed = placedAsRunc(['--cgroup', 'memory,pids:sub', '--cgroup', 'cpu:sub', '--cgroup', 'cpu:.']);
    const moved = Object.entries(placed).filter(([, p]) => p === '/sub').map(([h]) => h).sort();
    assert.deepEqual(moved, [...new Set(['memory', 'pids'].map((c) => layout!.v1.find((h) => h.controllers.includes(c))!.controllers.join(',')))].sort());
  });

  // runc's words for each refusal, which tsrun's message carries too; each exits 255 and starts nothing.
  const refusals: Array<[string[], string]> = [
    [['--cgroup', '../x'], '../x is not a sub cgroup path'],
    [['--cgroup', 'sub/../../x'], 'sub/../../x is not a sub cgroup path'],
    [['--cgroup', '/../x'], '/../x is not a sub cgroup path'],
    [['--cgroup', 'a:b:c'], 'invalid --cgroup argument: a:b:c'],
    [['--cgroup', 'sub', '--cgroup', 'sub'], 'invalid --cgroup argument: sub (missing <controller>: prefix'],
    [['--cgroup', 'nosuch'], 'no such file or directory'],
    [['--cgroup', v2 ? 'memory:sub' : 'nope:sub'], `unknown controller ${v2 ? 'memory' : 'nope'}`],
  ];
  test('refused as runc refuses: a path that leaves the container\'s cgroup, a malformed flag, a missing sub-cgroup, an unknown controller', () => {
    const before = fs.readFileSync(`/proc/${inits.get(rt)}/cgroup`, 'utf8');
    for (const [flags, words] of refusals) {
      for (const r of both()) {
        const res = exec(r, flags);
        assert.equal(res.code, 255, `${r.bin} exec ${flags.join(' ')}: ${res.stderr}`);
        if (r === runc && words === 'no such file or directory') assert.match(res.stderr, /no such file or directory/);
        if (r === rt) assert.ok(res.stderr.includes(words), `tsrun exec ${flags.join(' ')} should say "${words}": ${res.stderr}`);
      }
    }
    // Nothing was started: the container still holds its init alone.
    const procs = dirsOf(inits.get(rt)!).map((d) => fs.readFileSync(path.join(d, 'cgroup.procs'), 'utf8').trim());
    assert.ok(procs.every((p) => p === String(inits.get(rt))), `left in the cgroup: ${procs.join(' | ')}`);
    assert.equal(fs.readFileSync(`/proc/${inits.get(rt)}/cgroup`, 'utf8'), before);
  });

  test('delete removes the sub-cgroups made in the container\'s cgroup with it', () => {
    const dirs = dirsOf(inits.get(rt)!);
    const del = rt.run(['delete', '--force', id]);
    assert.equal(del.code, 0, del.stderr);
    for (const d of dirs) assert.ok(!fs.existsSync(d), `${d} was left`);
  });
});

describe('config-linux.md "Control groups": clone3(CLONE_INTO_CGROUP), and its fallback where clone3 is refused', { skip }, () => {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'h17x-clone3-'));
  const rt = new Runtime();
  // The same state root, through the filter: the fallback.
  const wrapper = path.join(scratch, 'tsrun-without-clone3');
  fs.writeFileSync(path.join(scratch, 'no-clone3.py'), NO_CLONE3_PY);
  fs.writeFileSync(wrapper, `#!/bin/sh\nexec python3 ${path.join(scratch, 'no-clone3.py')} ${tsrunBin} "$@"\n`, { mode: 0o755 });
  const filtered = new Runtime(wrapper, 'tsrun-noclone3-root-');
  const parents: string[] = [];
  after(() => {
    rt.cleanup();
    filtered.cleanup();
    for (const p of parents) fs.rmdirSync(p);
    fs.rmSync(scratch, { recursive: true, force: true });
  });

  test('the filter does refuse clone3 with ENOSYS', () => {
    const r = runPy(scratch, 'import ctypes; libc = ctypes.CDLL(None, use_errno=True); r = libc.syscall(435, 0, 0); print(r, ctypes.get_errno())');
    assert.equal(r.trim(), '-1 38', 'under the filter, clone3 should fail with ENOSYS (38)');
  });

  for (const [name, on] of [['clone3', () => rt], ['clone3 refused (ENOSYS): stage 0 moved in', () => filtered]] as const) {
    test(`${name}: init and exec's process are in the container's cgroup, sub-cgroups too`, () => {
      const r = on();
      const id = uniqueId('h17x-c3');
      const bundle = makeBundle(['sleep', '1000']);
      const res = r.run(['run', '-d', '--bundle', bundle, id]);
      assert.equal(res.code, 0, res.stderr);
      const init = r.state(id).pid as number;
      const own = cgroupsOf(fs.readFileSync(`/proc/${init}/cgroup`, 'utf8'));
      assert.ok([...own.values()].every((p) => p.endsWith(`/${id}`)), `init is not in its cgroup: ${JSON.stringify([...own])}`);
      const e = r.run(['exec', id, 'cat', '/proc/self/cgroup']);
      assert.equal(e.code, 0, e.stderr);
      assert.deepEqual(cgroupsOf(e.stdout), own);
      makeSub(dirsOf(init), 'sub');
      const s = r.run(['exec', '--cgroup', 'sub', id, 'cat', '/proc/self/cgroup']);
      assert.equal(s.code, 0, s.stderr);
      assert.ok(Object.values(relative(cgroupsOf(s.stdout), own)).every((p) => p === '/sub'), s.stdout);
      assert.equal(r.run(['delete', '--force', id]).code, 0);
    });

    test(`${name}: in a container with a cgroup namespace, exec's process is in it, at its root (the container's cgroup)`, () => {
      const r = on();
      const id = uniqueId('h17x-ns');
      const bundle = makeBundle(['sleep', '1000'], (c) => c.linux.namespaces.push({ type: 'cgroup' }));
      const res = r.run(['run', '-d', '--bundle', bundle, id]);
      assert.equal(res.code, 0, res.stderr);
      const init = r.state(id).pid as number;
      const e = r.run(['exec', id, 'sh', '-c', 'cat /proc/self/cgroup; readlink /proc/self/ns/cgroup']);
      assert.equal(e.code, 0, e.stderr);
      const lines = e.stdout.trim().split('\n');
      const ns = lines.pop();
      assert.equal(ns, fs.readlinkSync(`/proc/${init}/ns/cgroup`), 'not in the container\'s cgroup namespace');
      assert.ok(lines.every((l) => l.endsWith(':/')), `not at the namespace's root: ${lines.join(' | ')}`);
      assert.equal(r.run(['delete', '--force', id]).code, 0);
    });
  }

  const tightSkip = unifiedPids ? false : 'needs the pids controller in the unified hierarchy (pure cgroup v2: exec-cgroup-vm.test.ts runs this in the test VM)';

  test('clone3: exec fits in pids.max = what the container holds + 1: only the new process was ever counted (stage 0 never entered)', { skip: tightSkip }, () => {
    const id = uniqueId('h17x-pm');
    const res = rt.run(['run', '-d', '--bundle', makeBundle(['sleep', '1000']), id]);
    assert.equal(res.code, 0, res.stderr);
    const dir = dirsOf(rt.state(id).pid as number).find((d) => d.startsWith(`${unified}/`))!;
    const held = Number(fs.readFileSync(path.join(dir, 'pids.current'), 'utf8'));
    fs.writeFileSync(path.join(dir, 'pids.max'), String(held + 1));
    const e = rt.run(['exec', id, 'true']);
    assert.equal(e.code, 0, `exec under pids.max=${held + 1}: ${e.stderr}`);
    // The fallback moves stage 0 in before it clones: two more than held, which the same limit refuses.
    // That is the kernel saying which way each went.
    const f = runToFiles(wrapper, ['--root', rt.root, 'exec', id, 'true'], rt.root, { timeout: 60_000 }).result;
    assert.notEqual(f.code, 0, 'under the filter, stage 0 should have been moved in (and its clone refused by pids.max)');
    assert.match(f.stderr, /resource temporarily unavailable/);
    assert.equal(rt.run(['delete', '--force', id]).code, 0);
  });

  test('clone3: create fits under a parent with pids.max = 1: init is the only process that was ever in its cgroup', { skip: tightSkip }, () => {
    const parent = path.join(unified!, uniqueId('h17x-parent'));
    fs.mkdirSync(parent);
    parents.push(parent);
    fs.writeFileSync(path.join(parent, 'pids.max'), '1');
    const id = uniqueId('h17x-pp');
    const cgroupsPath = `/${path.basename(parent)}/${id}`;
    const res = rt.run(['run', '-d', '--bundle', makeBundle(['sleep', '1000'], (c) => (c.linux.cgroupsPath = cgroupsPath)), id]);
    assert.equal(res.code, 0, `create under pids.max=1: ${res.stderr}`);
    assert.equal(fs.readFileSync(path.join(unified!, cgroupsPath, 'cgroup.procs'), 'utf8').trim(), String(rt.state(id).pid));
    assert.equal(rt.run(['delete', '--force', id]).code, 0);
  });
});

describe('config-linux.md "Control groups": exec into a v2 cgroup that has sub-cgroups with controllers on', { skip: skip || (unifiedPids ? false : 'needs controllers in the unified hierarchy (pure cgroup v2: exec-cgroup-vm.test.ts)') }, () => {
  const rt = new Runtime();
  const runc = hasRunc ? new Runtime('runc', 'runc-leaf-root-') : undefined;
  after(() => {
    rt.cleanup();
    runc?.cleanup();
  });

  test('the container moved its init to a sub-cgroup and turned pids on for it: exec joins the init\'s cgroup, as runc\'s does', () => {
    const id = uniqueId('h17x-leaf');
    const bundle = makeBundle(['sleep', '1000']);
    for (const r of [rt, ...(runc ? [runc] : [])]) {
      const res = r.run(['run', '-d', '--bundle', bundle, id]);
      assert.equal(res.code, 0, `${r.bin}: ${res.stderr}`);
      const init = r.state(id).pid as number;
      const dir = dirsOf(init).find((d) => d.startsWith(`${unified}/`))!;
      // What systemd as a container's init does: itself into init.scope, controllers on below.
      fs.mkdirSync(path.join(dir, 'init.scope'));
      fs.writeFileSync(path.join(dir, 'init.scope', 'cgroup.procs'), String(init));
      fs.writeFileSync(path.join(dir, 'cgroup.subtree_control'), '+pids');
      const e = r.run(['exec', id, 'cat', '/proc/self/cgroup']);
      assert.equal(e.code, 0, `${r.bin} exec: ${e.stderr}`);
      assert.equal(cgroupsOf(e.stdout).get(''), cgroupsOf(fs.readFileSync(`/proc/${init}/cgroup`, 'utf8')).get(''), `${r.bin}: not in the init's cgroup`);
      // --cgroup names the place itself: the container's cgroup is no leaf, and the kernel says so.
      const own = r.run(['exec', '--cgroup', '.', id, 'true']);
      assert.equal(own.code, 255, `${r.bin} exec --cgroup .: ${own.stderr}`);
      assert.equal(r.run(['delete', '--force', id]).code, 0);
    }
  });
});

function runPy(dir: string, code: string): string {
  const r = spawnSync('python3', [path.join(dir, 'no-clone3.py'), '/usr/bin/python3', '-c', code], { encoding: 'utf8' });
  return r.stdout + r.stderr;
}
