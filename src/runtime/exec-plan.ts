// `exec`, planned: the process to run (from --process or from the
// container's saved config.process with the command-line overrides, as runc
// builds it) and the namespaces of the container's init to join. Pure, like
// plan.ts: no syscalls, so unit tests can check every decision.
import path from 'node:path';
import type { Process } from '../spec/types.js';
import { ConfigError, validateSchema } from '../spec/validate.js';
import { ConfigPathError, isUnder, TsrunError } from '../core/errors.js';
import type { HostFacts } from './host.js';
import { NS_CLONE_FLAGS } from './linux.js';
import { joinOrder } from './namespace-order.js';
import type { ExecPlan } from './plan-schema.js';
import { PLAN_VERSION } from './plan-version.js';
import { planProcess } from './process-plan.js';
import type { StoredState } from './state.js';
import { cloneTarget, withCgroupInto, type Placement } from '../cgroups/placement.js';

export type { ExecPlan };

/** The command-line flags that change the container's process for `exec` (runc's getProcess). */
export interface ExecFlags {
  args: string[];
  cwd?: string;
  env?: string[];
  /** <uid>[:<gid>] */
  user?: string;
  additionalGids?: string[];
  caps?: string[];
  /** Only when given: runc overrides noNewPrivileges only if the flag is set. */
  noNewPrivs?: boolean;
  apparmor?: string;
  processLabel?: string;
  /** -t: a terminal for the process. */
  tty?: boolean;
}

export interface ExecPlanOptions {
  host: HostFacts;
  warn(message: string): void;
  inheritedNofile?: [number, number];
  preserveFds?: number;
  /** A --pidfd-socket was given. */
  pidfdSocket?: boolean;
  /** Where the process goes: the container's cgroup, or the --cgroup sub-cgroups (cgroups/placement.ts). */
  cgroup?: Placement;
}

/** The files under /proc/<pid>/ns/ by namespace type: every type tsrun makes or joins (and `features` lists). */
export const NS_FILES: Record<string, string> = {
  pid: 'pid', network: 'net', mount: 'mnt', ipc: 'ipc', uts: 'uts', user: 'user', cgroup: 'cgroup', time: 'time',
};

const MAX_ID = 2 ** 32 - 1;

function parseId(text: string, what: string, flag: string, hint: string): number {
  const n = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(n <= MAX_ID)) throw new TsrunError(`${flag}: "${text}" is not a ${what}; ${hint}`);
  return n;
}

/**
 * The process from the container's config.process, changed by the flags as
 * runc changes it: the command replaces args, --env appends, --cap adds to
 * the bounding, effective and permitted sets (runc 1.1.2 and later leave
 * inheritable and ambient alone), the others replace their field.
 */
export function processFromFlags(base: Process | undefined, flags: ExecFlags): Process {
  if (!flags.args.length) throw new TsrunError('process args cannot be empty: give a command after the container id, or --process');
  if (!base) throw new TsrunError("the container's config has no process to start from; use --process");
  const p: Process = structuredClone(base);
  p.args = flags.args;
  if (flags.cwd) {
    if (!path.posix.isAbsolute(flags.cwd)) throw new TsrunError(`--cwd: must be an absolute path inside the container (found ${JSON.stringify(flags.cwd)})`);
    p.cwd = flags.cwd;
  }
  if (flags.apparmor) p.apparmorProfile = flags.apparmor;
  if (flags.processLabel) p.selinuxLabel = flags.processLabel;
  if (flags.caps?.length) {
    const caps = (p.capabilities ??= {});
    for (const set of ['bounding', 'effective', 'permitted'] as const) caps[set] = [...(caps[set] ?? []), ...flags.caps];
  }
  if (flags.env?.length) p.env = [...(p.env ?? []), ...flags.env];
  // runc takes the terminal from -t only, never from the container's config.
  p.terminal = flags.tty === true;
  if (!p.terminal) delete p.consoleSize;
  if (flags.noNewPrivs !== undefined) p.noNewPrivileges = flags.noNewPrivs;
  if (flags.user) {
    const colon = flags.user.indexOf(':');
    const uid = colon < 0 ? flags.user : flags.user.slice(0, colon);
    const gid = colon < 0 ? undefined : flags.user.slice(colon + 1);
    const hint = 'use <uid>[:<gid>] with numbers, e.g. 1000:1000';
    p.user = { ...p.user, uid: parseId(uid, 'uid', '--user', hint) };
    if (gid !== undefined) p.user.gid = parseId(gid, 'gid', '--user', hint);
  }
  for (const g of flags.additionalGids ?? []) {
    p.user ??= {};
    p.user.additionalGids = [...(p.user.additionalGids ?? []), parseId(g, 'gid', '--additional-gids', 'give a number from 0 to 4294967295')];
  }
  checkAgainstSchema(p, flags, base.env?.length ?? 0);
  return p;
}

/**
 * The process the flags made passes the config schema, as a --process file
 * must (NUL bytes, NAME=value env entries, ...); a problem is told by the
 * flag or the command argument it came from.
 */
function checkAgainstSchema(p: Process, flags: ExecFlags, savedEnv: number): void {
  try {
    validateSchema({ ociVersion: '1.0.0', process: p });
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    const problem = new ConfigPathError(e.path, e.reason);
    const arg = /^\/process\/args\/(\d+)$/.exec(e.path);
    if (arg) throw problem.from({ kind: 'flag', flag: `the command's argument ${arg[1]}` });
    const env = /^\/process\/env\/(\d+)$/.exec(e.path);
    if (env && Number(env[1]) >= savedEnv) throw problem.from({ kind: 'flag', flag: '--env' });
    const flag = Object.entries(flagFields(flags)).find(([field]) => isUnder(e.path, field))?.[1];
    throw problem.from(flag ? { kind: 'flag', flag } : { kind: 'saved-config' });
  }
}

/**
 * The /process fields the flags set, each with the flag to name in errors
 * about it ('' for args: an error about the command speaks for itself).
 */
export function flagFields(flags: ExecFlags): Record<string, string> {
  const f: Record<string, string> = { '/process/args': '' };
  if (flags.cwd) f['/process/cwd'] = '--cwd';
  if (flags.user) f['/process/user'] = '--user';
  else if (flags.additionalGids?.length) f['/process/user'] = '--additional-gids';
  if (flags.caps?.length) f['/process/capabilities'] = '--cap';
  if (flags.apparmor) f['/process/apparmorProfile'] = '--apparmor';
  if (flags.processLabel) f['/process/selinuxLabel'] = '--process-label';
  if (flags.noNewPrivs !== undefined) f['/process/noNewPrivileges'] = '--no-new-privs';
  return f;
}

/**
 * A --process file, already schema-checked, with what runc's
 * validateProcessSpec adds: args and an absolute cwd are required.
 */
export function checkProcessFile(proc: Process, file: string): Process {
  if (!proc.args?.length) throw new TsrunError(`${file}: /args: must be a non-empty array`);
  if (!path.posix.isAbsolute(proc.cwd)) {
    throw new TsrunError(`${file}: /cwd: must be an absolute path inside the container (found ${JSON.stringify(proc.cwd)})`);
  }
  return proc;
}

/** The plan tsrun-init follows to run proc in the container of state. */
export function buildExecPlan(state: StoredState, proc: Process, opts: ExecPlanOptions): ExecPlan {
  // The init's own links, as runc joins them: they name the namespaces it
  // is in, whether create made them or joined them by path.
  const namespaces = joinOrder(
    (state.config.linux?.namespaces ?? []).map((ns, i) => ({
      type: ns.type,
      cloneFlag: NS_CLONE_FLAGS[ns.type],
      path: `/proc/${state.pid}/ns/${NS_FILES[ns.type]}`,
      configPath: `/linux/namespaces/${i}`,
    })),
  );
  return {
    version: PLAN_VERSION,
    mode: 'exec',
    namespaces,
    sessionKeyring: state.noNewKeyring ? undefined : state.id,
    process: planProcess(proc, state.config, opts),
    cgroupSync: opts.cgroup !== undefined,
    ...withCgroupInto(opts.cgroup && cloneTarget(opts.cgroup, namespaces.some((n) => n.type === 'user'), '')),
    chrootFrom: namespaces.some((n) => n.type === 'mount') ? undefined : `/proc/${state.pid}/root`,
  };
}
