// Runs memory-policy.test.ts (config-linux.md "Memory policy") in the test VM
// with two NUMA nodes (qemu -numa), so the policies across nodes are checked
// against the kernel's numa_maps; one boot, each result a test here.
import assert from 'node:assert/strict';
import { suiteInVmTest } from './vm/suite-in-vm.js';

suiteInVmTest(
  'config-linux.md "Memory policy" across two NUMA nodes, in the test VM',
  'dist/spec-tests/memory-policy.test.js',
  { memoryMb: 1024, cpus: 2, numaNodes: 2 },
  (vm, results) => {
    const acrossNodes = results.some((r) => r.name.startsWith('across nodes') && !r.skipped);
    assert.ok(acrossNodes, `the VM did not have two NUMA nodes:\n${vm.stdout}\n--- console ---\n${vm.console.slice(-3000)}`);
  },
);
