import type { CommandModule } from 'yargs';
import { startContainer } from '../runtime/start.js';
import { notifySocketFromEnv } from '../runtime/notify-socket.js';
import { command, type GlobalArgs, type IdArgs } from './context.js';

export const startCommand: CommandModule<GlobalArgs, IdArgs & GlobalArgs> = {
  command: 'start <container-id>',
  describe: 'start the process of a created container',
  builder: (y) => y.positional('container-id', { type: 'string', demandOption: true }) as never,
  handler: command<IdArgs>((ctx, argv) =>
    startContainer(ctx.store, argv.containerId, { onWarning: (m) => ctx.log.warn(m), notifySocket: notifySocketFromEnv() }),
  ),
};
