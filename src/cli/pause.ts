import type { CommandModule } from 'yargs';
import { command, type GlobalArgs, type IdArgs } from './context.js';

export const pauseCommand: CommandModule<GlobalArgs, IdArgs & GlobalArgs> = {
  command: 'pause <container-id>',
  describe: 'freeze every process in a container (its cgroup freezer)',
  builder: (y) => y.positional('container-id', { type: 'string', demandOption: true }) as never,
  handler: command<IdArgs>((ctx, argv) => ctx.runtime.pause(argv.containerId)),
};
