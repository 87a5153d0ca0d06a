// The cgroup v2 test VM itself (spec-tests/vm/): one boot runs a probe script
// whose output every test below reads, so this file costs a single boot.
// The VM is where tsrun's cgroup v2 code gets tested on a pure v2 kernel.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { repoRoot, runInVm, vmAvailable, type VmResult } from './vm/run-in-vm.js';

const unavailable = vmAvailable();
const hostRunc = spawnSync('runc', ['--version'], { encoding: 'utf8' });

// Each probe prints "name: value" lines. The script ends with exit 7 and a
// line on stderr, which checks that both come back from the guest.
const probe = `
cg=/sys/fs/cgroup
echo "fstype: $(stat -f -c %T $cg)"
echo "controllers: $(cat $cg/cgroup.controllers)"
echo "subtree before: $(cat $cg/cgroup.subtree_control)"
echo '+memory +pids' > $cg/cgroup.subtree_control && echo "enable: ok"
echo "subtree after: $(cat $cg/cgroup.subtree_control)"
mkdir $cg/probe && echo "child controllers: $(cat $cg/probe/cgroup.controllers)" && rmdir $cg/probe
mkdir /tmp/v1 && mount -t cgroup -o memory cgroup /tmp/v1 2>/dev/null && echo "v1 mount: works" || echo "v1 mount: refused"
echo "root mount: $(awk '$2 == "/" { print $1, $3, $4 }' /proc/mounts | tail -n 1)"
echo "cwd: $(pwd)"
echo "node: $(node -e 'console.log(process.version)' 2>&1)"
echo "runc: $(runc --version 2>&1 | head -n 1)"
echo "to stderr" >&2
exit 7
`;

describe('cgroup v2 VM', { skip: unavailable }, () => {
  let vm: VmResult;
  const lines = new Map<string, string>();
  const value = (name: string) => {
    assert.ok(lines.has(name), `no "${name}:" line in the VM's output:\n${vm.stdout}\nstderr:\n${vm.stderr}`);
    return lines.get(name)!;
  };

  before(async () => {
    vm = await runInVm(['sh', '-c', probe], { timeoutMs: 240_000 });
    for (const line of vm.stdout.split('\n')) {
      const i = line.indexOf(': ');
      if (i > 0) lines.set(line.slice(0, i), line.slice(i + 2));
    }
  });

  test('cgroup v2 VM: the command exit status, stdout and stderr come back to the host', () => {
    assert.equal(vm.code, 7, vm.stderr);
    assert.equal(vm.stderr, 'to stderr\n');
    assert.equal(value('cwd'), repoRoot, 'the command starts in the repository');
  });

  test('cgroup v2 VM: /sys/fs/cgroup is cgroup2 and v1 hierarchies cannot be mounted', () => {
    assert.equal(value('fstype'), 'cgroup2fs');
    assert.equal(value('v1 mount'), 'refused', 'cgroup_no_v1=all is in effect');
  });

  test('cgroup v2 VM: cgroup.controllers lists cpuset cpu io memory hugetlb pids rdma misc', () => {
    const controllers = value('controllers').split(' ');
    for (const c of ['cpuset', 'cpu', 'io', 'memory', 'hugetlb', 'pids', 'rdma', 'misc']) {
      assert.ok(controllers.includes(c), `${c} missing from "${value('controllers')}"`);
    }
  });

  test('cgroup v2 VM: cgroup.subtree_control starts empty and can enable memory and pids', () => {
    assert.equal(value('subtree before'), '', 'a fresh cgroup2 enables nothing');
    assert.equal(value('enable'), 'ok');
    assert.equal(value('subtree after'), 'memory pids');
    assert.equal(value('child controllers'), 'memory pids', 'a child cgroup gets what the root enabled');
  });

  test("cgroup v2 VM: the host's / is the root, read-only over 9p", () => {
    const [source, type, options] = value('root mount').split(' ');
    assert.equal(source, 'tsrun-root');
    assert.equal(type, '9p');
    assert.match(options, /^ro,/);
  });

  test("cgroup v2 VM: the host's node runs inside", () => {
    assert.equal(value('node'), process.version);
  });

  test('cgroup v2 VM: runc --version runs inside', { skip: hostRunc.status === 0 ? false : 'runc is not installed' }, () => {
    assert.equal(value('runc'), hostRunc.stdout.split('\n')[0]);
  });
});
