import type { CommandModule } from 'yargs';
import { command, type GlobalArgs, type IdArgs } from './context.js';
import { writeStdout } from './stdout.js';

export const stateCommand: CommandModule<GlobalArgs, IdArgs & GlobalArgs> = {
  command: 'state <container-id>',
  describe: "print a container's state as JSON",
  builder: (y) => y.positional('container-id', { type: 'string', demandOption: true }) as never,
  handler: command<IdArgs>((ctx, argv) => {
    // runc prints no trailing newline.
    writeStdout(JSON.stringify(ctx.runtime.state(argv.containerId), null, 2));
  }),
};
