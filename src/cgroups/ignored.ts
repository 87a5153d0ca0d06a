// Fields of linux.resources that tsrun accepts and ignores, with a warning
// naming each: kernel memory limits. The spec marks them NOT RECOMMENDED,
// Linux 5.16 and later enforce none, cgroup v2 never had them, and runc has
// ignored both since 1.0. Ignoring them on every host (also on an old v1
// kernel that still has the files) keeps one behaviour everywhere, as runc 1.1.
import { configWarning } from '../core/errors.js';
import type { Resources } from '../spec/types.js';

/** The warnings for the ignored fields r sets; prefix is where r sits ('/linux/resources'). */
export function ignoredResourceWarnings(r: Resources | undefined, prefix = '/linux/resources'): string[] {
  const m = r?.memory;
  if (!m) return [];
  const out: string[] = [];
  for (const field of ['kernel', 'kernelTCP'] as const) {
    if (m[field] === undefined) continue;
    out.push(
      configWarning(
        `${prefix}/memory/${field}`,
        'kernel memory limits are ignored (not recommended by the runtime spec, not enforced since Linux 5.16, ' +
          'absent from cgroup v2; runc ignores them too); remove the field',
      ),
    );
  }
  return out;
}
