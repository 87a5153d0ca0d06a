// A container's cgroup: create, apply, addProcess, freeze, thaw, stats, pids,
// kill, destroy. The v1 (and hybrid) and v2 classes differ in where files
// are and how resources map; this base does what they share: running the
// planned writes, killing, removing. Every path comes from the record stored
// in the container's state, never recomputed from a host that may have changed.
import fs from 'node:fs';
import path from 'node:path';
import { constants } from 'node:os';
import type { Resources } from '../spec/types.js';
import { CgroupError, CgroupOpError } from './errors.js';
import { describe, readPids, readText, removeDir, removeTree, sleepMs, writeValue } from './fs.js';
import type { CgroupOp, CgroupView, FileWrite, PlanContext } from './writes.js';
import type { Stats } from './stats.js';
import type { CgroupRecord } from './record.js';

/** What the host provides that the cgroup code cannot do with files alone. */
export interface CgroupSyscalls {
  attachDeviceProgram(dir: string, program: Buffer): void;
}

export interface ApplyOptions {
  /** A new cgroup: device rules are set (only) now. */
  create: boolean;
  /** `update`: the resources in force, for conversions that need both halves. */
  current?: Resources;
  kernel: [number, number];
  hugepageSizes: string[];
}

export abstract class Cgroup {
  /** Writes apply() held back on create, for finishCreate(). */
  private late: CgroupOp[] = [];

  constructor(
    readonly record: CgroupRecord,
    protected readonly sys: CgroupSyscalls,
  ) {}

  /**
   * Makes the directories (idempotent) and prepares them. Each one it makes
   * goes into record.created at once, so a failure midway can undo it; returns them.
   * pid: the first process, which the systemd driver's scope is started with.
   */
  abstract create(pid?: number): string[];
  protected abstract view(): CgroupView;
  protected abstract plan(r: Resources, ctx: PlanContext, create: boolean): CgroupOp[];
  /** The directory a planned write goes to. */
  protected abstract dirFor(w: FileWrite): string;
  /**
   * Moves pid into the cgroup, in every hierarchy; withUnified false leaves
   * the unified one out (its child is cloned into it with clone3).
   */
  abstract addProcess(pid: number, withUnified?: boolean): void;
  abstract freeze(): void;
  abstract thaw(): void;
  abstract isFrozen(): boolean;
  abstract stats(): Stats;
  /** Where the container's processes are listed (and cgroup.kill is, if any). */
  protected abstract primaryDir(): string;

  /** Every directory of the container's cgroup, one per hierarchy. */
  dirs(): string[] {
    return [...this.record.v1.map((h) => h.dir), ...(this.record.unified ? [this.record.unified.dir] : [])];
  }

  /** True if tsrun may remove (and kill in) dir: it made it, or it is under tsrun's own parent. */
  protected owns(dir: string, mount: string): boolean {
    if (this.record.created.includes(dir)) return true;
    const from = this.record.ownedFrom;
    if (!from) return false;
    const top = path.join(mount, from);
    return dir === top || dir.startsWith(`${top}/`);
  }

  exists(): boolean {
    return fs.existsSync(this.primaryDir());
  }

  /** The directories that do not exist yet, parents first: what create() is about to make. */
  missing(): string[] {
    const out: string[] = [];
    this.dirs().forEach((d, i) => {
      const mount = this.mountOf(i);
      for (let p = d; p.startsWith(`${mount}/`) && !fs.existsSync(p); p = path.dirname(p)) if (!out.includes(p)) out.push(p);
    });
    return out.reverse();
  }

  /**
   * Plans r for this cgroup (throws CgroupError for what it cannot honour), then
   * writes it. On create, what would stop tsrun-init's stage 0 from cloning the
   * container's init waits for finishCreate().
   */
  apply(r: Resources, opts: ApplyOptions): void {
    const ops = this.plan(r, { view: this.view(), update: !opts.create, current: opts.current, kernel: opts.kernel, hugepageSizes: opts.hugepageSizes }, opts.create);
    const late = opts.create ? ops.filter(afterClone) : [];
    this.run(ops.filter((op) => !late.includes(op)));
    this.late.push(...late);
  }

  /** create's last cgroup step, once stage 0 has exited: the limits apply() held back. */
  finishCreate(): void {
    const ops = this.late.splice(0);
    this.run(ops);
  }

  protected run(ops: CgroupOp[]): void {
    const retry: FileWrite[] = [];
    for (const op of ops) {
      if (op.kind === 'bpf') {
        const dir = this.primaryDir();
        try {
          this.sys.attachDeviceProgram(dir, op.program);
        } catch (e) {
          throw new CgroupError(op.field, 'devices', `cannot attach the device program to ${dir}: ${(e as Error).message}`);
        }
        continue;
      }
      const done = this.write(op, !!op.retryLast);
      if (!done) retry.push(op);
    }
    for (const op of retry) this.write(op, false);
  }

  /** Returns false when the write failed with EINVAL and may be retried at the end. */
  private write(w: FileWrite, deferrable: boolean): boolean {
    const dir = this.dirFor(w);
    if (w.rtBudget) this.raiseRtBudget(dir, Number(w.value));
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
  private raiseRtBudget(dir: string, runtime: number): void {
    const cpu = this.record.v1.find((h) => h.controllers.includes('cpu'));
    if (!cpu) return;
    const chain: string[] = [];
    for (let d = path.dirname(dir); d.startsWith(`${cpu.mount}/`) && this.owns(d, cpu.mount); d = path.dirname(d)) chain.unshift(d);
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

  /** The container's pids, from cgroup.procs of its cgroup and every cgroup below. */
  pids(): number[] {
    return readPids(this.primaryDir());
  }

  /**
   * Signals every process in the cgroup. Frozen while signalled, so none can
   * fork past us (runc's way); SIGKILL goes through cgroup.kill where there
   * is one. A paused container stays paused, except after SIGKILL: a v1
   * frozen task dies only once thawed.
   */
  kill(signal: number): void {
    const killFile = path.join(this.primaryDir(), 'cgroup.kill');
    const wasFrozen = this.isFrozen();
    if (signal === constants.signals.SIGKILL && fs.existsSync(killFile)) {
      writeValue(killFile, '1');
      if (wasFrozen) this.thaw();
      return;
    }
    let frozeNow = false;
    if (!wasFrozen) {
      try {
        this.freeze();
        frozeNow = true;
      } catch {
        // No freezer: still signalled, with the fork race runc accepts too.
      }
    }
    try {
      for (const pid of this.pids()) {
        try {
          process.kill(pid, signal);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
        }
      }
    } finally {
      if (frozeNow || (wasFrozen && signal === constants.signals.SIGKILL)) this.thaw();
    }
  }

  /**
   * A failed create's undo: removes the directories it made (record.created),
   * deepest first, killing what is in the container's own ones first (they hold
   * only processes of this create). A cgroup it did not make, and the
   * processes in it, are never touched; a parent it made that another
   * container uses by now stays.
   */
  removeCreated(): void {
    const made = this.record.created;
    const leaves = this.dirs().filter((d) => made.includes(d));
    const deadline = Date.now() + 10_000;
    for (let delay = 1; ; delay = Math.min(delay * 2, 50)) {
      const pids = [...new Set(leaves.flatMap((d) => readPids(d)))];
      if (!pids.length) break;
      if (Date.now() > deadline) throw new CgroupOpError(`cannot remove the cgroup ${this.record.path} this create made: processes ${pids.join(', ')} survive SIGKILL`);
      for (const pid of pids) {
        try {
          process.kill(pid, constants.signals.SIGKILL);
        } catch {
          // gone already
        }
      }
      sleepMs(delay);
    }
    const busy: string[] = [];
    for (const d of [...made].reverse()) {
      // A parent it made may hold another container's cgroup by now: tried once, and left if so.
      const leaf = leaves.includes(d);
      if (!removeDir(d, leaf ? 2000 : 0) && leaf) busy.push(d);
    }
    if (busy.length) throw new CgroupOpError(`cannot remove the cgroup this create made: ${busy.join(', ')} stays busy`);
    made.length = 0;
    // A parent another create made may be empty now (its containers deleted meanwhile).
    this.removeEmptyParents();
  }

  /**
   * The sweep of a create killed while it made the directories: of those that
   * were missing then, the empty ones go (rmdir cannot remove a cgroup that
   * holds processes or children).
   */
  removeIfEmpty(dirs: string[]): void {
    for (const d of [...dirs].reverse()) removeDir(d, 0);
  }

  /**
   * Kills what is left and removes the container's cgroups and the empty
   * parents tsrun owns. Idempotent: a cgroup already gone is fine. A cgroup
   * tsrun did not make (an absolute cgroupsPath that existed) is left alone.
   */
  destroy(): void {
    const owned = this.dirs().filter((d, i) => this.owns(d, this.mountOf(i)));
    if (!owned.length) return;
    if (this.exists()) {
      const deadline = Date.now() + 10_000;
      for (let delay = 1; this.pids().length; delay = Math.min(delay * 2, 50)) {
        if (Date.now() > deadline) {
          throw new CgroupOpError(`cannot remove the container's cgroup ${this.record.path}: processes ${this.pids().join(', ')} survive SIGKILL`);
        }
        this.kill(constants.signals.SIGKILL);
        sleepMs(delay);
      }
    }
    const busy = owned.filter((d) => !removeTree(d));
    if (busy.length) throw new CgroupOpError(`cannot remove the container's cgroup: ${busy.join(', ')} stays busy`);
    this.removeEmptyParents();
  }

  /**
   * Each hierarchy's empty parents that are tsrun's (/tsrun/<name>@<hash>,
   * /tsrun), bottom-up; one that is busy is in use by another container and
   * stays, and so do those above it. A create that races with this removal
   * retries its mkdir (mkdirs: ENOENT), and nothing is written to a parent
   * before the create's own cgroup is in it.
   */
  private removeEmptyParents(): void {
    this.dirs().forEach((d, i) => {
      const mount = this.mountOf(i);
      for (let p = path.dirname(d); p.startsWith(`${mount}/`) && this.owns(p, mount); p = path.dirname(p)) {
        if (!removeDir(p, 0)) break;
      }
    });
  }

  protected mountOf(i: number): string {
    return i < this.record.v1.length ? this.record.v1[i].mount : this.record.unified!.mount;
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
