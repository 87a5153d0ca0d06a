// cgroup v2: one directory. Controllers reach it through cgroup.subtree_control
// of each ancestor; create enables them all there (enable.ts).
import fs from 'node:fs';
import path from 'node:path';
import { Cgroup } from './cgroup.js';
import { CgroupOpError } from './errors.js';
import { cgroupIsFrozen } from './frozen.js';
import { describe, mkdirs, readText, writeValue } from './fs.js';
import { waitFrozen } from './v1.js';
import { enableControllers, type Refusals } from './enable.js';
import type { CgroupView, FileWrite } from './writes.js';

const words = (text: string | undefined) => (text ?? '').split(/\s+/).filter(Boolean);

export class V2Cgroup extends Cgroup {
  private get dir(): string {
    return this.record.unified!.dir;
  }

  /** What create() could not enable, for the error of a field that needs it. */
  protected refused: Refusals = new Map();

  create(): string[] {
    const { mount } = this.record.unified!;
    const made = mkdirs(this.dir);
    this.record.created.push(...made);
    // Every ancestor, the root's own included, passes on every controller (runc's way).
    this.refused = enableControllers(mount, this.dir);
    return made;
  }

  view(): CgroupView {
    const controllers = new Set(words(readText(path.join(this.dir, 'cgroup.controllers'))));
    return {
      hasController: (c) => controllers.has(c),
      whyMissing: (c) => this.refused.get(c),
      has: (_c, f) => fs.existsSync(path.join(this.dir, f)),
      read: (_c, f) => readText(path.join(this.dir, f)),
    };
  }

  dirFor(_w: FileWrite): string {
    return this.dir;
  }

  primaryDir(): string {
    return this.dir;
  }

  addProcess(pid: number, withUnified = true): void {
    if (!withUnified) return;
    try {
      writeValue(path.join(this.dir, 'cgroup.procs'), String(pid));
    } catch (e) {
      throw new CgroupOpError(`cannot add process ${pid} to the cgroup ${this.dir}: ${describe(e)}`);
    }
  }

  isFrozen(): boolean {
    return cgroupIsFrozen(this.record);
  }

  freeze(): void {
    writeValue(path.join(this.dir, 'cgroup.freeze'), '1');
    waitFrozen(this.dir, true);
  }

  thaw(): void {
    writeValue(path.join(this.dir, 'cgroup.freeze'), '0');
    waitFrozen(this.dir, false);
  }

}
