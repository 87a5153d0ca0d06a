// Turns a mount's `options` into mount(2) flags, propagation changes and the
// filesystem's data string, with the option names runc and the spec use.
import { MOUNT_ATTR, MS } from './linux.js';
import { UnsupportedError } from '../core/errors.js';

export interface ParsedMountOptions {
  flags: number;
  propagation: number[];
  data: string[];
  /** mount_setattr(AT_RECURSIVE) attributes to set and clear, from the r* options. */
  recAttrSet: number;
  recAttrClr: number;
  /** idmap (this mount only) or ridmap (the mounts below it too): an idmapped mount. */
  idmap?: 'idmap' | 'ridmap';
}

// [set flag, or clear it] for each flag option.
const FLAG_OPTIONS: Record<string, { set?: number; clear?: number }> = {
  defaults: {},
  ro: { set: MS.RDONLY },
  rw: { clear: MS.RDONLY },
  nosuid: { set: MS.NOSUID },
  suid: { clear: MS.NOSUID },
  nodev: { set: MS.NODEV },
  dev: { clear: MS.NODEV },
  noexec: { set: MS.NOEXEC },
  exec: { clear: MS.NOEXEC },
  sync: { set: MS.SYNCHRONOUS },
  async: { clear: MS.SYNCHRONOUS },
  dirsync: { set: MS.DIRSYNC },
  remount: { set: MS.REMOUNT },
  mand: { set: MS.MANDLOCK },
  nomand: { clear: MS.MANDLOCK },
  atime: { clear: MS.NOATIME },
  noatime: { set: MS.NOATIME },
  diratime: { clear: MS.NODIRATIME },
  nodiratime: { set: MS.NODIRATIME },
  relatime: { set: MS.RELATIME },
  norelatime: { clear: MS.RELATIME },
  strictatime: { set: MS.STRICTATIME },
  nostrictatime: { clear: MS.STRICTATIME },
  lazytime: { set: MS.LAZYTIME },
  nolazytime: { clear: MS.LAZYTIME },
  nosymfollow: { set: MS.NOSYMFOLLOW },
  symfollow: { clear: MS.NOSYMFOLLOW },
  bind: { set: MS.BIND },
  rbind: { set: MS.BIND | MS.REC },
};

export const PROPAGATION_OPTIONS: Record<string, number> = {
  private: MS.PRIVATE,
  rprivate: MS.PRIVATE | MS.REC,
  shared: MS.SHARED,
  rshared: MS.SHARED | MS.REC,
  slave: MS.SLAVE,
  rslave: MS.SLAVE | MS.REC,
  unbindable: MS.UNBINDABLE,
  runbindable: MS.UNBINDABLE | MS.REC,
};

// The recursive options apply to every mount below too, through mount_setattr.
// An atime mode replaces the whole atime field, which the kernel wants cleared as a unit.
const A = MOUNT_ATTR;
const RECURSIVE_OPTIONS: Record<string, { set?: number; clear?: number }> = {
  rro: { set: A.RDONLY },
  rrw: { clear: A.RDONLY },
  rnosuid: { set: A.NOSUID },
  rsuid: { clear: A.NOSUID },
  rnodev: { set: A.NODEV },
  rdev: { clear: A.NODEV },
  rnoexec: { set: A.NOEXEC },
  rexec: { clear: A.NOEXEC },
  rnodiratime: { set: A.NODIRATIME },
  rdiratime: { clear: A.NODIRATIME },
  rnosymfollow: { set: A.NOSYMFOLLOW },
  rsymfollow: { clear: A.NOSYMFOLLOW },
  rnoatime: { set: A.NOATIME, clear: A.ATIME_MASK },
  rstrictatime: { set: A.STRICTATIME, clear: A.ATIME_MASK },
  rrelatime: { set: A.RELATIME, clear: A.ATIME_MASK },
  ratime: { set: A.RELATIME, clear: A.ATIME_MASK },
  rnorelatime: { set: A.RELATIME, clear: A.ATIME_MASK },
  rnostrictatime: { set: A.RELATIME, clear: A.ATIME_MASK },
};

// Options tsrun does not implement: refused by name rather than passed to the filesystem.
const NOT_YET = /^(tmpcopyup)$/;
const IDMAP_OPTIONS = ['idmap', 'ridmap'] as const;

/**
 * Every option name parsed here as a flag, propagation or recursive option,
 * as `features` lists them; the filesystem's own (passed on as data) and the
 * refused ones are not among them.
 */
export const MOUNT_OPTION_NAMES: readonly string[] = [
  ...Object.keys(FLAG_OPTIONS), ...Object.keys(PROPAGATION_OPTIONS), ...Object.keys(RECURSIVE_OPTIONS), ...IDMAP_OPTIONS,
];

export function parseMountOptions(options: readonly string[], configPath: string): ParsedMountOptions {
  let flags = 0;
  const propagation: number[] = [];
  const data: string[] = [];
  let recAttrSet = 0;
  let recAttrClr = 0;
  let idmap: ParsedMountOptions['idmap'];
  options.forEach((opt, i) => {
    if (opt === 'idmap' || opt === 'ridmap') {
      idmap = opt;
      return;
    }
    const rec = Object.hasOwn(RECURSIVE_OPTIONS, opt) ? RECURSIVE_OPTIONS[opt] : undefined;
    if (rec) {
      if (rec.clear) {
        recAttrClr |= rec.clear;
        recAttrSet &= ~rec.clear;
      }
      if (rec.set) {
        recAttrSet |= rec.set;
        if (!rec.clear) recAttrClr &= ~rec.set;
      }
      return;
    }
    const flag = Object.hasOwn(FLAG_OPTIONS, opt) ? FLAG_OPTIONS[opt] : undefined;
    if (flag) {
      if (flag.set) flags |= flag.set;
      if (flag.clear) flags &= ~flag.clear;
    } else if (Object.hasOwn(PROPAGATION_OPTIONS, opt)) {
      propagation.push(PROPAGATION_OPTIONS[opt]);
    } else if (NOT_YET.test(opt)) {
      throw new UnsupportedError(`mount option "${opt}" is not supported by tsrun yet`, `${configPath}/options/${i}`);
    } else {
      // Anything else belongs to the filesystem (mode=755, size=64k, newinstance, …).
      data.push(opt);
    }
  });
  return { flags, propagation, data, recAttrSet, recAttrClr, ...(idmap ? { idmap } : {}) };
}
