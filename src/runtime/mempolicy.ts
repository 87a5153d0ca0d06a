// linux.memoryPolicy (config-linux.md "Memory policy"): checked here, applied
// by tsrun-init with set_mempolicy just before exec (native/init/mempolicy.cc),
// for the container's process and every exec'd one, as runc does.
import type { MemoryPolicy } from '../spec/types.js';
import { PlanError } from '../core/errors.js';

export type { MemoryPolicyPlan } from './plan-schema.js';
import type { MemoryPolicyPlan } from './plan-schema.js';

// linux/mempolicy.h
const MODES: Record<string, number> = {
  MPOL_DEFAULT: 0, MPOL_PREFERRED: 1, MPOL_BIND: 2, MPOL_INTERLEAVE: 3, MPOL_LOCAL: 4, MPOL_PREFERRED_MANY: 5,
  MPOL_WEIGHTED_INTERLEAVE: 6,
};
const FLAGS: Record<string, number> = { MPOL_F_STATIC_NODES: 1 << 15, MPOL_F_RELATIVE_NODES: 1 << 14, MPOL_F_NUMA_BALANCING: 1 << 13 };
const NO_NODES = new Set(['MPOL_DEFAULT', 'MPOL_LOCAL']);
const MAX_NODE = 1023;

/** "0-3,7" → [0, 1, 2, 3, 7]. */
function parseNodes(text: string): number[] {
  const where = '/linux/memoryPolicy/nodes';
  const nodes = new Set<number>();
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw new PlanError(where, `${JSON.stringify(part)} is not a node number or range (write them as "0-3,7")`);
    const [lo, hi] = [Number(m[1]), Number(m[2] ?? m[1])];
    if (hi < lo) throw new PlanError(where, `the range ${part} runs backwards`);
    if (hi > MAX_NODE) throw new PlanError(where, `node ${hi} is above ${MAX_NODE}`);
    for (let n = lo; n <= hi; n++) nodes.add(n);
  }
  return [...nodes].sort((a, b) => a - b);
}

/**
 * The policy to set, or undefined when the config has none. onlineNodes (the
 * host's /sys/devices/system/node/online, when it has NUMA) catches a node
 * that does not exist before the container is made.
 */
export function planMemoryPolicy(mp: MemoryPolicy | undefined, onlineNodes: number[] | undefined): MemoryPolicyPlan | undefined {
  if (!mp) return undefined;
  if (!mp.mode) throw new PlanError('/linux/memoryPolicy/mode', `is required (one of ${Object.keys(MODES).join(', ')})`);
  const nodes = parseNodes(mp.nodes ?? '');
  const flags = mp.flags ?? [];
  if (NO_NODES.has(mp.mode)) {
    if (nodes.length) throw new PlanError('/linux/memoryPolicy/nodes', `${mp.mode} takes no nodes; leave nodes empty`);
    if (flags.length) throw new PlanError('/linux/memoryPolicy/flags', `${mp.mode} takes no flags`);
  } else if (!nodes.length && mp.mode !== 'MPOL_PREFERRED') {
    throw new PlanError('/linux/memoryPolicy/nodes', `${mp.mode} needs at least one node`);
  }
  if (flags.includes('MPOL_F_STATIC_NODES') && flags.includes('MPOL_F_RELATIVE_NODES')) {
    throw new PlanError('/linux/memoryPolicy/flags', 'MPOL_F_STATIC_NODES and MPOL_F_RELATIVE_NODES exclude each other');
  }
  // Relative and static node numbers need not name nodes that are online now.
  if (onlineNodes && !flags.includes('MPOL_F_RELATIVE_NODES') && !flags.includes('MPOL_F_STATIC_NODES')) {
    const missing = nodes.filter((n) => !onlineNodes.includes(n));
    if (missing.length) {
      throw new PlanError('/linux/memoryPolicy/nodes', `node${missing.length > 1 ? 's' : ''} ${missing.join(', ')} ${missing.length > 1 ? 'do' : 'does'} not exist on this host (its NUMA nodes: ${onlineNodes.join(', ')})`);
    }
  }
  return { mode: flags.reduce((m, f) => m | FLAGS[f], MODES[mp.mode]), nodes };
}

/** The host's online NUMA nodes ("0-1,3" in /sys/devices/system/node/online), or undefined without NUMA. */
export function parseOnlineNodes(text: string | undefined): number[] | undefined {
  if (text === undefined || !text.trim()) return undefined;
  try {
    return parseNodes(text.trim());
  } catch {
    return undefined;
  }
}
