import type { CommandModule } from 'yargs';
import { resumeContainer } from '../cgroups/container.js';
import { command, type GlobalArgs, type IdArgs } from './context.js';

export const resumeCommand: CommandModule<GlobalArgs, IdArgs & GlobalArgs> = {
  command: 'resume <container-id>',
  describe: 'thaw a paused container',
  builder: (y) => y.positional('container-id', { type: 'string', demandOption: true }) as never,
  handler: command<IdArgs>((ctx, argv) => resumeContainer(ctx.store, argv.containerId)),
};
