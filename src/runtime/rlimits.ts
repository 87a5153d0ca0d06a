// process.rlimits: checked against what this process may grant before any
// process is started, so the error says which limit, what was asked, what the
// ceiling is and why, instead of runc's bare "error setting rlimit type 7".
import type { Rlimit } from '../spec/types.js';
import { CAP_SYS_RESOURCE } from './capabilities.js';
import { PlanError } from '../core/errors.js';

/** RLIMIT_* names by number (include/uapi/asm-generic/resource.h). */
export const RLIMIT_NAMES = [
  'RLIMIT_CPU', 'RLIMIT_FSIZE', 'RLIMIT_DATA', 'RLIMIT_STACK', 'RLIMIT_CORE', 'RLIMIT_RSS', 'RLIMIT_NPROC',
  'RLIMIT_NOFILE', 'RLIMIT_MEMLOCK', 'RLIMIT_AS', 'RLIMIT_LOCKS', 'RLIMIT_SIGPENDING', 'RLIMIT_MSGQUEUE',
  'RLIMIT_NICE', 'RLIMIT_RTPRIO', 'RLIMIT_RTTIME',
] as const;
export const RLIMIT_NOFILE = 7;

export type { RlimitPlan } from './plan-schema.js';
import type { RlimitPlan } from './plan-schema.js';

// JSON numbers past 2^53 arrive rounded; anything at or past 2^63 means "unlimited".
const asRlim = (v: number): bigint => (v >= 2 ** 63 ? -1n : BigInt(v));
const show = (v: bigint | number): string => (v === -1n || v === Infinity ? 'unlimited' : String(v));

export function planRlimits(rlimits: Rlimit[] | undefined, hardLimits: number[], capEff: bigint): RlimitPlan[] {
  const seen = new Set<string>();
  const canRaise = (capEff & (1n << BigInt(CAP_SYS_RESOURCE))) !== 0n;
  return (rlimits ?? []).map((r, i) => {
    const configPath = `/process/rlimits/${i}`;
    const type = (RLIMIT_NAMES as readonly string[]).indexOf(r.type);
    if (type < 0) throw new PlanError(`${configPath}/type`, `unknown rlimit "${r.type}"; use one of ${RLIMIT_NAMES.join(', ')}`);
    if (seen.has(r.type)) throw new PlanError(`${configPath}/type`, `${r.type} is listed twice; list each rlimit once`);
    seen.add(r.type);
    const soft = asRlim(r.soft);
    const hard = asRlim(r.hard);
    const above = (a: bigint, b: bigint) => (b !== -1n && (a === -1n || a > b));
    if (above(soft, hard)) {
      throw new PlanError(configPath, `${r.type}: the soft limit ${show(soft)} is above the hard limit ${show(hard)}; soft must be <= hard`);
    }
    const current = hardLimits[type];
    if (!canRaise && current !== undefined && current !== Infinity && above(hard, BigInt(current))) {
      throw new PlanError(
        configPath,
        `cannot set ${r.type} to hard ${show(hard)}: the current hard limit is ${current}, and raising a hard limit ` +
          `needs CAP_SYS_RESOURCE, which tsrun does not have here; ask for a hard limit of at most ${current}`,
      );
    }
    return { type, soft, hard, configPath };
  });
}
