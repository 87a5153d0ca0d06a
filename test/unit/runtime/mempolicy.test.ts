// Unit tests for linux.memoryPolicy planning (src/runtime/mempolicy.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseOnlineNodes, planMemoryPolicy } from '../../../src/runtime/mempolicy.js';
import { PlanError } from '../../../src/core/errors.js';

test('mode and flags become set_mempolicy\'s mode word; nodes a sorted list', () => {
  assert.deepEqual(planMemoryPolicy({ mode: 'MPOL_BIND', nodes: '3,0-1' }, [0, 1, 2, 3]), { mode: 2, nodes: [0, 1, 3] });
  assert.deepEqual(planMemoryPolicy({ mode: 'MPOL_INTERLEAVE', nodes: '0', flags: ['MPOL_F_STATIC_NODES'] }, [0]), { mode: 3 | (1 << 15), nodes: [0] });
  assert.deepEqual(planMemoryPolicy({ mode: 'MPOL_PREFERRED', nodes: '' }, [0]), { mode: 1, nodes: [] });
  assert.deepEqual(planMemoryPolicy({ mode: 'MPOL_DEFAULT' }, [0]), { mode: 0, nodes: [] });
  assert.equal(planMemoryPolicy(undefined, [0]), undefined);
});

test('bad policies are refused by config path', () => {
  const refuses = (mp: Parameters<typeof planMemoryPolicy>[0], re: RegExp, online: number[] | undefined = [0, 1]) =>
    assert.throws(() => planMemoryPolicy(mp, online), (e: unknown) => e instanceof PlanError && re.test(e.message));
  refuses({ mode: 'MPOL_BIND', nodes: '2' }, /\/linux\/memoryPolicy\/nodes: node 2 does not exist on this host \(its NUMA nodes: 0, 1\)/);
  refuses({ mode: 'MPOL_BIND', nodes: '' }, /\/linux\/memoryPolicy\/nodes: MPOL_BIND needs at least one node/);
  refuses({ mode: 'MPOL_LOCAL', nodes: '0' }, /MPOL_LOCAL takes no nodes/);
  refuses({ mode: 'MPOL_BIND', nodes: '3-1' }, /runs backwards/);
  refuses({ mode: 'MPOL_BIND', nodes: '0', flags: ['MPOL_F_STATIC_NODES', 'MPOL_F_RELATIVE_NODES'] }, /\/linux\/memoryPolicy\/flags: .* exclude each other/);
  refuses({ nodes: '0' }, /\/linux\/memoryPolicy\/mode: is required/);
  // Relative node numbers are not host nodes; without NUMA facts the kernel decides.
  assert.deepEqual(planMemoryPolicy({ mode: 'MPOL_BIND', nodes: '5', flags: ['MPOL_F_RELATIVE_NODES'] }, [0]), { mode: 2 | (1 << 14), nodes: [5] });
  assert.deepEqual(planMemoryPolicy({ mode: 'MPOL_BIND', nodes: '5' }, undefined), { mode: 2, nodes: [5] });
});

test('parseOnlineNodes', () => {
  assert.deepEqual(parseOnlineNodes('0-1,3\n'), [0, 1, 3]);
  assert.equal(parseOnlineNodes(''), undefined);
  assert.equal(parseOnlineNodes(undefined), undefined);
});
