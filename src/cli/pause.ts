import type { CommandModule } from 'yargs';
import { RuntimeBase } from '../runtime/runtime-base.js';
import { command, type GlobalArgs, type IdArgs } from './context.js';

export const pauseCommand: CommandModule<GlobalArgs, IdArgs & GlobalArgs> = {
  command: 'pause <container-id>',
  describe: 'freeze every process in a container (its cgroup freezer)',
  builder: (y) => y.positional('container-id', { type: 'string', demandOption: true }) as never,
  handler: command<IdArgs, RuntimeBase>((ctx, argv) => {
    // runc's warning, word for word but the name: rootless cgroups may be out of reach.
    if (ctx.runtime.rootlessCgroups) ctx.log.warn("tsrun pause may fail if you don't have the full access to cgroups");
    ctx.runtime.pause(argv.containerId);
  }, RuntimeBase),
};
