// The systemd cgroup driver (--systemd-cgroup), behind the same Cgroup
// interface as cgroupfs: systemd makes the container's cgroup as a transient
// scope with Delegate=yes (StartTransientUnit, the container's first process
// in PIDs), its linux.resources go both into unit properties and, as runc
// writes them, to cgroupfs; update sets the properties again; delete stops
// the scope and resets it should it have failed. Freeze, stats, pids and
// kill work on the scope's directory as on any cgroup v2 one.
import fs from 'node:fs';
import path from 'node:path';
import { constants } from 'node:os';
import type { Config, Resources } from '../spec/types.js';
import { PlanError, UnsupportedError } from '../core/errors.js';
import type { CgroupSyscalls } from './cgroup.js';
import type { CgroupRecord } from './record.js';
import { CgroupOpError } from './errors.js';
import { readPids, removeDir, sleepMs } from './fs.js';
import { enableControllers } from './enable.js';
import type { HostLayout } from './hierarchy.js';
import { V2Cgroup } from './v2.js';
import { systemdBus, type SystemdBus } from './systemd-bus.js';
import {
  annotationProperties, baseProperties, resourceProperties, systemdUnitOf, unitCgroupPath, type SystemdRecord,
} from './systemd-unit.js';
export type { SystemdRecord };

/** Why the driver cannot run on this host, or undefined. */
export function systemdDriverProblem(layout: HostLayout, runDir = '/run/systemd/system'): string | undefined {
  if (layout.mode !== 'v2') {
    return `this host's cgroups are ${layout.mode === 'hybrid' ? 'hybrid (v1 controllers and v2)' : 'v1'}: tsrun's systemd driver works on a pure cgroup v2 host; use the cgroupfs driver (no --systemd-cgroup)`;
  }
  if (!fs.existsSync(runDir)) return `systemd is not this host's init (no ${runDir}): drop --systemd-cgroup to use the cgroupfs driver`;
  return undefined;
}

/**
 * The record of a container under the systemd driver; every property is
 * planned (and so every config error raised) before anything starts.
 */
export function planSystemdRecord(config: Config, id: string, layout: HostLayout, warn: (m: string) => void, runDir?: string): CgroupRecord {
  const problem = systemdDriverProblem(layout, runDir);
  if (problem) throw new UnsupportedError(`--systemd-cgroup: ${problem}`);
  const unit = systemdUnitOf(config.linux?.cgroupsPath, id);
  const cgPath = unitCgroupPath(unit);
  const { props, warnings } = resourceProperties(config.linux?.resources ?? {}, { devices: true });
  for (const w of warnings) warn(w);
  const start = [...props, ...annotationProperties(config.annotations)];
  return {
    mode: 'v2',
    path: cgPath,
    // The scope is the container's alone: tsrun may kill in it and stop it.
    ownedFrom: cgPath,
    v1: [],
    unified: { mount: layout.unified!, dir: path.join(layout.unified!, cgPath) },
    created: [],
    systemd: { ...unit, id, start },
  };
}

/** Each top-level field of change over current's, so conversions see both halves (swap and limit, quota and period). */
function overlay(current: Resources, change: Resources): Resources {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(change)) {
    const old = (current as Record<string, unknown>)[k];
    out[k] = v && old && typeof v === 'object' && typeof old === 'object' && !Array.isArray(v) ? { ...old, ...v } : v;
  }
  return out as Resources;
}

export class SystemdCgroup extends V2Cgroup {
  constructor(
    record: CgroupRecord,
    sys: CgroupSyscalls,
    private readonly bus: SystemdBus = systemdBus(),
  ) {
    super(record, sys);
  }

  private get sd(): SystemdRecord {
    return this.record.systemd!;
  }

  private get scopeDir(): string {
    return this.record.unified!.dir;
  }

  /** Starts the scope with pid (tsrun-init's stage 0) in it; the container's init is born there. */
  override create(pid?: number): string[] {
    if (pid === undefined) throw new CgroupOpError(`the systemd scope ${this.sd.unit} needs its first process`);
    const properties = [...baseProperties(this.sd, this.sd.id, pid), ...(this.sd.start ?? [])];
    try {
      this.bus.startUnit(this.sd.unit, properties);
    } catch (e) {
      if (/UnitExists/.test((e as Error).message)) {
        throw new PlanError(
          '/linux/cgroupsPath',
          `systemd already has a unit ${this.sd.unit}: a container needs a scope of its own`,
          'delete the container that has it, or give another "slice:prefix:name"',
        );
      }
      throw e;
    }
    this.record.created.push(this.scopeDir);
    delete this.sd.start;
    // As runc: every controller the host has reaches the scope (systemd enables those it manages itself).
    this.refused = enableControllers(this.record.unified!.mount, this.scopeDir);
    return [this.scopeDir];
  }

  /** update's first step (runc's order; resources.ts writes cgroupfs after): the unit's properties, current's with r over them. */
  updateUnit(r: Resources, current: Resources): void {
    const { props } = resourceProperties(overlay(current, r), { devices: false });
    if (props.length) this.bus.setProperties(this.sd.unit, props);
  }

  /** Every process of the scope killed, waited for. */
  private killAll(): void {
    const deadline = Date.now() + 10_000;
    for (let delay = 1; this.exists() && this.pids().length; delay = Math.min(delay * 2, 50)) {
      if (Date.now() > deadline) throw new CgroupOpError(`cannot stop the scope ${this.sd.unit}: processes ${this.pids().join(', ')} survive SIGKILL`);
      this.kill(constants.signals.SIGKILL);
      sleepMs(delay);
    }
  }

  /** The scope stopped (and reset, were it failed); systemd removes its cgroup. */
  private stop(): void {
    this.bus.stopUnit(this.sd.unit);
    // systemd removes the cgroup with the unit; a scope it had let go of leaves it to us.
    if (fs.existsSync(this.scopeDir) && !removeDir(this.scopeDir)) {
      throw new CgroupOpError(`cannot remove the container's cgroup ${this.scopeDir}: it stays busy after its scope ${this.sd.unit} stopped`);
    }
  }

  override removeCreated(): void {
    if (!this.record.created.length) return;
    this.killAll();
    this.stop();
    this.record.created.length = 0;
  }

  /**
   * The sweep of a create killed while starting the scope: it may or may not
   * have started. An empty scope is stopped; one with processes stays, and
   * systemd stops it itself once they are gone (they are that create's).
   */
  override removeIfEmpty(_dirs: string[]): void {
    if (!fs.existsSync(this.scopeDir) || !readPids(this.scopeDir).length) this.stop();
  }

  override destroy(): void {
    this.killAll();
    this.stop();
  }
}
