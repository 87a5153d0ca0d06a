// Where this host's cgroup filesystems are and which mode it runs in, read
// from /proc/self/mountinfo: pure cgroup v2 (cgroup2 on /sys/fs/cgroup),
// hybrid (v1 controllers plus a cgroup2 mount, usually .../unified) or v1.
import fs from 'node:fs';
import path from 'node:path';
import { TsrunError } from '../core/errors.js';

export type CgroupMode = 'v1' | 'hybrid' | 'v2';

/** One mounted v1 hierarchy: its mount point and its controllers ('name=systemd' for a named one). */
export interface V1Hierarchy {
  mount: string;
  controllers: string[];
}

export interface HostLayout {
  mode: CgroupMode;
  v1: V1Hierarchy[];
  /** The cgroup2 mount point: the only hierarchy on v2, the extra one on hybrid. */
  unified?: string;
}

// What a v1 mount's super options may hold besides controllers.
const V1_CONTROLLERS = new Set([
  'cpu', 'cpuacct', 'cpuset', 'memory', 'devices', 'freezer', 'net_cls', 'net_prio', 'blkio', 'perf_event',
  'hugetlb', 'pids', 'rdma', 'misc', 'debug',
]);

const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));

/** Parses mountinfo text; the first mount of each v1 hierarchy wins, and only mounts of a hierarchy's root. */
export function parseLayout(mountinfo: string): HostLayout {
  const v1: V1Hierarchy[] = [];
  const cgroup2: string[] = [];
  for (const line of mountinfo.split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const pre = line.slice(0, sep).split(' ');
    const [fstype, , superOpts = ''] = line.slice(sep + 3).split(' ');
    // A bind mount of a sub-cgroup is someone's view, not the hierarchy.
    if (pre[3] !== '/') continue;
    const mount = unescape(pre[4]);
    if (fstype === 'cgroup2') cgroup2.push(mount);
    if (fstype !== 'cgroup') continue;
    const opts = superOpts.split(',');
    const controllers = [...opts.filter((o) => V1_CONTROLLERS.has(o)), ...opts.filter((o) => o.startsWith('name='))];
    if (!controllers.length || v1.some((h) => h.controllers.join() === controllers.join())) continue;
    v1.push({ mount, controllers });
  }
  const unified = cgroup2.find((m) => m === '/sys/fs/cgroup') ?? cgroup2.find((m) => m.startsWith('/sys/fs/cgroup/')) ?? cgroup2[0];
  if (!v1.length) {
    if (!unified) throw new TsrunError('no cgroup filesystem is mounted on this host (neither cgroup nor cgroup2 in /proc/self/mountinfo)');
    return { mode: 'v2', v1: [], unified };
  }
  // A cgroup2 mount on /sys/fs/cgroup itself means v2, whatever v1 remnants are mounted elsewhere.
  if (unified === '/sys/fs/cgroup') return { mode: 'v2', v1: [], unified };
  return unified ? { mode: 'hybrid', v1, unified } : { mode: 'v1', v1 };
}

let cached: HostLayout | undefined;

/** This host's layout, read once per command. */
export function hostLayout(): HostLayout {
  cached ??= parseLayout(fs.readFileSync('/proc/self/mountinfo', 'utf8'));
  return cached;
}

/** The v1 hierarchy that holds controller (or 'name=systemd'), if mounted. */
export function v1HierarchyOf(layout: HostLayout, controller: string): V1Hierarchy | undefined {
  return layout.v1.find((h) => h.controllers.includes(controller));
}

/** The directory of cgroup `cgPath` ('/tsrun/c1') in the hierarchy mounted at mount. */
export function dirIn(mount: string, cgPath: string): string {
  return path.join(mount, cgPath);
}
