import type { CommandModule } from 'yargs';
import { notifySocketFromEnv } from '../runtime/notify-socket.js';
import { command, type GlobalArgs, type IdArgs } from './context.js';

export const startCommand: CommandModule<GlobalArgs, IdArgs & GlobalArgs> = {
  command: 'start <container-id>',
  describe: 'start the process of a created container',
  builder: (y) => y.positional('container-id', { type: 'string', demandOption: true }) as never,
  handler: command<IdArgs>((ctx, argv) => ctx.runtime.start(argv.containerId, { notifySocket: notifySocketFromEnv() })),
};
