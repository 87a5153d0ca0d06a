// linux.seccomp (config-linux.md "Seccomp"), planned in the parent: every
// check that can be made before a process exists, then libseccomp (in the
// addon) compiles the filter to BPF. tsrun-init only loads that program, so
// it needs no libseccomp and no parsing of its own. runc's behaviour is the
// reference where the spec leaves room.
import createDebug from 'debug';
import { endianness } from 'node:os';
import { SECCOMP_ARCHES } from '../spec/seccomp-arches.js';
import type { Seccomp, SyscallArg } from '../spec/types.js';
import { nativeCore, type NativeCore, type SeccompCompileError, type SeccompCompileSpec } from '../core/native.js';
import { configWarning, PlanError } from '../core/errors.js';

const debug = createDebug('tsrun:seccomp');

export type { SeccompPlan } from './plan-schema.js';
import type { SeccompPlan } from './plan-schema.js';

const P = '/linux/seccomp';
const EPERM = 1;
const ENOSYS = 38;
const EDOM = 33;

// SCMP_ACT_* values (seccomp.h). They are the kernel's SECCOMP_RET_* actions,
// which is what seccompSupport() reports as available.
const ACTIONS: Record<string, { value: number; errno?: true; minKernel: string }> = {
  SCMP_ACT_KILL: { value: 0x00000000, minKernel: '3.5' }, // = KILL_THREAD
  SCMP_ACT_KILL_THREAD: { value: 0x00000000, minKernel: '3.5' },
  SCMP_ACT_KILL_PROCESS: { value: 0x80000000, minKernel: '4.14' },
  SCMP_ACT_TRAP: { value: 0x00030000, minKernel: '3.5' },
  SCMP_ACT_ERRNO: { value: 0x00050000, errno: true, minKernel: '3.5' },
  SCMP_ACT_TRACE: { value: 0x7ff00000, errno: true, minKernel: '3.5' },
  SCMP_ACT_ALLOW: { value: 0x7fff0000, minKernel: '3.5' },
  SCMP_ACT_LOG: { value: 0x7ffc0000, minKernel: '4.14' },
  SCMP_ACT_NOTIFY: { value: 0x7fc00000, minKernel: '5.0' },
};

// enum scmp_compare.
const OPERATORS: Record<string, number> = {
  SCMP_CMP_NE: 1, SCMP_CMP_LT: 2, SCMP_CMP_LE: 3, SCMP_CMP_EQ: 4, SCMP_CMP_GE: 5, SCMP_CMP_GT: 6, SCMP_CMP_MASKED_EQ: 7,
};

// SECCOMP_FILTER_FLAG_* bits. TSYNC has nothing to do: init is single-threaded
// when it loads the filter (and TSYNC would clash with NEW_LISTENER).
const FLAGS: Record<string, { bit: number; minKernel: string }> = {
  SECCOMP_FILTER_FLAG_TSYNC: { bit: 0, minKernel: '3.17' },
  SECCOMP_FILTER_FLAG_LOG: { bit: 1 << 1, minKernel: '4.14' },
  SECCOMP_FILTER_FLAG_SPEC_ALLOW: { bit: 1 << 2, minKernel: '4.17' },
  SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV: { bit: 1 << 5, minKernel: '5.19' },
};

// The runtime-spec's names. Which of them this build can filter is asked of
// the linked libseccomp itself (seccompFacts), never inferred from its version.
const ARCHITECTURES: readonly string[] = SECCOMP_ARCHES;

/** libseccomp's name for a spec architecture: SCMP_ARCH_X86_64 is "x86_64", SCMP_ARCH_RISCV64 "riscv64". */
const libseccompArch = (arch: string) => arch.slice('SCMP_ARCH_'.length).toLowerCase();

/** A syscall has at most six arguments. */
const MAX_ARG_INDEX = 5;
/** SECCOMP_RET_DATA: the errno (or tracer message) is 16 bits. */
const MAX_ERRNO_RET = 0xffff;
/** Above this many syscalls entries runc (and so we) ask libseccomp for a binary tree. */
const OPTIMIZE_ABOVE = 32;
/** The longest unix socket path (sun_path less its NUL). */
const MAX_SOCKET_PATH = 107;
/**
 * tsrun-init sends the listener fd to the parent with sendmsg after the
 * filter is loaded: a notify on it would wait for an agent that cannot have
 * the fd yet. (runc refuses write for the same reason.)
 */
const HANDOFF_SYSCALL = 'sendmsg';

/**
 * What this kernel and libseccomp can do: seccompSupport()'s flags, actions
 * and version, and archs, the spec architectures the linked libseccomp
 * resolves (seccompKnownArchs).
 */
export type SeccompFacts = ReturnType<NativeCore['seccompSupport']> & { archs: string[] };
/** The probe costs a few syscalls: once per addon (tests pass fakes). */
const supportCache = new WeakMap<NativeCore, SeccompFacts>();

export function seccompFacts(core: NativeCore = nativeCore): SeccompFacts {
  let have = supportCache.get(core);
  if (!have) {
    const known = new Set(core.seccompKnownArchs(ARCHITECTURES.map(libseccompArch)));
    have = { ...core.seccompSupport(), archs: ARCHITECTURES.filter((a) => known.has(libseccompArch(a))) };
    supportCache.set(core, have);
  }
  return have;
}

function oneOf(names: readonly string[]): string {
  return `use one of ${names.join(', ')}`;
}

function actionValue(name: string, errnoRet: number | undefined, path: string, errnoPath: string): number {
  const a = ACTIONS[name];
  if (!a) throw new PlanError(path, `unknown action ${JSON.stringify(name)}; ${oneOf(Object.keys(ACTIONS))}`);
  if (errnoRet === undefined) return a.errno ? (a.value | EPERM) >>> 0 : a.value;
  // config-linux.md: an action that returns no errno with an errno set is an error.
  if (!a.errno) {
    throw new PlanError(errnoPath, `${name} returns no errno; only SCMP_ACT_ERRNO and SCMP_ACT_TRACE take one, so remove it or change the action`);
  }
  if (!Number.isInteger(errnoRet) || errnoRet < 0 || errnoRet > MAX_ERRNO_RET) {
    throw new PlanError(errnoPath, `must be an integer from 0 to ${MAX_ERRNO_RET} (seccomp returns 16 bits), not ${errnoRet}`);
  }
  return (a.value | errnoRet) >>> 0;
}

function u64(v: number | bigint, path: string, warn: (msg: string) => void): bigint {
  if (typeof v === 'bigint') {
    if (v < 0n || v > 0xffffffffffffffffn) throw new PlanError(path, `must be from 0 to 18446744073709551615, not ${v}`);
    return v;
  }
  if (!Number.isInteger(v) || v < 0) throw new PlanError(path, `must be an integer from 0 to 18446744073709551615, not ${v}`);
  // JSON numbers are doubles: 2^64-1 reads back as 2^64, and anything above
  // 2^53 may have been rounded. Say so instead of comparing a value nobody wrote.
  const n = v >= 2 ** 64 ? 0xffffffffffffffffn : BigInt(v);
  if (!Number.isSafeInteger(v)) {
    warn(configWarning(path, `${v} is above 2^53, where JSON numbers lose precision; the filter compares with ${n} (0x${n.toString(16)})`));
  }
  return n;
}

function planArgs(args: SyscallArg[], path: string, warn: (msg: string) => void): SeccompCompileSpec['rules'][number]['args'] {
  return args.map((arg, k) => {
    const at = `${path}/args/${k}`;
    if (!Number.isInteger(arg.index) || arg.index < 0 || arg.index > MAX_ARG_INDEX) {
      throw new PlanError(`${at}/index`, `a syscall has arguments 0 to ${MAX_ARG_INDEX}, so ${arg.index} names none`);
    }
    const op = OPERATORS[arg.op];
    if (op === undefined) throw new PlanError(`${at}/op`, `unknown operator ${JSON.stringify(arg.op)}; ${oneOf(Object.keys(OPERATORS))}`);
    if (arg.valueTwo !== undefined && arg.op !== 'SCMP_CMP_MASKED_EQ') {
      debug('%s/valueTwo is ignored: only SCMP_CMP_MASKED_EQ reads it', at);
    }
    return {
      index: arg.index,
      op,
      value: u64(arg.value, `${at}/value`, warn),
      valueTwo: arg.valueTwo === undefined ? 0n : u64(arg.valueTwo, `${at}/valueTwo`, warn),
    };
  });
}

/**
 * The names linux.seccomp takes, for `features`: every action, operator and
 * flag planSeccomp recognises, the architectures this libseccomp can filter,
 * and the flags this kernel accepts too (TSYNC needs nothing: see FLAGS).
 */
export function seccompNames(have: SeccompFacts): {
  actions: string[]; operators: string[]; archs: string[]; knownFlags: string[]; supportedFlags: string[];
} {
  return {
    actions: Object.keys(ACTIONS),
    operators: Object.keys(OPERATORS),
    archs: ARCHITECTURES.filter((a) => have.archs.includes(a)),
    knownFlags: Object.keys(FLAGS),
    supportedFlags: Object.keys(FLAGS).filter((n) => FLAGS[n].bit === 0 || (have.flags & FLAGS[n].bit) !== 0),
  };
}

function checkKernelAction(name: string, path: string, have: SeccompFacts): void {
  const a = ACTIONS[name];
  if (!have.actions.includes(a.value)) {
    throw new PlanError(path, `this kernel does not support ${name} (it needs Linux ${a.minKernel} or later); use another action`);
  }
}

/**
 * Validates and normalises linux.seccomp and compiles it to BPF. Returns
 * undefined when there is no seccomp section. Errors name the config path.
 */
export function planSeccomp(seccomp: Seccomp | undefined, warn: (msg: string) => void, core: NativeCore = nativeCore): SeccompPlan | undefined {
  if (!seccomp) return undefined;
  const have = seccompFacts(core);

  const defaultName = seccomp.defaultAction;
  const defaultAction = actionValue(defaultName, seccomp.defaultErrnoRet, `${P}/defaultAction`, `${P}/defaultErrnoRet`);
  if (defaultName === 'SCMP_ACT_NOTIFY') {
    throw new PlanError(`${P}/defaultAction`, `SCMP_ACT_NOTIFY cannot be the default action: tsrun-init must still send the listener fd to the runtime after loading the filter; notify on chosen syscalls instead`);
  }
  checkKernelAction(defaultName, `${P}/defaultAction`, have);

  const architectures = (seccomp.architectures ?? []).map((arch, i) => {
    if (!ARCHITECTURES.includes(arch)) {
      throw new PlanError(`${P}/architectures/${i}`, `unknown architecture ${JSON.stringify(arch)}; ${oneOf(ARCHITECTURES)}`);
    }
    if (!have.archs.includes(arch)) {
      throw new PlanError(`${P}/architectures/${i}`,
        `libseccomp ${have.libseccomp} cannot filter ${arch}: it does not know the architecture ${JSON.stringify(libseccompArch(arch))}; remove it or use a libseccomp that has it`);
    }
    return libseccompArch(arch);
  });

  const rules: SeccompCompileSpec['rules'] = [];
  const allNames: string[] = [];
  let notify = false;
  (seccomp.syscalls ?? []).forEach((call, i) => {
    const at = `${P}/syscalls/${i}`;
    if (!Array.isArray(call.names) || call.names.length === 0) throw new PlanError(`${at}/names`, 'must name at least one syscall');
    call.names.forEach((name, j) => {
      if (typeof name !== 'string' || name === '') throw new PlanError(`${at}/names/${j}`, 'a syscall name cannot be empty');
    });
    const action = actionValue(call.action, call.errnoRet, `${at}/action`, `${at}/errnoRet`);
    checkKernelAction(call.action, `${at}/action`, have);
    const args = planArgs(call.args ?? [], at, warn);
    allNames.push(...call.names);
    // libseccomp refuses a rule that repeats the default action; it would change nothing.
    if (action === defaultAction) {
      debug('%s: same action as the default, skipped', at);
      return;
    }
    if (call.action === 'SCMP_ACT_NOTIFY') {
      const j = call.names.indexOf(HANDOFF_SYSCALL);
      if (j >= 0) {
        throw new PlanError(`${at}/names/${j}`, `SCMP_ACT_NOTIFY cannot be used for ${HANDOFF_SYSCALL}: tsrun-init sends the listener fd to the runtime with it, after the filter is loaded, so no agent could answer yet`);
      }
      notify = true;
    }
    // As runc: conditions on distinct arguments are ANDed in one rule, but
    // several on the same argument become one rule each (ORed).
    const indexes = args.map((a) => a.index);
    const repeated = new Set(indexes).size !== indexes.length;
    if (repeated) for (const arg of args) rules.push({ source: i, action, names: call.names, args: [arg] });
    else rules.push({ source: i, action, names: call.names, args });
  });

  let flags = 0;
  (seccomp.flags ?? []).forEach((name, i) => {
    const at = `${P}/flags/${i}`;
    const f = FLAGS[name];
    if (!f) throw new PlanError(at, `unknown flag ${JSON.stringify(name)}; ${oneOf(Object.keys(FLAGS))}`);
    if (f.bit === 0) return;
    if ((have.flags & f.bit) === 0) {
      throw new PlanError(at, `this kernel does not support ${name} (it needs Linux ${f.minKernel} or later); remove it`);
    }
    if (name === 'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV' && !notify) {
      // The kernel takes it only with a listener; without one it means nothing.
      warn(configWarning(at, `${name} has no effect without an SCMP_ACT_NOTIFY rule; ignored`));
      return;
    }
    flags |= f.bit;
  });

  if (seccomp.listenerMetadata !== undefined && seccomp.listenerPath === undefined) {
    throw new PlanError(`${P}/listenerMetadata`, 'must not be set without listenerPath (config-linux.md)');
  }
  if (notify) {
    const lp = seccomp.listenerPath;
    if (!lp) {
      throw new PlanError(`${P}/listenerPath`, 'SCMP_ACT_NOTIFY needs a listenerPath: the unix socket of the seccomp agent that receives the notify fd');
    }
    if (Buffer.byteLength(lp) > MAX_SOCKET_PATH) {
      throw new PlanError(`${P}/listenerPath`, `a unix socket path has at most ${MAX_SOCKET_PATH} bytes; this one has ${Buffer.byteLength(lp)}`);
    }
  } else if (seccomp.listenerPath !== undefined) {
    debug('listenerPath is ignored: no rule uses SCMP_ACT_NOTIFY');
  }

  // -ENOSYS for syscalls newer than the profile only when the default would
  // otherwise refuse them; TRACE counts as permissive (runc: a tracer should
  // handle new syscalls itself). A default of ERRNO(ENOSYS) already does it.
  const permissive = ['SCMP_ACT_ALLOW', 'SCMP_ACT_LOG', 'SCMP_ACT_TRACE'].includes(defaultName);
  const enosys = !permissive && defaultAction !== ((ACTIONS.SCMP_ACT_ERRNO.value | ENOSYS) >>> 0);

  let compiled: { bpf: Buffer; unknown: string[] };
  try {
    compiled = core.compileSeccomp({
      defaultAction,
      architectures,
      rules,
      enosys,
      enosysNames: enosys ? [...new Set(allNames)] : [],
      optimize: (seccomp.syscalls?.length ?? 0) > OPTIMIZE_ABOVE,
    });
  } catch (e) {
    throw compileError(e as SeccompCompileError, seccomp, have);
  }
  for (const name of compiled.unknown) debug('syscall %s is unknown to libseccomp %s: its rules are skipped', name, have.libseccomp);

  return {
    bpf: compiled.bpf,
    flags,
    notify,
    ...(notify ? { listenerPath: seccomp.listenerPath, listenerMetadata: seccomp.listenerMetadata } : {}),
  };
}

function compileError(e: SeccompCompileError, seccomp: Seccomp, have: SeccompFacts): Error {
  if (typeof e?.errno !== 'number') return e;
  if (e.arch !== undefined) {
    const arch = seccomp.architectures?.[e.arch];
    // libseccomp's EDOM from seccomp_arch_add: the filter always holds this host's own ABI, and one filter has one byte order.
    if (e.errno === EDOM) {
      return new PlanError(`${P}/architectures/${e.arch}`, `${arch} cannot share a filter with this host's own architecture (${process.arch}, ${endianness() === 'LE' ? 'little' : 'big'}-endian): libseccomp puts only architectures of one byte order in a filter; remove it`);
    }
    return new PlanError(`${P}/architectures/${e.arch}`, `libseccomp ${have.libseccomp} cannot filter ${arch} (${e.message}); remove it or use a newer libseccomp`);
  }
  if (e.rule !== undefined) return new PlanError(`${P}/syscalls/${e.rule}`, e.message);
  return new PlanError(P, e.message);
}
