// Runs memory-policy.test.ts (config-linux.md "Memory policy") in the test VM
// with two NUMA nodes (qemu -numa), so the policies across nodes are checked
// against the kernel's numa_maps; one boot, each result a test here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runInVm, vmAvailable } from './vm/run-in-vm.js';

const unavailable = vmAvailable();

test('config-linux.md "Memory policy" across two NUMA nodes, in the test VM', { skip: unavailable ? `no test VM: ${unavailable}` : false, timeout: 900_000 }, async (t) => {
  const vm = await runInVm(['node', '--test', '--test-reporter=tap', 'dist/spec-tests/memory-policy.test.js'], {
    timeoutMs: 840_000,
    memoryMb: 1024,
    cpus: 2,
    numaNodes: 2,
  });
  const lines = vm.stdout.split('\n');
  let reported = 0;
  let acrossNodes = false;
  for (let i = 0; i < lines.length; i++) {
    const m = /^ {4}(not )?ok \d+ - (.*?)(?: # SKIP(.*))?$/.exec(lines[i]);
    if (!m) continue;
    reported++;
    if (m[2].startsWith('across nodes') && m[3] === undefined) acrossNodes = true;
    const block: string[] = [];
    for (let j = i + 1; j < lines.length && /^ {6}/.test(lines[j]); j++) block.push(lines[j]);
    await t.test(m[2], { skip: m[3] !== undefined ? m[3].trim() || true : false }, () => {
      if (m[1]) assert.fail(`failed in the VM:\n${block.join('\n')}`);
    });
  }
  assert.ok(reported > 0, `the VM ran no tests:\n${vm.stdout}\n${vm.stderr}\n--- console ---\n${vm.console.slice(-3000)}`);
  assert.ok(acrossNodes, `the VM did not have two NUMA nodes:\n${vm.stdout}\n--- console ---\n${vm.console.slice(-3000)}`);
  assert.equal(vm.code, 0, `node --test exited ${vm.code} in the VM:\n${vm.stderr.slice(-3000)}`);
});
