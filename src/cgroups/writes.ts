// What applying linux.resources means, as data: the file writes (and, on v2,
// the device program) the v1 and v2 planners compute. Planning reads the
// cgroup only through a CgroupView, so unit tests run it on a fake cgroupfs.
import type { Resources } from '../spec/types.js';

export interface FileWrite {
  kind: 'write';
  /** v1: the hierarchy it goes to; v2: the controller the file belongs to ('cgroup' for core files). */
  controller: string;
  file: string;
  value: string;
  /** The field under linux.resources it comes from, for errors ('/memory/limit'). */
  field: string;
  /** Hybrid: the file is in the container's unified (v2) cgroup, not a v1 hierarchy. */
  unified?: boolean;
  /** On EINVAL, try once more after the other writes (cpu period before quota, as runc orders them). */
  retryLast?: boolean;
  /** Read back: the kernel clamps some values silently (v1 cpu.shares). */
  verify?: boolean;
  /** v1 cpu.rt_runtime_us: ancestors tsrun owns must first get the realtime budget. */
  rtBudget?: boolean;
}

/** v2 devices: a BPF_PROG_TYPE_CGROUP_DEVICE program, attached to the cgroup. */
export interface DeviceProgram {
  kind: 'bpf';
  program: Buffer;
  field: string;
}

export type CgroupOp = FileWrite | DeviceProgram;

/** The container's cgroup, as the planners may look at it. */
export interface CgroupView {
  /** v1: the controller's hierarchy is mounted; v2: the controller is enabled for this cgroup. */
  hasController(controller: string): boolean;
  /** v2: why create could not enable the controller (the kernel's refusal and the fix), if it tried. */
  whyMissing?(controller: string): string | undefined;
  /** The file exists in the controller's cgroup (v2: the one cgroup). */
  has(controller: string, file: string): boolean;
  read(controller: string, file: string): string | undefined;
  /** Hybrid only: the container's cgroup in the unified hierarchy. */
  unified?: { has(file: string): boolean; controllers: Set<string> };
}

export interface PlanContext {
  view: CgroupView;
  /** `update`: a running container's limits change (checkBeforeUpdate applies). */
  update: boolean;
  /** The resources already in force (update): v2's swap conversion needs the memory limit. */
  current?: Resources;
  /** [major, minor] of the running kernel. */
  kernel: [number, number];
  /** The huge page sizes the host has ("2MB", "1GB"). */
  hugepageSizes: string[];
}
