import type { CommandModule } from 'yargs';
import { ociState, statusOf } from '../runtime/status.js';
import { command, type GlobalArgs, type IdArgs } from './context.js';
import { writeStdout } from './stdout.js';

export const stateCommand: CommandModule<GlobalArgs, IdArgs & GlobalArgs> = {
  command: 'state <container-id>',
  describe: "print a container's state as JSON",
  builder: (y) => y.positional('container-id', { type: 'string', demandOption: true }) as never,
  handler: command<IdArgs>((ctx, argv) => {
    const dir = ctx.store.open(argv.containerId, true);
    try {
      const s = dir.readState();
      // runc prints no trailing newline.
      writeStdout(JSON.stringify(ociState(s, statusOf(dir, s)), null, 2));
    } finally {
      dir.close();
    }
  }),
};
