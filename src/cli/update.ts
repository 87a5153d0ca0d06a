// `update`: change a running container's limits, with runc's flags, or with
// --resources FILE|- (linux.resources JSON; the flags are then ignored, as runc
// ignores them). Only what is given changes; 0 leaves a limit as it is.
import fs from 'node:fs';
import type { CommandModule, Options } from 'yargs';
import type { Resources } from '../spec/types.js';
import { ConfigError, validateSchema } from '../spec/validate.js';
import { ConfigPathError, TsrunError, UnsupportedError } from '../core/errors.js';
import { intelRdtRefusal, readRdtFacts } from '../runtime/intel-rdt.js';
import { command, type GlobalArgs } from './context.js';
import { Runtime } from '../runtime/runtime.js';

// Each flag: the linux.resources field it sets, and how its value is read.
type Kind = 'uint' | 'int' | 'bytes' | 'string';
const FLAGS: Record<string, { field: string; kind: Kind; describe: string }> = {
  'blkio-weight': { field: '/blockIO/weight', kind: 'uint', describe: 'per-cgroup block IO weight, 10 to 1000' },
  'cpu-period': { field: '/cpu/period', kind: 'uint', describe: 'CPU CFS period (us); 0: the system default' },
  'cpu-quota': { field: '/cpu/quota', kind: 'int', describe: 'CPU CFS quota (us) per period' },
  'cpu-share': { field: '/cpu/shares', kind: 'uint', describe: 'CPU shares (relative weight; cpu.weight on cgroup v2)' },
  'cpu-rt-period': { field: '/cpu/realtimePeriod', kind: 'uint', describe: 'CPU realtime period (us)' },
  'cpu-rt-runtime': { field: '/cpu/realtimeRuntime', kind: 'int', describe: 'CPU realtime runtime (us) per period' },
  'cpuset-cpus': { field: '/cpu/cpus', kind: 'string', describe: 'CPUs to use, e.g. 0-1' },
  'cpuset-mems': { field: '/cpu/mems', kind: 'string', describe: 'memory nodes to use' },
  memory: { field: '/memory/limit', kind: 'bytes', describe: 'memory limit (bytes, or 512m, 1g; -1: unlimited)' },
  'memory-reservation': { field: '/memory/reservation', kind: 'bytes', describe: 'memory soft limit' },
  'memory-swap': { field: '/memory/swap', kind: 'bytes', describe: 'memory+swap limit; -1: unlimited swap' },
  'pids-limit': { field: '/pids/limit', kind: 'int', describe: 'maximum number of pids' },
  // Taken, and ignored with a warning, as runc 1.1 takes them.
  'kernel-memory': { field: '/memory/kernel', kind: 'bytes', describe: 'kernel memory limit (ignored, with a warning, as runc ignores it)' },
  'kernel-memory-tcp': { field: '/memory/kernelTCP', kind: 'bytes', describe: 'kernel TCP buffer limit (ignored, with a warning, as runc ignores it)' },
};

const RDT_FLAGS = ['l3-cache-schema', 'mem-bw-schema'];

const UPDATE_OPTIONS: Record<string, Options> = {
  resources: { alias: 'r', type: 'string', describe: "a linux.resources JSON file, or '-' for stdin (the other flags are then ignored)" },
  ...Object.fromEntries(Object.entries(FLAGS).map(([name, f]) => [name, { type: 'string', describe: f.describe }])),
  ...Object.fromEntries(RDT_FLAGS.map((name) => [name, { type: 'string', describe: 'Intel RDT schema (not supported: tsrun has no Intel RDT)' }])),
};

/** docker's units.RAMInBytes: 1024-based, "512m", "1.5g", "100KiB", "64MB". */
export function parseBytes(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgtp])?(i?b)?$/i.exec(text.trim());
  if (!m) throw new Error(`invalid size: '${text}'`);
  const power = m[2] ? 'kmgtp'.indexOf(m[2].toLowerCase()) + 1 : 0;
  return Math.floor(Number(m[1]) * 1024 ** power);
}

function parseFlag(name: string, kind: Kind, raw: string): number | string {
  const bad = (why: string) => new TsrunError(`invalid value for ${name}: ${why}`);
  switch (kind) {
    case 'string':
      return raw;
    case 'uint':
      if (!/^\d+$/.test(raw)) throw bad(`strconv.ParseUint: parsing "${raw}": invalid syntax`);
      return Number(raw);
    case 'int':
      if (!/^-?\d+$/.test(raw)) throw bad(`strconv.ParseInt: parsing "${raw}": invalid syntax`);
      return Number(raw);
    case 'bytes':
      if (raw === '-1') return -1;
      try {
        return parseBytes(raw);
      } catch (e) {
        throw bad((e as Error).message);
      }
  }
}

/** The resources the flags ask for, and which flag set which field (for errors). */
export function resourcesFromFlags(argv: Record<string, unknown>): { resources: Resources; flagOf: Map<string, string> } {
  const resources: Record<string, Record<string, unknown>> = {};
  const flagOf = new Map<string, string>();
  for (const [name, f] of Object.entries(FLAGS)) {
    const raw = argv[name];
    if (raw === undefined || raw === '') continue;
    const [, group, key] = f.field.split('/');
    (resources[group] ??= {})[key] = parseFlag(name, f.kind, String(raw));
    flagOf.set(f.field, `--${name}`);
  }
  return { resources: resources as Resources, flagOf };
}

function readResources(file: string): Resources {
  let text: string;
  try {
    text = file === '-' ? fs.readFileSync(0, 'utf8') : fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new TsrunError(`open ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (e as Error).message}`);
  }
  const label = file === '-' ? 'stdin' : file;
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new TsrunError(`${label}: not valid JSON: ${(e as Error).message}`);
  }
  try {
    // The config schema's linux.resources, with paths reported from the file's top.
    return validateSchema({ ociVersion: '1.0.0', linux: { resources: doc } }, label).linux!.resources!;
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    throw new ConfigPathError(e.path, e.reason).from({ kind: 'update', file: label });
  }
}

interface UpdateArgs {
  containerId: string;
  resources?: string;
  [flag: string]: unknown;
}

export const updateCommand: CommandModule<GlobalArgs, UpdateArgs & GlobalArgs> = {
  command: 'update <container-id>',
  describe: "change a running container's resource limits",
  builder: (y) => y.positional('container-id', { type: 'string', demandOption: true }).options(UPDATE_OPTIONS) as never,
  handler: command<UpdateArgs, Runtime>((ctx, argv) => {
    if (argv.resources !== undefined) {
      const file = String(argv.resources);
      const label = file === '-' ? 'stdin' : file;
      ctx.runtime.update(argv.containerId, readResources(file), () => ({ kind: 'update', file: label }));
      return;
    }
    for (const name of RDT_FLAGS) {
      if (argv[name] !== undefined) throw new UnsupportedError(`--${name}: ${intelRdtRefusal(readRdtFacts())}`);
    }
    const { resources, flagOf } = resourcesFromFlags(argv);
    ctx.runtime.update(argv.containerId, resources, ({ field }) => {
      const flag = flagOf.get(field);
      return flag ? { kind: 'flag', flag } : { kind: 'update' };
    });
  }, Runtime),
};
