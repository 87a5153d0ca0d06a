// The CRIU tests' guard (test/integration/criu-guard.ts) with a stand-in for
// criu that hangs, as CRIU's dump did on one kernel build: reap() kills it,
// orphaned as a timed-out runc leaves it, and what it forked; a recorded pid
// that now belongs to another process is left alone. And the probe's result
// handed down by run-tests.js is taken for this boot and criu only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CriuGuard, descendants } from '../integration/criu-guard.js';
import { criuSkip, encodeProbe, PROBE_ENV } from '../integration/criu-probe.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('reap() kills an orphaned criu that hangs and what it forked; a pid reused by another process is spared', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-guard-test-'));
  try {
    const hanging = path.join(dir, 'criu');
    fs.writeFileSync(hanging, '#!/bin/sh\nsleep 1000 &\nwait\n', { mode: 0o755 });
    const guard = new CriuGuard(hanging);
    // Started by a shell that exits at once: the "criu" is orphaned, as runc's is when runc is killed.
    assert.equal(spawnSync('sh', ['-c', `'${guard.criu}' swrk 3 </dev/null >/dev/null 2>&1 &`]).status, 0);
    let pids: number[] = [];
    for (let i = 0; i < 200 && ((pids = guard.running()).length === 0 || descendants(pids[0]).length === 0); i++) await sleep(10);
    assert.equal(pids.length, 1, 'the wrapper recorded no pid');
    const kids = descendants(pids[0]);
    assert.equal(kids.length, 1, 'the stand-in did not fork its sleep');
    // A live process of ours, recorded with another start time: a pid reused since.
    const bystander = spawn('sleep', ['30'], { stdio: 'ignore' });
    fs.appendFileSync(path.join(guard.dir, 'pids'), `${bystander.pid} 1\n`);
    const { killed, stuck } = await guard.reap();
    assert.deepEqual(killed, pids);
    assert.deepEqual(stuck, []);
    await sleep(50);
    const alive = bystander.signalCode === null && fs.existsSync(`/proc/${bystander.pid}`) && !/\) Z /.test(fs.readFileSync(`/proc/${bystander.pid}/stat`, 'utf8'));
    assert.ok(alive, 'reap() killed a pid that is no criu of its own');
    bystander.kill('SIGKILL');
    for (const p of [...pids, ...kids]) {
      for (let i = 0; i < 100 && fs.existsSync(`/proc/${p}`) && !/\) Z /.test(fs.readFileSync(`/proc/${p}/stat`, 'utf8')); i++) await sleep(10);
      const gone = !fs.existsSync(`/proc/${p}`) || /\) Z /.test(fs.readFileSync(`/proc/${p}/stat`, 'utf8'));
      assert.ok(gone, `pid ${p} outlived reap()`);
    }
    fs.rmSync(guard.dir, { recursive: true, force: true });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("the probe's result from run-tests.js is taken for the same boot and criu", async () => {
  const saved = process.env[PROBE_ENV];
  try {
    process.env[PROBE_ENV] = encodeProbe('/no/such/criu', 'CRIU cannot: the reason');
    assert.equal(await criuSkip('/no/such/criu'), 'CRIU cannot: the reason');
    process.env[PROBE_ENV] = encodeProbe('/no/such/criu', false);
    assert.equal(await criuSkip('/no/such/criu'), false);
  } finally {
    if (saved === undefined) delete process.env[PROBE_ENV];
    else process.env[PROBE_ENV] = saved;
  }
});
