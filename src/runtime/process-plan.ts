// config.process, planned: everything tsrun-init needs to become the user's
// process, for `create` and `exec` alike. All names become numbers here and
// every check that can be made before a process exists is made here.
import type { Config, ExecCPUAffinity, IOPriority, Process, Scheduler } from '../spec/types.js';
import { planCapabilities } from './capabilities.js';
import type { HostFacts } from './host.js';
import { planMemoryPolicy } from './mempolicy.js';
import { checkKernelLimits } from './kernel-limits.js';
import { PlanError } from '../core/errors.js';
import type { ProcessPlan, SchedulerPlan } from './plan-schema.js';
import { planRlimits, RLIMIT_NOFILE } from './rlimits.js';
import { planSeccomp } from './seccomp.js';

export type { ProcessPlan, SchedulerPlan };

export interface ProcessPlanOptions {
  host: HostFacts;
  warn(message: string): void;
  inheritedNofile?: [number, number];
  preserveFds?: number;
  /** A --pidfd-socket was given. */
  pidfdSocket?: boolean;
}

const SCHED_POLICIES: Record<string, number> = {
  SCHED_OTHER: 0, SCHED_FIFO: 1, SCHED_RR: 2, SCHED_BATCH: 3, SCHED_IDLE: 5, SCHED_DEADLINE: 6,
};
const SCHED_FLAGS: Record<string, number> = {
  SCHED_FLAG_RESET_ON_FORK: 0x01, SCHED_FLAG_RECLAIM: 0x02, SCHED_FLAG_DL_OVERRUN: 0x04,
  SCHED_FLAG_KEEP_POLICY: 0x08, SCHED_FLAG_KEEP_PARAMS: 0x10, SCHED_FLAG_UTIL_CLAMP_MIN: 0x20,
  SCHED_FLAG_UTIL_CLAMP_MAX: 0x40,
};
const IOPRIO_CLASSES: Record<string, number> = { IOPRIO_CLASS_RT: 1, IOPRIO_CLASS_BE: 2, IOPRIO_CLASS_IDLE: 3 };
const PERSONAS: Record<string, number> = { LINUX: 0x0000, LINUX32: 0x0008 };
const MAX_CPUS = 1024; // glibc's CPU_SETSIZE, the cpu_set_t init uses

function planScheduler(s: Scheduler): SchedulerPlan {
  const p = '/process/scheduler';
  const policy = SCHED_POLICIES[s.policy];
  if (policy === undefined) throw new PlanError(`${p}/policy`, `${s.policy} is not a Linux scheduling policy (it exists only in out-of-tree patches)`);
  const deadline = s.policy === 'SCHED_DEADLINE';
  if (s.nice !== undefined && (s.nice < -20 || s.nice > 19)) throw new PlanError(`${p}/nice`, `must be from -20 to 19, not ${s.nice}`);
  if ((s.priority ?? 0) !== 0 && s.policy !== 'SCHED_FIFO' && s.policy !== 'SCHED_RR') {
    throw new PlanError(`${p}/priority`, `only SCHED_FIFO and SCHED_RR take a priority; ${s.policy} needs 0`);
  }
  if (!deadline && (s.runtime || s.deadline || s.period)) {
    throw new PlanError(p, `runtime, deadline and period are for SCHED_DEADLINE only, not ${s.policy}`);
  }
  let flags = 0n;
  for (const f of s.flags ?? []) flags |= BigInt(SCHED_FLAGS[f]);
  return {
    policy,
    flags,
    nice: s.nice ?? 0,
    priority: s.priority ?? 0,
    runtime: BigInt(s.runtime ?? 0),
    deadline: BigInt(s.deadline ?? 0),
    period: BigInt(s.period ?? 0),
  };
}

function planIoPriority(io: IOPriority): number {
  const level = io.priority ?? 0;
  if (level < 0 || level > 7) throw new PlanError('/process/ioPriority/priority', `must be from 0 (highest) to 7, not ${level}`);
  return (IOPRIO_CLASSES[io.class] << 13) | level;
}

/** "0-3, 7" → [0, 1, 2, 3, 7]. */
export function parseCpuList(list: string, configPath: string): number[] {
  const cpus = new Set<number>();
  for (const part of list.split(',').map((s) => s.trim())) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw new PlanError(configPath, `"${part}" is not a CPU or a range like "0-3"`);
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (hi < lo) throw new PlanError(configPath, `the range "${part}" runs backwards`);
    if (hi >= MAX_CPUS) throw new PlanError(configPath, `CPU ${hi} is beyond the ${MAX_CPUS} CPUs tsrun can address`);
    for (let c = lo; c <= hi; c++) cpus.add(c);
  }
  return [...cpus].sort((a, b) => a - b);
}

function planAffinity(a: ExecCPUAffinity | undefined, which: 'initial' | 'final'): number[] {
  const list = a?.[which];
  return list && list.trim() ? parseCpuList(list, `/process/execCPUAffinity/${which}`) : [];
}

function planPersonality(config: Config): number | undefined {
  const p = config.linux?.personality;
  if (!p) return undefined;
  if (p.flags?.length) {
    throw new PlanError('/linux/personality/flags', `the runtime-spec defines no personality flags yet; remove ${JSON.stringify(p.flags)}`);
  }
  if (p.domain === undefined) throw new PlanError('/linux/personality/domain', 'is required: "LINUX" or "LINUX32"');
  return PERSONAS[p.domain];
}

function refuseLsm(proc: Process, host: HostFacts): void {
  if (proc.apparmorProfile && !host.apparmorEnabled) {
    throw new PlanError('/process/apparmorProfile', `AppArmor is not enabled on this host, so profile "${proc.apparmorProfile}" cannot be applied; remove the field or enable AppArmor`);
  }
  if (proc.selinuxLabel && !host.selinuxEnabled) {
    throw new PlanError('/process/selinuxLabel', `SELinux is not enabled on this host, so label "${proc.selinuxLabel}" cannot be applied; remove the field or enable SELinux`);
  }
}

// (uid_t)-1 tells setresuid and setresgid to leave an id unchanged: the
// process would stay root. runc, too, takes only 0 to 2^31-1.
const MAX_ID = 2147483647;

function checkIds(user: NonNullable<Process['user']>): void {
  const check = (id: number | undefined, field: string) => {
    if (id !== undefined && id > MAX_ID) {
      throw new PlanError(`/process/user/${field}`, `must be from 0 to ${MAX_ID}, not ${id}${id === 4294967295 ? ' ((uid_t)-1 would leave the process root)' : ''}`);
    }
  };
  check(user.uid, 'uid');
  check(user.gid, 'gid');
  user.additionalGids?.forEach((g, i) => check(g, `additionalGids/${i}`));
}

export function planProcess(proc: Process, config: Config, opts: ProcessPlanOptions): ProcessPlan {
  if (!proc.args?.length) throw new PlanError('/process/args', 'must be a non-empty array');
  checkIds(proc.user ?? {});
  refuseLsm(proc, opts.host);
  checkKernelLimits(proc, opts.host.ngroupsMax);
  if (proc.oomScoreAdj !== undefined && (proc.oomScoreAdj < -1000 || proc.oomScoreAdj > 1000)) {
    throw new PlanError('/process/oomScoreAdj', `must be from -1000 to 1000, not ${proc.oomScoreAdj}`);
  }
  const user = proc.user ?? {};
  const rlimits = planRlimits(proc.rlimits, opts.host.hardLimits, opts.host.capEff);
  return {
    args: proc.args,
    env: proc.env ?? [],
    cwd: proc.cwd,
    uid: user.uid ?? 0,
    gid: user.gid ?? 0,
    additionalGids: user.additionalGids ?? [],
    umask: user.umask ?? 0o022,
    capabilities: planCapabilities(proc.capabilities, opts.host.lastCap, opts.warn),
    lastCap: opts.host.lastCap,
    rlimits,
    // Restored just before exec unless the config's rlimits set RLIMIT_NOFILE themselves.
    inheritedNofile: rlimits.some((r) => r.type === RLIMIT_NOFILE) ? undefined : opts.inheritedNofile,
    noNewPrivileges: proc.noNewPrivileges === true,
    oomScoreAdj: proc.oomScoreAdj,
    scheduler: proc.scheduler ? planScheduler(proc.scheduler) : undefined,
    ioPriority: proc.ioPriority ? planIoPriority(proc.ioPriority) : undefined,
    cpuAffinityInitial: planAffinity(proc.execCPUAffinity, 'initial'),
    cpuAffinityFinal: planAffinity(proc.execCPUAffinity, 'final'),
    apparmorProfile: proc.apparmorProfile || undefined,
    selinuxLabel: proc.selinuxLabel || undefined,
    personality: planPersonality(config),
    seccomp: planSeccomp(config.linux?.seccomp, opts.warn),
    preserveFds: opts.preserveFds ?? 0,
    terminal: proc.terminal === true,
    consoleSize: proc.terminal && proc.consoleSize ? { height: proc.consoleSize.height, width: proc.consoleSize.width } : undefined,
    pidfdSocket: opts.pidfdSocket === true,
    memoryPolicy: planMemoryPolicy(config.linux?.memoryPolicy, opts.host.onlineNodes),
  };
}
