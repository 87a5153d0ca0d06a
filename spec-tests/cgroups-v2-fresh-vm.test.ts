// Runs cgroups-v2-fresh.test.ts in the pure cgroup v2 test VM (spec-tests/vm/),
// from a fresh boot: the root cgroup enables no controller, as on a host
// without systemd. One boot for the whole file; each of its results comes
// back as a test here. (cgroups-v2-vm.test.ts runs the main v2 suite, which
// enables the controllers first, as systemd would.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runInVm, vmAvailable } from './vm/run-in-vm.js';

const unavailable = vmAvailable();

test('config-linux.md "Control groups" on cgroup v2 from a root that enables nothing, in the test VM', { skip: unavailable ? `no test VM: ${unavailable}` : false, timeout: 900_000 }, async (t) => {
  const vm = await runInVm(['node', '--test', '--test-reporter=tap', 'dist/spec-tests/cgroups-v2-fresh.test.js'], {
    timeoutMs: 840_000,
    memoryMb: 1536,
    env: { TSRUN_CGROUP_V2_FRESH_VM: '1' },
  });
  // The suite's own tests (one level in): "    ok 3 - name" / "    not ok 3 - name", each with its YAML block.
  const lines = vm.stdout.split('\n');
  let reported = 0;
  for (let i = 0; i < lines.length; i++) {
    const m = /^ {4}(not )?ok \d+ - (.*?)(?: # SKIP(.*))?$/.exec(lines[i]);
    if (!m) continue;
    reported++;
    const block: string[] = [];
    for (let j = i + 1; j < lines.length && /^ {6}/.test(lines[j]); j++) block.push(lines[j]);
    await t.test(m[2], { skip: m[3] !== undefined ? m[3].trim() || true : false }, () => {
      if (m[1]) assert.fail(`failed in the VM:\n${block.join('\n')}`);
    });
  }
  assert.ok(reported > 0, `the VM ran no tests:\n${vm.stdout}\n${vm.stderr}\n--- console ---\n${vm.console.slice(-3000)}`);
  // after() hooks (the leak checks) failing show only in the exit status and the tail.
  assert.equal(vm.code, 0, `node --test exited ${vm.code} in the VM:\n${vm.stdout.slice(-3000)}\n${vm.stderr.slice(-3000)}`);
});
