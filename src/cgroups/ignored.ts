// Fields of linux.resources that tsrun accepts and ignores, with a warning
// naming each: kernel memory limits. The spec marks them NOT RECOMMENDED,
// Linux 5.16 and later enforce none, cgroup v2 never had them, and runc has
// ignored both since 1.0. Ignoring them on every host (also on an old v1
// kernel that still has the files) keeps one behaviour everywhere, as runc 1.1.
import { configWarning, type ConfigProblem } from '../core/errors.js';
import type { Resources } from '../spec/types.js';

/** The ignored fields r sets, as problems at /linux/resources/...; the caller words them for its source. */
export function ignoredResourceFields(r: Resources | undefined): ConfigProblem[] {
  const m = r?.memory;
  if (!m) return [];
  return (['kernel', 'kernelTCP'] as const)
    .filter((field) => m[field] !== undefined)
    .map((field) => ({
      source: { kind: 'config' },
      path: `/linux/resources/memory/${field}`,
      reason:
        'kernel memory limits are ignored (not recommended by the runtime spec, not enforced since Linux 5.16, ' +
        'absent from cgroup v2; runc ignores them too)',
      hint: 'remove it',
    }));
}

/** The warnings for the ignored fields a config's linux.resources sets. */
export function ignoredResourceWarnings(r: Resources | undefined): string[] {
  return ignoredResourceFields(r).map((p) => configWarning(p.path, `${p.reason}; ${p.hint}`));
}
