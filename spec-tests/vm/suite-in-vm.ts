// A host test that boots the test VM once to run a whole spec-tests suite
// there (node --test, TAP) and gives each of the suite's results back as a
// subtest of its own, failures with their YAML block.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runInVm, vmAvailable, type VmOptions, type VmResult } from './run-in-vm.js';

/** One result of the suite, as its TAP line names it. */
export interface SuiteResult {
  name: string;
  skipped: boolean;
}

/**
 * Declares test name: suite (a dist/ path, run from the repository) in the VM with opts.
 * check, if any, sees the VM's output and the results before the exit status is checked.
 */
export function suiteInVmTest(name: string, suite: string, opts: VmOptions, check?: (vm: VmResult, results: SuiteResult[]) => void): void {
  const unavailable = vmAvailable(opts);
  test(name, { skip: unavailable ? `no test VM: ${unavailable}` : false, timeout: 900_000 }, async (t) => {
    const vm = await runInVm(['node', '--test', '--test-reporter=tap', suite], { timeoutMs: 840_000, ...opts });
    // The suite's own tests (one level in): "    ok 3 - name" / "    not ok 3 - name", each with its YAML block.
    const lines = vm.stdout.split('\n');
    const results: SuiteResult[] = [];
    for (let i = 0; i < lines.length; i++) {
      const m = /^ {4}(not )?ok \d+ - (.*?)(?: # SKIP(.*))?$/.exec(lines[i]);
      if (!m) continue;
      results.push({ name: m[2], skipped: m[3] !== undefined });
      const block: string[] = [];
      for (let j = i + 1; j < lines.length && /^ {6}/.test(lines[j]); j++) block.push(lines[j]);
      await t.test(m[2], { skip: m[3] !== undefined ? m[3].trim() || true : false }, () => {
        if (m[1]) assert.fail(`failed in the VM:\n${block.join('\n')}`);
      });
    }
    assert.ok(results.length > 0, `the VM ran no tests:\n${vm.stdout}\n${vm.stderr}\n--- console ---\n${vm.console.slice(-3000)}`);
    check?.(vm, results);
    // after() hooks (the leak checks) failing show only in the exit status and the tail.
    assert.equal(vm.code, 0, `node --test exited ${vm.code} in the VM:\n${vm.stdout.slice(-3000)}\n${vm.stderr.slice(-3000)}`);
  });
}
