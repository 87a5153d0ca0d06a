// What checkpoint and restore share: runc's flags as CRIU options, the
// image and work directories, and the mounts CRIU must treat as external.
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../spec/types.js';
import type { CgroupRecord } from '../cgroups/index.js';
import { TsrunError, UnsupportedError } from '../core/errors.js';

/** The flags checkpoint and restore both take (runc's names). */
export interface CriuCommonOptions {
  criuPath?: string;
  imagePath?: string;
  workPath?: string;
  tcpEstablished?: boolean;
  extUnixSk?: boolean;
  shellJob?: boolean;
  fileLocks?: boolean;
  manageCgroupsMode?: string;
  emptyNs?: string[];
  autoDedup?: boolean;
  lazyPages?: boolean;
}

/** The signals that end a detached restore (or a checkpoint) midway: CRIU is killed, what was made undone. */
export const INTERRUPTING: NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT'];

const CG_MODES: Record<string, string> = { soft: 'SOFT', full: 'FULL', strict: 'STRICT', ignore: 'IGNORE' };

// runc's names for --empty-ns, as clone flags.
const NS_FLAGS: Record<string, number> = {
  mount: 0x00020000, cgroup: 0x02000000, uts: 0x04000000, ipc: 0x08000000, user: 0x10000000, pid: 0x20000000, network: 0x40000000,
};

/** criu_opts from the shared flags. */
export function commonCriuOpts(o: CriuCommonOptions): Record<string, unknown> {
  const opts: Record<string, unknown> = {
    log_level: 4,
    manage_cgroups: true,
    notify_scripts: true,
    shell_job: !!o.shellJob,
    tcp_established: !!o.tcpEstablished,
    ext_unix_sk: !!o.extUnixSk,
    file_locks: !!o.fileLocks,
    auto_dedup: !!o.autoDedup,
    lazy_pages: !!o.lazyPages,
  };
  if (o.manageCgroupsMode) {
    const mode = CG_MODES[o.manageCgroupsMode];
    if (!mode) throw new UnsupportedError(`--manage-cgroups-mode: invalid value ${JSON.stringify(o.manageCgroupsMode)} (soft, full, strict or ignore)`);
    opts.manage_cgroups_mode = mode;
  }
  if (o.emptyNs?.length) {
    let mask = 0;
    for (const ns of o.emptyNs.flatMap((n) => n.split(','))) {
      const flag = NS_FLAGS[ns];
      if (flag === undefined) throw new UnsupportedError(`--empty-ns: unknown namespace ${JSON.stringify(ns)} (${Object.keys(NS_FLAGS).join(', ')})`);
      mask |= flag;
    }
    opts.empty_ns = mask >>> 0;
  }
  return opts;
}

/** runc's default image directory: ./checkpoint. */
export function imageDir(imagePath: string | undefined): string {
  return path.resolve(imagePath || 'checkpoint');
}

/**
 * A directory for CRIU, made 0700 if missing: the images hold the
 * process's memory. Returns an fd for criu_opts (ours; CRIU opens it through /proc).
 */
export function openCriuDir(dir: string, create: boolean, what: string): number {
  if (create) fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  try {
    return fs.openSync(dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new TsrunError(`the ${what} ${dir} does not exist`);
    if (code === 'ENOTDIR') throw new TsrunError(`the ${what} ${dir} is not a directory`);
    throw e;
  }
}

/**
 * The mounts CRIU cannot dump, being parts of the host: bind mounts (by
 * their destination) and the /dev/null binds over masked files. dump maps
 * each to a name in the image; restore maps the name to the host path.
 */
export function externalMounts(
  config: Config,
  phase: 'dump' | 'restore',
  maskedFiles: string[],
  cgroup: CgroupRecord | undefined,
): Array<{ key: string; val: string }> {
  const out: Array<{ key: string; val: string }> = [];
  for (const m of config.mounts ?? []) {
    if (!isBind(m)) continue;
    out.push(phase === 'dump' ? { key: m.destination, val: m.destination } : { key: m.destination, val: m.source ?? '' });
  }
  for (const [at, hostDir] of cgroupBinds(config, cgroup)) out.push({ key: at, val: phase === 'dump' ? at : hostDir });
  if (phase === 'dump') for (const f of maskedFiles) out.push({ key: f, val: '/dev/null' });
  else if (config.linux?.maskedPaths?.length) out.push({ key: '/dev/null', val: '/dev/null' });
  return out;
}

/**
 * A "cgroup" mount on a v1 or hybrid host without a cgroup namespace is a
 * tmpfs of binds of the container's cgroup directories (cgroups/mounts.ts):
 * outside the container for CRIU, and on restore the new cgroup's.
 */
function cgroupBinds(config: Config, record: CgroupRecord | undefined): Array<[string, string]> {
  if (!record || record.mode === 'v2' || config.linux?.namespaces?.some((n) => n.type === 'cgroup')) return [];
  const out: Array<[string, string]> = [];
  for (const m of config.mounts ?? []) {
    if (m.type !== 'cgroup') continue;
    for (const h of record.v1) out.push([path.posix.join(m.destination, path.basename(h.mount)), h.dir]);
    if (record.unified) out.push([path.posix.join(m.destination, path.basename(record.unified.mount)), record.unified.dir]);
  }
  return out;
}

function isBind(m: NonNullable<Config['mounts']>[number]): boolean {
  return m.type === 'bind' || !!m.options?.some((o) => o === 'bind' || o === 'rbind');
}

/** The directory whose freezer CRIU uses to stop the container: v1's freezer, else the unified cgroup. */
export function freezerDir(record: CgroupRecord | undefined): string | undefined {
  if (!record) return undefined;
  const v1 = record.v1.find((h) => h.controllers.includes('freezer'));
  return v1?.dir ?? record.unified?.dir;
}
