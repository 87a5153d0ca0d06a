// `ps`: the container's processes. As runc: --format json prints the pids
// (as the host sees them); the table is ps(1)'s own output (ps -ef unless ps
// options follow the container id), keeping the header and the container's rows.
import type { CommandModule, Options } from 'yargs';
import { TsrunError } from '../core/errors.js';
import { RuntimeBase } from '../runtime/runtime-base.js';
import { command, endFlagsAfterId, type GlobalArgs } from './context.js';
import { writeStdout } from './stdout.js';

const PS_OPTIONS = {
  format: { alias: 'f', type: 'string', default: 'table', describe: 'table or json' },
} as const satisfies Record<string, Options>;

interface PsArgs {
  containerId: string;
  psArgs?: string[];
  format: string;
}

/** What follows ps's container id is for ps(1): runc reads its own flags only up to the id. */
export const endPsFlags = (args: string[]): string[] => endFlagsAfterId(args, 'ps', PS_OPTIONS);

export const psCommand: CommandModule<GlobalArgs, PsArgs & GlobalArgs> = {
  command: 'ps <container-id> [ps-args..]',
  describe: 'list the processes in a container (ps options may follow the id)',
  builder: (y) => y.positional('container-id', { type: 'string', demandOption: true }).options(PS_OPTIONS) as never,
  handler: command<PsArgs, RuntimeBase>((ctx, argv) => {
    if (argv.format !== 'table' && argv.format !== 'json') throw new TsrunError('invalid format option');
    if (ctx.runtime.rootlessCgroups) ctx.log.warn("tsrun ps may fail if you don't have the full access to cgroups");
    const pids = ctx.runtime.ps(argv.containerId);
    if (argv.format === 'json') {
      // Go's encoder: an empty list is null.
      writeStdout(JSON.stringify(pids.length ? pids : null) + '\n');
      return;
    }
    // After the `--` endPsFlags put in, yargs leaves them in argv._, behind "ps".
    const psArgs = [...(argv.psArgs ?? []), ...argv._.slice(1)].map(String);
    // Loaded here, not at every tsrun start-up (~10 ms).
    const r = process.getBuiltinModule('node:child_process').spawnSync('ps', psArgs.length ? psArgs : ['-ef'], { encoding: 'utf8' });
    if (r.error) throw new TsrunError(`cannot run ps: ${r.error.message}`);
    if (r.status !== 0) throw new TsrunError(`exit status ${r.status}: ${r.stdout}${r.stderr}`);
    const [header, ...rows] = r.stdout.split('\n');
    const pidColumn = header.trim().split(/\s+/).indexOf('PID');
    if (pidColumn < 0) throw new TsrunError("couldn't find PID field in ps output");
    const mine = new Set(pids);
    let out = header + '\n';
    for (const row of rows) {
      if (!row) continue;
      const field = row.trim().split(/\s+/)[pidColumn];
      if (!/^\d+$/.test(field)) throw new TsrunError(`unable to parse pid: strconv.Atoi: parsing "${field}": invalid syntax`);
      if (mine.has(Number(field))) out += row + '\n';
    }
    writeStdout(out);
  }, RuntimeBase),
};
