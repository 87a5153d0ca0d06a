import type { CommandModule } from 'yargs';
import { command, type GlobalArgs, type IdArgs } from './context.js';

export const resumeCommand: CommandModule<GlobalArgs, IdArgs & GlobalArgs> = {
  command: 'resume <container-id>',
  describe: 'thaw a paused container',
  builder: (y) => y.positional('container-id', { type: 'string', demandOption: true }) as never,
  handler: command<IdArgs>((ctx, argv) => ctx.runtime.resume(argv.containerId)),
};
