import type { CommandModule } from 'yargs';
import { parseSignal } from '../runtime/kill.js';
import { command, type GlobalArgs } from './context.js';

interface KillArgs {
  containerId: string;
  signal: string;
  all: boolean;
}

export const killCommand: CommandModule<GlobalArgs, KillArgs & GlobalArgs> = {
  command: 'kill <container-id> [signal]',
  describe: "send a signal (default SIGTERM) to the container's init",
  builder: (y) =>
    y
      .positional('container-id', { type: 'string', demandOption: true })
      .positional('signal', { type: 'string', default: 'SIGTERM', describe: 'a name (KILL, SIGKILL) or a number' })
      .option('all', { alias: 'a', type: 'boolean', default: false, describe: "signal every process in the container's cgroup" }) as never,
  handler: command<KillArgs>((ctx, argv) => {
    ctx.runtime.kill(argv.containerId, parseSignal(String(argv.signal)), { all: argv.all });
  }),
};
