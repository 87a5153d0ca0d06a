// Limits of the kernel that a process config can exceed, checked at plan time
// so create fails naming the field instead of the kernel refusing later with a
// bare errno (execve's E2BIG comes after `start`; setgroups' EINVAL is anonymous).
import type { Process } from '../spec/types.js';
import { PlanError } from '../core/errors.js';

/** MAX_ARG_STRLEN (32 pages): the longest argument or environment string execve takes, NUL included. */
export const MAX_ARG_STRLEN = 32 * 4096;
/** NGROUPS_MAX of the kernel headers; the host's own is /proc/sys/kernel/ngroups_max. */
export const DEFAULT_NGROUPS_MAX = 65536;

export function checkKernelLimits(proc: Process, ngroupsMax = DEFAULT_NGROUPS_MAX): void {
  for (const field of ['args', 'env'] as const) {
    (proc[field] ?? []).forEach((s, i) => {
      const bytes = Buffer.byteLength(s);
      if (bytes >= MAX_ARG_STRLEN) {
        throw new PlanError(
          `/process/${field}/${i}`,
          `is ${bytes} bytes; the kernel's execve takes at most ${MAX_ARG_STRLEN - 1} bytes per argument or ` +
            'environment string (MAX_ARG_STRLEN), so the process could not start ("argument list too long"); shorten it',
        );
      }
    });
  }
  const gids = proc.user?.additionalGids?.length ?? 0;
  if (gids > ngroupsMax) {
    throw new PlanError(
      '/process/user/additionalGids',
      `lists ${gids} groups; the kernel allows at most ${ngroupsMax} (NGROUPS_MAX, /proc/sys/kernel/ngroups_max); list fewer`,
    );
  }
}
