// Writing a container's cgroup resources: what create, restore and update do.
// The v1 or v2 planner (v1-writes.ts, v2-writes.ts) turns linux.resources into
// writes, which run here against the cgroup's files; the commands that only
// signal, freeze or remove a cgroup (delete, pause, resume, kill, ps) load
// none of this.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Resources } from '../spec/types.js';
import { PlanError } from '../core/errors.js';
import type { Cgroup } from './cgroup.js';
import { hostHugepageSizes, kernelVersion } from './convert.js';
import { CgroupError } from './errors.js';
import { describe, readPids, readText, writeValue } from './fs.js';
import type { CgroupRecord } from './record.js';
import { SystemdCgroup } from './systemd.js';
import { planV1 } from './v1-writes.js';
import { planV2 } from './v2-writes.js';
import type { CgroupOp, FileWrite } from './writes.js';

export interface ApplyOptions {
  /** A new cgroup: device rules are set (only) now. */
  create: boolean;
  /** `update`: the resources in force, for conversions that need both halves. */
  current?: Resources;
  kernel: [number, number];
  hugepageSizes: string[];
}

/** The facts about this kernel that resource planning needs. */
export function hostApplyFacts(): { kernel: [number, number]; hugepageSizes: string[] } {
  // uname's release, read from procfs: loading node:os for os.release() cost create about 0.4 ms.
  const release = readText('/proc/sys/kernel/osrelease')?.trim() || os.release();
  return { kernel: kernelVersion(release), hugepageSizes: hostHugepageSizes() };
}

/**
 * create's step: makes the cgroup, refuses one that already holds processes
 * or is frozen, applies the resources and moves pid (tsrun-init's stage 0)
 * in; its children, the container's init among them, are born there. With
 * unifiedByClone, stage 0 stays out of the unified hierarchy: its child is
 * cloned straight into it (clone3 CLONE_INTO_CGROUP).
 * record.created says what it made, so that a failure undoes exactly that
 * (removeCreated); persist(record) stores the record where the sweep of a
 * killed create finds it: before the directories are made, and after.
 */
export function setUpCgroup(
  cg: Cgroup,
  resources: Resources | undefined,
  pid: number,
  opts: { facts?: ReturnType<typeof hostApplyFacts>; persist?: (record: CgroupRecord) => void; unifiedByClone?: boolean } = {},
): void {
  const { record } = cg;
  const missing = cg.missing();
  if (missing.length) {
    record.making = missing;
    opts.persist?.(record);
  }
  const made = cg.create(pid);
  delete record.making;
  opts.persist?.(record);
  // A cgroup that was there already may be someone's: it must be empty and thawed.
  const preexisting = cg.dirs().filter((d) => !made.includes(d));
  const others = [...new Set(preexisting.flatMap((d) => readPids(d)))];
  if (others.length) {
    throw new PlanError('/linux/cgroupsPath', `the cgroup ${record.path} already holds processes (${others.slice(0, 5).join(', ')})`, 'a container needs a cgroup of its own');
  }
  if (preexisting.length && cg.isFrozen()) throw new PlanError('/linux/cgroupsPath', `the cgroup ${record.path} is frozen`, 'thaw it or use another');
  applyResources(cg, resources ?? {}, { create: true, ...(opts.facts ?? hostApplyFacts()) });
  cg.addProcess(pid, !opts.unifiedByClone);
}

/** Writes applyResources held back on create, for finishCreate. */
const heldBack = new WeakMap<Cgroup, CgroupOp[]>();

/**
 * Plans r for cg (throws CgroupError for what it cannot honour), then writes
 * it. On create, what would stop tsrun-init's stage 0 from cloning the
 * container's init waits for finishCreate(). Under the systemd driver an
 * update sets the unit's properties first (runc's order).
 */
export function applyResources(cg: Cgroup, r: Resources, opts: ApplyOptions): void {
  if (!opts.create && cg instanceof SystemdCgroup) cg.updateUnit(r, opts.current ?? {});
  const ctx = { view: cg.view(), update: !opts.create, current: opts.current, kernel: opts.kernel, hugepageSizes: opts.hugepageSizes };
  const ops = cg.record.mode === 'v2' ? planV2(r, ctx, opts.create) : planV1(r, ctx, opts.create);
  const late = opts.create ? ops.filter(afterClone) : [];
  run(cg, ops.filter((op) => !late.includes(op)));
  if (late.length) heldBack.set(cg, [...(heldBack.get(cg) ?? []), ...late]);
}

/** create's last cgroup step, once stage 0 has exited: the limits applyResources held back. */
export function finishCreate(cg: Cgroup): void {
  const ops = heldBack.get(cg) ?? [];
  heldBack.delete(cg);
  run(cg, ops);
}

function run(cg: Cgroup, ops: CgroupOp[]): void {
  const retry: FileWrite[] = [];
  for (const op of ops) {
    if (op.kind === 'bpf') {
      const dir = cg.primaryDir();
      try {
        cg.sys.attachDeviceProgram(dir, op.program);
      } catch (e) {
        throw new CgroupError(op.field, 'devices', `cannot attach the device program to ${dir}: ${(e as Error).message}`);
      }
      continue;
    }
    const done = write(cg, op, !!op.retryLast);
    if (!done) retry.push(op);
  }
  for (const op of retry) write(cg, op, false);
}

/** Returns false when the write failed with EINVAL and may be retried at the end. */
function write(cg: Cgroup, w: FileWrite, deferrable: boolean): boolean {
  const dir = cg.dirFor(w);
  if (w.rtBudget) raiseRtBudget(cg, dir, Number(w.value));
  const file = path.join(dir, w.file);
  try {
    writeValue(file, w.value);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (deferrable && code === 'EINVAL') return false;
    throw new CgroupError(w.field, w.controller, `cannot write "${w.value}" to ${file}: ${describe(e)}${hint(w, code)}`);
  }
  if (w.verify) {
    const got = readText(file)?.trim();
    if (got !== w.value) {
      throw new CgroupError(w.field, w.controller, `the kernel set ${w.file} to ${got}, not ${w.value}: the value is out of its range`);
    }
  }
  return true;
}

/**
 * v1 realtime: a cgroup's cpu.rt_runtime_us must fit in its parent's. The
 * ancestors tsrun owns get what their children need, top-down; the first
 * ancestor it does not own must have the budget already.
 */
function raiseRtBudget(cg: Cgroup, dir: string, runtime: number): void {
  const cpu = cg.record.v1.find((h) => h.controllers.includes('cpu'));
  if (!cpu) return;
  const chain: string[] = [];
  for (let d = path.dirname(dir); d.startsWith(`${cpu.mount}/`) && cg.owns(d, cpu.mount); d = path.dirname(d)) chain.unshift(d);
  const rt = (d: string) => Number(readText(path.join(d, 'cpu.rt_runtime_us')) ?? 0);
  const period = (d: string) => Number(readText(path.join(d, 'cpu.rt_period_us')) ?? 1_000_000);
  // What each owned ancestor needs: its other children's share plus the path below it.
  const needs = new Map<string, number>();
  let below = dir;
  let share = runtime / period(dir);
  for (let i = chain.length - 1; i >= 0; i--) {
    const a = chain[i];
    for (const e of fs.readdirSync(a, { withFileTypes: true })) {
      const child = path.join(a, e.name);
      if (e.isDirectory() && child !== below) share += Math.max(rt(child), 0) / period(child);
    }
    needs.set(a, Math.ceil(share * period(a)));
    below = a;
  }
  for (const a of chain) {
    const want = needs.get(a)!;
    if (rt(a) >= want) continue;
    try {
      writeValue(path.join(a, 'cpu.rt_runtime_us'), String(want));
    } catch (e) {
      throw new CgroupError('/cpu/realtimeRuntime', 'cpu',
        `cannot give ${a} the realtime budget its children need (${want} us per period): ${describe(e)}; ` +
          "its parent's cpu.rt_runtime_us must leave room for it");
    }
  }
}

/**
 * Writes that must wait until the container's init is alone in the cgroup:
 * pids.max, since stage 0 is moved in and then clones the init (two tasks).
 */
function afterClone(op: CgroupOp): boolean {
  return op.kind === 'write' && op.file === 'pids.max';
}

/** Errno hints for the writes that fail in telling ways. */
function hint(w: FileWrite, code: string | undefined): string {
  if (w.file === 'memory.limit_in_bytes' && code === 'EBUSY') return '; the container already uses more memory than that';
  if (w.file.startsWith('cpu.rt_') && (code === 'EINVAL' || code === 'EBUSY')) return "; the parent cgroup's realtime budget (cpu.rt_runtime_us) is too small";
  if (w.file === 'rdma.max') return `; is there an RDMA device named "${w.value.split(' ')[0]}"? (see /sys/class/infiniband)`;
  if (/bfq/.test(w.file) && (code === 'ENOTSUP' || code === 'EOPNOTSUPP')) {
    const dev = w.value.split(' ')[0];
    return `; device ${dev} does not use the bfq I/O scheduler (see /sys/dev/block/${dev}/queue/scheduler), so BFQ weights do not apply to it`;
  }
  if (/throttle|io\.max|weight_device|bfq\.weight|io\.weight/.test(w.file) && (code === 'ENODEV' || code === 'EINVAL')) {
    return '; is the device a whole block disk on this host, and (for BFQ weights) does it use the bfq scheduler?';
  }
  if (code === 'EINVAL') return '; the kernel refused the value (out of range, or more than the parent cgroup allows)';
  if (code === 'ENOENT') return '; this kernel does not have that file';
  return '';
}
