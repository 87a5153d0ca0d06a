import type { CommandModule } from 'yargs';
import { RuntimeBase } from '../runtime/runtime-base.js';
import { command, type GlobalArgs, type IdArgs } from './context.js';

export const resumeCommand: CommandModule<GlobalArgs, IdArgs & GlobalArgs> = {
  command: 'resume <container-id>',
  describe: 'thaw a paused container',
  builder: (y) => y.positional('container-id', { type: 'string', demandOption: true }) as never,
  handler: command<IdArgs, RuntimeBase>((ctx, argv) => {
    // runc's warning, word for word but the name: rootless cgroups may be out of reach.
    if (ctx.runtime.rootlessCgroups) ctx.log.warn("tsrun resume may fail if you don't have the full access to cgroups");
    ctx.runtime.resume(argv.containerId);
  }, RuntimeBase),
};
