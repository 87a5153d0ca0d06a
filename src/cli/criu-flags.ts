// The flags checkpoint and restore share (runc's), and runc's answer to a
// string flag given without a value, which podman's probe looks for.
import type { Argv } from 'yargs';
import { TsrunError } from '../core/errors.js';
import type { CriuCommonOptions } from '../runtime/criu-opts.js';

class UsageError extends TsrunError {}

export interface CriuCommonArgs {
  containerId: string;
  imagePath?: string;
  workPath?: string;
  tcpEstablished: boolean;
  extUnixSk: boolean;
  shellJob: boolean;
  fileLocks: boolean;
  manageCgroupsMode?: string;
  emptyNs?: string[];
  autoDedup: boolean;
  lazyPages: boolean;
}

export function criuCommonFlags<T>(y: Argv<T>) {
  return y
    .positional('container-id', { type: 'string', describe: 'the container id' })
    .option('image-path', { type: 'string', describe: 'path for saving criu image files (default: ./checkpoint)' })
    .option('work-path', { type: 'string', describe: 'path for saving work files and logs (default: the image path)' })
    .option('tcp-established', { type: 'boolean', default: false, describe: 'allow open tcp connections' })
    .option('ext-unix-sk', { type: 'boolean', default: false, describe: 'allow external unix sockets' })
    .option('shell-job', { type: 'boolean', default: false, describe: 'allow shell jobs' })
    .option('file-locks', { type: 'boolean', default: false, describe: 'handle file locks, for safety' })
    .option('manage-cgroups-mode', { type: 'string', describe: 'cgroups mode: soft (default), full, strict or ignore' })
    .option('empty-ns', { type: 'string', array: true, describe: 'create a namespace, but do not restore its properties' })
    .option('auto-dedup', { type: 'boolean', default: false, describe: 'enable auto deduplication of memory images' })
    .option('lazy-pages', { type: 'boolean', default: false, describe: 'use userfaultfd to lazily restore memory pages' });
}

/** The shared flags as the runtime takes them; criu is the global --criu. */
export function criuCommonOptions(argv: CriuCommonArgs & { criu?: string }): CriuCommonOptions {
  return {
    criuPath: argv.criu,
    imagePath: argv.imagePath,
    workPath: argv.workPath,
    tcpEstablished: argv.tcpEstablished,
    extUnixSk: argv.extUnixSk,
    shellJob: argv.shellJob,
    fileLocks: argv.fileLocks,
    manageCgroupsMode: argv.manageCgroupsMode,
    emptyNs: argv.emptyNs,
    autoDedup: argv.autoDedup,
    lazyPages: argv.lazyPages,
  };
}

/**
 * runc's checks, in runc's order: a string flag with no value fails with
 * "flag needs an argument" (podman probes for --lsm-mount-context so, with
 * no container id), then the id must be there. The id is therefore an
 * optional positional for yargs, which would complain about it first; the
 * handlers call this first.
 */
export function runcArgChecks(command: string, names: string[], argv: Record<string, unknown>): void {
  for (const name of names) {
    const v = argv[name];
    if (v === '' || (Array.isArray(v) && v.includes(''))) throw new UsageError(`flag needs an argument: --${name}`);
  }
  if (typeof argv.containerId !== 'string' || argv.containerId === '') throw new UsageError(`"${command}" requires exactly 1 argument(s)`);
}
