// A container's cgroup: create, addProcess, freeze, thaw, pids, kill,
// destroy. The v1 (and hybrid) and v2 classes differ in where files are;
// this base does what they share: killing, removing. Writing resources is
// resources.ts's (create, restore and update load it), reading stats
// stats.ts's (events). Every path comes from the record stored in the container's
// state, never recomputed from a host that may have changed.
import fs from 'node:fs';
import path from 'node:path';
import { constants } from 'node:os';
import { CgroupOpError } from './errors.js';
import { readPids, removeDir, removeTree, sleepMs, writeValue } from './fs.js';
import type { CgroupView, FileWrite } from './writes.js';
import type { CgroupRecord } from './record.js';

/** What the host provides that the cgroup code cannot do with files alone. */
export interface CgroupSyscalls {
  attachDeviceProgram(dir: string, program: Buffer): void;
}

export abstract class Cgroup {
  constructor(
    readonly record: CgroupRecord,
    /** The kernel calls a new cgroup needs beyond files (resources.ts's device program). */
    readonly sys: CgroupSyscalls,
  ) {}

  /**
   * Makes the directories (idempotent) and prepares them. Each one it makes
   * goes into record.created at once, so a failure midway can undo it; returns them.
   * pid: the first process, which the systemd driver's scope is started with.
   */
  abstract create(pid?: number): string[];
  /** What the resource planner reads of the cgroup (resources.ts). */
  abstract view(): CgroupView;
  /** The directory a planned write goes to. */
  abstract dirFor(w: FileWrite): string;
  /**
   * Moves pid into the cgroup, in every hierarchy; withUnified false leaves
   * the unified one out (its child is cloned into it with clone3).
   */
  abstract addProcess(pid: number, withUnified?: boolean): void;
  abstract freeze(): void;
  abstract thaw(): void;
  abstract isFrozen(): boolean;
  /** Where the container's processes are listed (and cgroup.kill is, if any). */
  abstract primaryDir(): string;

  /** Every directory of the container's cgroup, one per hierarchy. */
  dirs(): string[] {
    return [...this.record.v1.map((h) => h.dir), ...(this.record.unified ? [this.record.unified.dir] : [])];
  }

  /** True if tsrun may remove (and kill in) dir: it made it, or it is under tsrun's own parent. */
  owns(dir: string, mount: string): boolean {
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
    // A stopped container's cgroups are empty, and each goes with one rmdir,
    // without reading every hierarchy's cgroup.procs and listing first (0.3-1.4
    // ms of a delete's CPU). The kernel refuses one that holds a process or a
    // child (EBUSY): then the whole way below.
    if (owned.every((d) => removeDir(d, 0))) {
      this.removeEmptyParents();
      return;
    }
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
