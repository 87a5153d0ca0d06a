// The config fuzz's leak checks (test/integration/fuzz-leaks.ts) are not
// vacuous: each kind of leftover that can be planted without root is found,
// tied to its case, and nothing of another case is. (The integration test
// also plants a mount and a cgroup, which need root.)
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bootTicks, canaryName, cgroupsOf, describeLeftovers, fdHolders, findLeftovers, isEmpty, type CaseScope } from '../integration/fuzz-leaks.js';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-fuzz-leaks-unit-'));
const children: ChildProcess[] = [];
after(() => {
  for (const c of children) c.kill('SIGKILL');
  fs.rmSync(work, { recursive: true, force: true });
});

function scope(name: string): CaseScope {
  const caseDir = path.join(work, name);
  const root = path.join(work, `${name}-root`);
  fs.mkdirSync(caseDir, { recursive: true });
  fs.mkdirSync(root, { recursive: true });
  return { token: `fzunit${process.pid}${name}`, caseDir, root, ignorePids: new Set() };
}

/** A shell that waits on its stdin until killed; args land in its command line. */
const sleeper = (opts: { cwd?: string; args?: string[] } = {}) => {
  const c = spawn('sh', ['-c', 'read x', ...(opts.args ?? [])], { cwd: opts.cwd, stdio: ['pipe', 'ignore', 'ignore'] });
  children.push(c);
  return c;
};

async function until(fn: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !fn(); i++) await new Promise((r) => setTimeout(r, 20));
}

test('a clean case has no leftovers', () => {
  const s = scope('clean');
  const l = findLeftovers(s);
  assert.ok(isEmpty(l), describeLeftovers(l).join('\n'));
});

test('a dir under the root, a canary and processes tied by cwd, command line or fd are found', async () => {
  const s = scope('planted');
  const other = scope('other');
  fs.mkdirSync(path.join(s.root, s.token));
  fs.writeFileSync(path.join(s.caseDir, canaryName(s.token)), '');
  const byCwd = sleeper({ cwd: s.caseDir });
  const byArgs = sleeper({ args: ['sh', s.token] });
  const held = fs.openSync(path.join(s.caseDir, canaryName(s.token)), 'r');
  const byFd = spawn('sh', ['-c', 'read x'], { stdio: ['pipe', 'ignore', 'ignore', held] });
  children.push(byFd);
  fs.closeSync(held);
  const byEnv = spawn('sh', ['-c', 'read x'], { stdio: ['pipe', 'ignore', 'ignore'], env: { ...process.env, TSRUN_FUZZ_CASE: s.token } });
  children.push(byEnv);
  const notOurs = sleeper({ cwd: other.caseDir });
  await until(() => findLeftovers(s).processes.length >= 4);

  const l = findLeftovers(s);
  assert.deepEqual(l.state, [s.token]);
  assert.deepEqual(l.canaries, [path.join(s.caseDir, canaryName(s.token))]);
  const pids = new Map(l.processes.map((p) => [p.pid, p.why]));
  assert.match(pids.get(byCwd.pid!) ?? '', /cwd/);
  assert.match(pids.get(byArgs.pid!) ?? '', /command line/);
  assert.match(pids.get(byFd.pid!) ?? '', /fd 3/);
  assert.match(pids.get(byEnv.pid!) ?? '', /environment/);
  assert.ok(!pids.has(notOurs.pid!), "another case's process is not this case's");
  assert.deepEqual(fdHolders(s, path.join(s.caseDir, canaryName(s.token))), [byFd.pid]);
  assert.equal(describeLeftovers(l).length, 6);

  // Processes older than the case are not looked at by cwd or fd (only by command line and cgroup).
  const older = findLeftovers({ ...s, since: bootTicks() + 1000 }).processes.map((p) => p.pid);
  assert.deepEqual(older, [byArgs.pid]);
  assert.equal(findLeftovers({ ...s, since: bootTicks() - 1000 }).processes.length, 4);

  // An ignored pid (the test's own bystander) is never counted.
  const ignoring = { ...s, ignorePids: new Set([byCwd.pid!, byArgs.pid!, byFd.pid!, byEnv.pid!]) };
  assert.deepEqual(findLeftovers(ignoring).processes, []);
});

test('cgroup directories naming the token are found at any depth, deepest first', () => {
  const fake = path.join(work, 'cgroupfs');
  const token = 'fzunitcg';
  for (const d of [`pids/${token}`, `memory/a/b/${token}-parent/${token}`, 'cpu/unrelated']) fs.mkdirSync(path.join(fake, d), { recursive: true });
  assert.deepEqual(cgroupsOf(token, fake).sort(), [
    path.join(fake, `memory/a/b/${token}-parent`),
    path.join(fake, `memory/a/b/${token}-parent/${token}`),
    path.join(fake, `pids/${token}`),
  ]);
  const found = cgroupsOf(token, fake);
  assert.ok(found.indexOf(path.join(fake, `memory/a/b/${token}-parent/${token}`)) < found.indexOf(path.join(fake, `memory/a/b/${token}-parent`)), 'children before parents');
  assert.deepEqual(cgroupsOf('nothing-like-this', fake), []);
});
