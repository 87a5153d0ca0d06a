// What one fuzz case may have left behind, found by what ties it to the case
// (its token, its directory, its --root), never by counting every tsrun-init
// on the host: other tests run containers on this machine at the same time.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface CaseScope {
  /** In the case's id, every cgroupsPath it sets and every canary name. */
  token: string;
  /** The case's bundle and rootfs live here. */
  caseDir: string;
  /** The --root every case shares; it must be empty between cases. */
  root: string;
  /** Pids that belong to the test itself (its victim): never counted as the case's. */
  ignorePids: Set<number>;
  /**
   * When the case began, in clock ticks since boot (bootTicks()): only processes
   * started since are looked at by cwd and fds, the slow checks. Absent: all are.
   */
  since?: number;
}

/** Now, in clock ticks since boot (USER_HZ, 100 on Linux), as /proc/<pid>/stat's starttime counts. */
export function bootTicks(): number {
  return Math.floor(Number(read('/proc/uptime').split(' ')[0]) * 100);
}

export interface LeftProcess {
  pid: number;
  why: string;
  cmdline: string;
}

export interface Leftovers {
  state: string[];
  mounts: string[];
  cgroups: string[];
  processes: LeftProcess[];
  canaries: string[];
}

export const CGROUP_ROOT = '/sys/fs/cgroup';

export function isEmpty(l: Leftovers): boolean {
  return !l.state.length && !l.mounts.length && !l.cgroups.length && !l.processes.length && !l.canaries.length;
}

export function describeLeftovers(l: Leftovers): string[] {
  return [
    ...l.state.map((s) => `state left under --root: ${s}`),
    ...l.mounts.map((m) => `mount left: ${m}`),
    ...l.cgroups.map((c) => `cgroup left: ${c}`),
    ...l.processes.map((p) => `process left: pid ${p.pid} (${p.why}): ${p.cmdline.slice(0, 200)}`),
    ...l.canaries.map((c) => `a file was made outside the rootfs: ${c}`),
  ];
}

/** The name a mutation gives a path that must stay inside the rootfs. */
export const canaryName = (token: string) => `${token}-escaped`;

function read(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

function readlink(file: string): string {
  try {
    return fs.readlinkSync(file);
  } catch {
    return '';
  }
}

/** Mount points (as the host sees them) under the case dir or the root, or naming the token. */
export function mountsOf(scope: CaseScope): string[] {
  const out: string[] = [];
  for (const line of read('/proc/self/mountinfo').split('\n')) {
    const mountPoint = line.split(' ')[4];
    if (!mountPoint) continue;
    const p = mountPoint.replace(/\\([0-7]{3})/g, (_, o) => String.fromCharCode(parseInt(o, 8)));
    if (p.startsWith(scope.caseDir) || p.startsWith(`${scope.root}/`) || p.includes(scope.token)) out.push(p);
  }
  return out;
}

/** Every cgroup directory, in any hierarchy, whose name holds the token (deepest first). */
export function cgroupsOf(token: string, root = CGROUP_ROOT, maxDepth = 10): string[] {
  return cgroupDirsWhere((name) => name.includes(token), root, maxDepth);
}

/** Directories under /sys/fs/cgroup (three levels deep: controller, parent, id) named by one of ids. */
export function cgroupsNamed(ids: Iterable<string>): string[] {
  const names = new Set(ids);
  return cgroupDirsWhere((name) => names.has(name), CGROUP_ROOT, 2);
}

/** Directories under root, down to maxDepth + 1 levels, whose name matches (deepest first). */
function cgroupDirsWhere(matches: (name: string) => boolean, root: string, maxDepth: number): string[] {
  const out: string[] = [];
  const walk = (dir: string, depth: number) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (!e.isDirectory()) continue;
      const p = path.join(dir, e.name);
      if (depth < maxDepth) walk(p, depth + 1);
      if (matches(e.name)) out.push(p);
    }
  };
  walk(root, 0);
  return out;
}

/** Why pid is the case's, or '' when nothing ties it to the case. */
function tieToCase(pid: string, startTime: number, scope: CaseScope): string {
  const cmdline = read(`/proc/${pid}/cmdline`).replace(/\0/g, ' ');
  if (cmdline.includes(scope.token)) return 'its command line names the case';
  if (cmdline.includes(scope.caseDir)) return 'its command line names the case dir';
  if (read(`/proc/${pid}/cgroup`).includes(scope.token)) return "it is in the case's cgroup";
  // Older than the case: it could only have been moved into the case's cgroup (checked above).
  if (scope.since !== undefined && startTime < scope.since) return '';
  if (readlink(`/proc/${pid}/cwd`).startsWith(scope.caseDir)) return 'its cwd is in the case dir';
  if (read(`/proc/${pid}/environ`).includes(scope.token)) return 'its environment names the case';
  let fds: string[] = [];
  try {
    fds = fs.readdirSync(`/proc/${pid}/fd`);
  } catch {
    // gone, or a kernel thread
  }
  for (const fd of fds) {
    const link = readlink(`/proc/${pid}/fd/${fd}`);
    if (link.startsWith(scope.caseDir) || link.includes(scope.token)) return `its fd ${fd} is ${link}`;
  }
  return '';
}

/** Live (not zombie) processes tied to the case. */
export function processesOf(scope: CaseScope): LeftProcess[] {
  const out: LeftProcess[] = [];
  for (const pid of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(pid) || Number(pid) === process.pid || scope.ignorePids.has(Number(pid))) continue;
    const stat = read(`/proc/${pid}/stat`);
    // After "comm)": state is field 3, starttime field 22.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (!stat || fields[0] === 'Z' || fields[0] === 'X') continue;
    const why = tieToCase(pid, Number(fields[19]), scope);
    if (why) out.push({ pid: Number(pid), why, cmdline: read(`/proc/${pid}/cmdline`).replace(/\0/g, ' ').trim() });
  }
  return out;
}

/** The host directory the test leaks to every tsrun command as fd 3 (as a careless caller would). */
export const leakedDir = (caseDir: string) => path.join(caseDir, 'leaked');
// 20, as in the reproducer: below it the addon's own fds may take the number.
export const LEAKED_FD = 20;

/** Processes of the case that hold an fd to target. */
export function fdHolders(scope: CaseScope, target: string): number[] {
  return processesOf(scope).map((p) => p.pid).filter((pid) => {
    try {
      return fs.readdirSync(`/proc/${pid}/fd`).some((fd) => readlink(`/proc/${pid}/fd/${fd}`) === target);
    } catch {
      return false;
    }
  });
}

export function canariesOf(scope: CaseScope): string[] {
  const name = canaryName(scope.token);
  const places = new Set(['/', '/tmp', os.tmpdir(), scope.caseDir, leakedDir(scope.caseDir), path.dirname(scope.caseDir), path.dirname(scope.root)]);
  return [...places].map((d) => path.join(d, name)).filter((p) => {
    try {
      fs.lstatSync(p);
      return true;
    } catch {
      return false;
    }
  });
}

export function findLeftovers(scope: CaseScope): Leftovers {
  return {
    // A container's state is a directory; a runtime-wide file (a lock) may stay.
    state: fs.existsSync(scope.root)
      ? fs.readdirSync(scope.root, { withFileTypes: true }).filter((e) => e.isDirectory() || e.name.includes(scope.token)).map((e) => e.name)
      : [],
    mounts: mountsOf(scope),
    cgroups: cgroupsOf(scope.token),
    processes: processesOf(scope),
    canaries: canariesOf(scope),
  };
}

/** Polls until nothing is left or timeoutMs passed (a killed process takes a moment to go); returns what is left. */
export function settleLeftovers(scope: CaseScope, timeoutMs = 2000): Leftovers {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const l = findLeftovers(scope);
    if (isEmpty(l) || Date.now() > end) return l;
    spawnSync('sleep', ['0.1']);
  }
}

function write(file: string, value: string): void {
  try {
    fs.writeFileSync(file, value);
  } catch {
    // not there (v1 vs v2), or already gone
  }
}

/**
 * Removes what a case left, so the next case starts clean: everything here
 * is the case's own (tied to it by token or directory). deleteId runs the
 * runtime's `delete --force` for a state dir left under the root.
 */
export function cleanUpLeftovers(scope: CaseScope, l: Leftovers, deleteId: (id: string) => void): void {
  for (const id of l.state) deleteId(id);
  for (const cg of l.cgroups) {
    // Thawed first, or a SIGKILL would wait for the thaw.
    write(path.join(cg, 'freezer.state'), 'THAWED');
    write(path.join(cg, 'cgroup.freeze'), '0');
  }
  for (const cg of l.cgroups) {
    for (const pid of read(path.join(cg, 'cgroup.procs')).split('\n').filter(Boolean).map(Number)) {
      if (!scope.ignorePids.has(pid)) killPid(pid);
    }
  }
  for (const p of processesOf(scope)) killPid(p.pid);
  for (const m of mountsOf(scope).sort((a, b) => b.length - a.length)) spawnSync('umount', ['-l', m]);
  for (const cg of cgroupsOf(scope.token)) {
    for (let i = 0; i < 20; i++) {
      try {
        fs.rmdirSync(cg);
        break;
      } catch {
        spawnSync('sleep', ['0.05']);
      }
    }
  }
  for (const e of l.state) fs.rmSync(path.join(scope.root, e), { recursive: true, force: true });
  for (const c of canariesOf(scope)) fs.rmSync(c, { recursive: true, force: true });
}

function killPid(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}
