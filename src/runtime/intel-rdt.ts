// linux.intelRdt: tsrun makes no resctrl groups, so the field is refused, and
// the refusal says what this host lacks: a CPU with Resource Director
// Technology, a kernel with the resctrl filesystem, resctrl mounted. Only
// where all three are there is the missing piece tsrun itself.
import fs from 'node:fs';

export interface RdtFacts {
  /** RDT's cpuinfo flags this CPU has: rdt_a (allocation), cqm_* (monitoring), cat_l3, cdp_l3, mba. */
  cpuFlags: string[];
  /** The kernel lists resctrl in /proc/filesystems. */
  kernelResctrl: boolean;
  /** Where resctrl is mounted (/sys/fs/resctrl), if it is. */
  mount?: string;
}

const RDT_FLAGS = new Set(['rdt_a', 'cat_l3', 'cat_l2', 'cdp_l3', 'cdp_l2', 'mba', 'cqm_llc', 'cqm_occup_llc', 'cqm_mbm_total', 'cqm_mbm_local']);

/** Parses /proc/cpuinfo, /proc/filesystems and /proc/self/mountinfo text. */
export function parseRdtFacts(cpuinfo: string, filesystems: string, mountinfo: string): RdtFacts {
  const flags = /^flags\s*:(.*)$/m.exec(cpuinfo)?.[1].trim().split(/\s+/) ?? [];
  const mountLine = mountinfo.split('\n').find((l) => / - resctrl /.test(l));
  return {
    cpuFlags: flags.filter((f) => RDT_FLAGS.has(f)),
    kernelResctrl: /\bresctrl$/m.test(filesystems),
    mount: mountLine?.split(' ')[4],
  };
}

const read = (file: string) => {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
};

export function readRdtFacts(): RdtFacts {
  return parseRdtFacts(read('/proc/cpuinfo'), read('/proc/filesystems'), read('/proc/self/mountinfo'));
}

/** Why linux.intelRdt (or update's RDT flags) cannot be honoured here: the host's first missing piece, then tsrun's. */
export function intelRdtRefusal(f: RdtFacts): string {
  const tsrun = 'and tsrun does not make resctrl groups (Intel RDT is not supported)';
  if (!f.cpuFlags.includes('rdt_a') && !f.cpuFlags.some((c) => c.startsWith('cqm'))) {
    return `this CPU lacks Resource Director Technology (no rdt_a or cqm_llc flag in /proc/cpuinfo), ${tsrun}`;
  }
  if (!f.kernelResctrl) return `this CPU has RDT (${f.cpuFlags.join(' ')}), but the kernel has no resctrl filesystem (CONFIG_X86_CPU_RESCTRL), ${tsrun}`;
  if (!f.mount) return `resctrl is not mounted at /sys/fs/resctrl (mount -t resctrl resctrl /sys/fs/resctrl; the CPU has ${f.cpuFlags.join(' ')}), ${tsrun}`;
  return `resctrl is mounted at ${f.mount} and the CPU has RDT (${f.cpuFlags.join(' ')}), but tsrun does not make resctrl groups: Intel RDT is not supported`;
}
