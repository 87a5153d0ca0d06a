// linux.memoryPolicy, config-linux.md "Memory policy": init sets it with
// set_mempolicy before exec, for the container's process and exec'd ones.
// The kernel's view is /proc/<pid>/numa_maps (each mapping's policy: the
// task's, here). runc 1.1.5 has no memoryPolicy, so the kernel is the
// reference. This host may have one NUMA node: policies across nodes need
// a multi-node machine.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { makeBundle, Runtime, skipUnlessRoot, uniqueId } from '../test/integration/harness.js';
import { parseOnlineNodes } from '../src/runtime/mempolicy.js';

const online = parseOnlineNodes(fs.existsSync('/sys/devices/system/node/online') ? fs.readFileSync('/sys/devices/system/node/online', 'utf8') : undefined);
const skip = skipUnlessRoot || (!fs.existsSync('/proc/self/numa_maps') && 'the kernel has no NUMA (no /proc/self/numa_maps)') || (!online && 'no NUMA nodes listed');

describe('config-linux.md "Memory policy": linux.memoryPolicy', { skip }, () => {
  let rt: Runtime;
  before(() => {
    rt = new Runtime();
  });
  after(() => rt.cleanup());

  const node = online?.[0] ?? 0;
  /** The policies of the process's anonymous mappings, as numa_maps names them (e.g. "bind:0"). */
  const policies = (out: string) => new Set(out.trim().split('\n').filter((l) => l.includes('anon=') || l.includes('heap') || l.includes('stack')).map((l) => l.split(' ')[1]));
  const runWith = (memoryPolicy: unknown, args = ['cat', '/proc/self/numa_maps']) =>
    rt.run(['run', '-b', makeBundle(args, (c) => { c.linux.memoryPolicy = memoryPolicy; }), uniqueId('mpol')]);

  test('MPOL_BIND to a node: every mapping of the process is bound there', () => {
    const r = runWith({ mode: 'MPOL_BIND', nodes: String(node) });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual([...policies(r.stdout)], [`bind:${node}`]);
  });

  test('MPOL_PREFERRED and MPOL_INTERLEAVE, with a flag (MPOL_F_STATIC_NODES shows as "=static")', () => {
    const pref = runWith({ mode: 'MPOL_PREFERRED', nodes: String(node) });
    assert.equal(pref.code, 0, pref.stderr);
    assert.deepEqual([...policies(pref.stdout)], [`prefer:${node}`]);
    const inter = runWith({ mode: 'MPOL_INTERLEAVE', nodes: `${node}`, flags: ['MPOL_F_STATIC_NODES'] });
    assert.equal(inter.code, 0, inter.stderr);
    assert.deepEqual([...policies(inter.stdout)], [`interleave=static:${node}`]);
  });

  test('MPOL_DEFAULT, and no memoryPolicy at all: "default"', () => {
    const r = runWith({ mode: 'MPOL_DEFAULT', nodes: '' });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual([...policies(r.stdout)], ['default']);
    const none = rt.run(['run', '-b', makeBundle(['cat', '/proc/self/numa_maps']), uniqueId('mpol')]);
    assert.deepEqual([...policies(none.stdout)], ['default']);
  });

  test('exec\'d processes get the container\'s policy too', () => {
    const id = uniqueId('mpol');
    assert.equal(rt.run(['run', '-d', '-b', makeBundle(['sleep', '1000'], (c) => { c.linux.memoryPolicy = { mode: 'MPOL_BIND', nodes: String(node) }; }), id]).code, 0);
    const r = rt.run(['exec', id, 'cat', '/proc/self/numa_maps']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual([...policies(r.stdout)], [`bind:${node}`]);
    assert.equal(rt.run(['delete', '--force', id]).code, 0);
  });

  // Only where the machine has two nodes or more: spec-tests/memory-policy-vm.test.ts runs this file in a two-node VM.
  const multi = (online?.length ?? 0) >= 2 ? false : 'one NUMA node here (memory-policy-vm.test.ts runs this in a two-node VM)';
  test('across nodes: MPOL_BIND to the second node, MPOL_INTERLEAVE over two', { skip: multi }, () => {
    const [a, b] = online!;
    const bind = runWith({ mode: 'MPOL_BIND', nodes: String(b) });
    assert.equal(bind.code, 0, bind.stderr);
    assert.deepEqual([...policies(bind.stdout)], [`bind:${b}`]);
    const inter = runWith({ mode: 'MPOL_INTERLEAVE', nodes: `${a},${b}` });
    assert.equal(inter.code, 0, inter.stderr);
    assert.deepEqual([...policies(inter.stdout)], [`interleave:${a}${b === a + 1 ? '-' : ','}${b}`]);
  });

  test('a node that does not exist: an explained error naming /linux/memoryPolicy/nodes, nothing left', () => {
    const missing = Math.max(...online!) + 1;
    const r = runWith({ mode: 'MPOL_BIND', nodes: `${node},${missing}` }, ['true']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, new RegExp(`config.json: /linux/memoryPolicy/nodes: node ${missing} does not exist on this host \\(its NUMA nodes: ${online!.join(', ')}\\)`));
    assert.deepEqual(rt.ids(), []);
  });

  test('a mode that needs nodes without any, and nodes for MPOL_LOCAL: refused by path', () => {
    const bind = runWith({ mode: 'MPOL_BIND', nodes: '' }, ['true']);
    assert.match(bind.stderr, /\/linux\/memoryPolicy\/nodes: MPOL_BIND needs at least one node/);
    const local = runWith({ mode: 'MPOL_LOCAL', nodes: '0' }, ['true']);
    assert.match(local.stderr, /\/linux\/memoryPolicy\/nodes: MPOL_LOCAL takes no nodes/);
    const syntax = runWith({ mode: 'MPOL_BIND', nodes: '0-x' }, ['true']);
    assert.match(syntax.stderr, /\/linux\/memoryPolicy\/nodes: \\"0-x\\" is not a node number or range/);
    assert.deepEqual(rt.ids(), []);
  });
});
