// cgroup v2: controllers reach a cgroup only through cgroup.subtree_control of
// every ancestor, the root's included. As runc and crun do, create enables
// every controller the root has, in each ancestor, top-down: a batch write,
// then one controller at a time where the batch is refused. All of them, not
// only those the config needs: `events --stats` and engines' stats read
// them all. On a host whose root enables nothing (no systemd: Alpine, WSL,
// docker-in-docker, a minimal VM) this is a host-wide change, made on purpose.
// A refusal stops nothing here; a field that needs the controller reports it.
import path from 'node:path';
import { describe, readText, writeValue } from './fs.js';

const words = (text: string | undefined) => (text ?? '').split(/\s+/).filter(Boolean);

export interface ControllerFiles {
  read(file: string): string | undefined;
  write(file: string, value: string): void;
}

const realFiles: ControllerFiles = { read: readText, write: writeValue };

/** Why each controller the kernel refused is missing, by controller; empty when all are enabled. */
export type Refusals = Map<string, string>;

/**
 * Enables every controller of mount's root in each cgroup from mount down to
 * dir's parent (dir itself will hold processes, so it enables none).
 */
export function enableControllers(mount: string, dir: string, files: ControllerFiles = realFiles): Refusals {
  const all = words(files.read(path.join(mount, 'cgroup.controllers')));
  const refused: Refusals = new Map();
  const chain: string[] = [];
  for (let d = path.dirname(dir); d.startsWith(`${mount}/`); d = path.dirname(d)) chain.unshift(d);
  for (const d of [mount, ...chain]) {
    const file = path.join(d, 'cgroup.subtree_control');
    const enabled = new Set(words(files.read(file)));
    // One refused above is missing here too (ENOENT): the reason is the one above.
    const want = all.filter((c) => !enabled.has(c) && !refused.has(c));
    if (!want.length) continue;
    // A cgroup other than the root that holds processes can enable no domain
    // controller (EBUSY), and a threaded one there would make its children
    // "domain invalid", unable to take the container: nothing is written.
    if (d !== mount && (files.read(path.join(d, 'cgroup.procs')) ?? '').trim() !== '') {
      for (const c of want) refused.set(c, internalProcesses(c, d));
      continue;
    }
    try {
      files.write(file, want.map((c) => `+${c}`).join(' '));
      continue;
    } catch {
      // one at a time, so one refusal does not keep the others out
    }
    for (const c of want) {
      try {
        files.write(file, `+${c}`);
      } catch (e) {
        refused.set(c, refusalReason(c, d, d === mount, e));
      }
    }
  }
  return refused;
}

/** The kernel's reason for refusing +controller in dir's cgroup.subtree_control, and the fix. */
export function refusalReason(controller: string, dir: string, isRoot: boolean, e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  const what = `the kernel refused "+${controller}" in ${path.join(dir, 'cgroup.subtree_control')}: ${describe(e)}`;
  if (code === 'EBUSY' && !isRoot) return internalProcesses(controller, dir);
  if (controller === 'cpu' && code === 'EINVAL') {
    return `${what}: the cpu controller cannot be enabled while realtime (SCHED_FIFO or SCHED_RR) threads run in a cgroup other than the root ` +
      '(kernels with CONFIG_RT_GROUP_SCHED); move them to the root cgroup or make them non-realtime (see `ps -eLo pid,cls,cgroup,comm | grep -E "FF|RR"`)';
  }
  if (code === 'EOPNOTSUPP' || code === 'ENOTSUP') {
    return `${what}: ${dir} is a threaded cgroup (see its cgroup.type), where only threaded controllers can be enabled; give /linux/cgroupsPath a path outside it`;
  }
  return what;
}

function internalProcesses(controller: string, dir: string): string {
  return `"+${controller}" cannot be enabled in ${path.join(dir, 'cgroup.subtree_control')}: ${dir} holds processes, and a cgroup other than the root ` +
    'that holds processes cannot enable controllers for its children (cgroup v2\'s "no internal processes" rule); ' +
    'move its processes into a child cgroup, or give /linux/cgroupsPath a path elsewhere';
}
