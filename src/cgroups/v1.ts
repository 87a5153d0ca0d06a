// cgroup v1, and hybrid hosts (v1 controllers plus a unified hierarchy, in
// which the container gets a cgroup too, as runc gives it one: cgroup.kill
// and cgroup.events work there). One directory per mounted hierarchy.
import fs from 'node:fs';
import path from 'node:path';
import { Cgroup } from './cgroup.js';
import { CgroupOpError } from './errors.js';
import { cgroupIsFrozen, v1FreezerState } from './frozen.js';
import { describe, mkdirs, readText, sleepMs, writeValue } from './fs.js';
import type { CgroupView, FileWrite } from './writes.js';

export class V1Cgroup extends Cgroup {
  create(): string[] {
    const made: string[] = [];
    const make = (dir: string) => {
      const here = mkdirs(dir);
      made.push(...here);
      this.record.created.push(...here);
      return here;
    };
    for (const h of this.record.v1) {
      const here = make(h.dir);
      if (h.controllers.includes('cpuset')) this.fillCpusets(h.mount, h.dir, here);
    }
    if (this.record.unified) make(this.record.unified.dir);
    return made;
  }

  /**
   * A new cpuset cgroup starts with no CPUs and no memory nodes, and adding a
   * task to it fails with ENOSPC. Every level down to dir gets its parent's
   * when empty, top-down, whoever made it: a parent another create has just
   * made may not be filled yet. After mkdirs, so no level can be removed under
   * us by a delete (each now has a child). A parent made here also gets
   * clone_children, so the kernel fills the children made later (writing
   * cpuset.cpus is slow).
   */
  private fillCpusets(mount: string, dir: string, made: string[]): void {
    // What each file of the level above holds, read or written just now: the next level's parent is not read again.
    const above = new Map<string, string>();
    for (const d of ancestorsFrom(mount, dir)) {
      for (const f of ['cpuset.cpus', 'cpuset.mems']) {
        const own = readText(`${d}/${f}`)?.trim();
        if (own) {
          above.set(f, own);
          continue;
        }
        const parent = above.get(f) ?? readText(`${path.dirname(d)}/${f}`)?.trim() ?? '';
        try {
          writeValue(`${d}/${f}`, parent);
        } catch (e) {
          throw new CgroupOpError(`cannot copy ${f} ("${parent}") from the parent into ${d}: ${describe(e)}`);
        }
        above.set(f, parent);
      }
      if (d !== dir && made.includes(d)) writeValue(path.join(d, 'cgroup.clone_children'), '1');
    }
  }

  private dirOf(controller: string): string | undefined {
    return this.record.v1.find((h) => h.controllers.includes(controller))?.dir;
  }

  view(): CgroupView {
    const at = (c: string, f: string) => {
      const d = this.dirOf(c);
      return d ? path.join(d, f) : undefined;
    };
    const u = this.record.unified?.dir;
    return {
      hasController: (c) => this.dirOf(c) !== undefined,
      has: (c, f) => {
        const p = at(c, f);
        return p !== undefined && fs.existsSync(p);
      },
      read: (c, f) => {
        const p = at(c, f);
        return p === undefined ? undefined : readText(p);
      },
      unified: u
        ? {
            has: (f) => fs.existsSync(path.join(u, f)),
            controllers: new Set((readText(path.join(u, 'cgroup.controllers')) ?? '').split(/\s+/).filter(Boolean)),
          }
        : undefined,
    };
  }

  dirFor(w: FileWrite): string {
    if (w.unified) return this.record.unified!.dir;
    return this.dirOf(w.controller)!;
  }

  primaryDir(): string {
    // The unified cgroup lists every process and has cgroup.kill; else any hierarchy does.
    return this.record.unified?.dir ?? this.dirOf('freezer') ?? this.dirOf('pids') ?? this.record.v1[0].dir;
  }

  addProcess(pid: number, withUnified = true): void {
    for (const d of withUnified ? this.dirs() : this.record.v1.map((h) => h.dir)) {
      try {
        writeValue(path.join(d, 'cgroup.procs'), String(pid));
      } catch (e) {
        throw new CgroupOpError(`cannot add process ${pid} to the cgroup ${d}: ${describe(e)}`);
      }
    }
  }

  isFrozen(): boolean {
    return cgroupIsFrozen(this.record);
  }

  freeze(): void {
    const d = this.dirOf('freezer');
    if (!d) return this.unifiedFreeze('1');
    // runc's loop: FREEZING can linger; a brief thaw now and then lets stragglers settle.
    for (let i = 0; i < 1000; i++) {
      if (i % 50 === 49) {
        writeValue(path.join(d, 'freezer.state'), 'THAWED');
        sleepMs(10);
      }
      writeValue(path.join(d, 'freezer.state'), 'FROZEN');
      const state = v1FreezerState(this.record);
      if (state === 'FROZEN') return;
      if (state !== 'FREEZING') throw new CgroupOpError(`the freezer of ${d} is ${state} after writing FROZEN`);
      if (i % 25 === 24) sleepMs(1);
    }
    writeValue(path.join(d, 'freezer.state'), 'THAWED');
    throw new CgroupOpError(`cannot freeze ${d}: it stays FREEZING`);
  }

  thaw(): void {
    const d = this.dirOf('freezer');
    if (!d) return this.unifiedFreeze('0');
    writeValue(path.join(d, 'freezer.state'), 'THAWED');
  }

  /** A hybrid host without a v1 freezer: the unified cgroup's cgroup.freeze. */
  private unifiedFreeze(value: '0' | '1'): void {
    const u = this.record.unified?.dir;
    if (!u) throw new CgroupOpError('this host has no freezer: no v1 freezer hierarchy and no cgroup2 mount');
    writeValue(path.join(u, 'cgroup.freeze'), value);
    waitFrozen(u, value === '1');
  }

}

/** The directories from just below mount down to dir, top-down. */
export function ancestorsFrom(mount: string, dir: string): string[] {
  const out: string[] = [];
  for (let d = dir; d.startsWith(`${mount}/`); d = path.dirname(d)) out.unshift(d);
  return out;
}

/** v2 freeze is asynchronous: wait for cgroup.events to say "frozen 1" (or 0). */
export function waitFrozen(dir: string, frozen: boolean, timeoutMs = 5000): void {
  const want = `frozen ${frozen ? 1 : 0}`;
  const deadline = Date.now() + timeoutMs;
  for (let delay = 1; ; delay = Math.min(delay * 2, 20)) {
    const events = readText(path.join(dir, 'cgroup.events')) ?? '';
    if (events.split('\n').includes(want)) return;
    if (Date.now() > deadline) throw new CgroupOpError(`${dir} did not become ${frozen ? 'frozen' : 'thawed'} within ${timeoutMs} ms`);
    sleepMs(delay);
  }
}
