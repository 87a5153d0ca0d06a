import type { CommandModule } from 'yargs';
import { RuntimeBase } from '../runtime/runtime-base.js';
import { command, type GlobalArgs } from './context.js';

interface DeleteArgs {
  containerId: string;
  force: boolean;
}

export const deleteCommand: CommandModule<GlobalArgs, DeleteArgs & GlobalArgs> = {
  command: 'delete <container-id>',
  describe: 'delete a container and everything it holds',
  builder: (y) =>
    y
      .positional('container-id', { type: 'string', demandOption: true })
      .option('force', { alias: 'f', type: 'boolean', default: false, describe: 'kill the container first if it runs' }) as never,
  handler: command<DeleteArgs, RuntimeBase>((ctx, argv) => ctx.runtime.delete(argv.containerId, { force: argv.force }), RuntimeBase),
};
