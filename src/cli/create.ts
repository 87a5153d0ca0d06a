import type { CommandModule } from 'yargs';
import { command, type GlobalArgs } from './context.js';
import { ProcessRuntime } from '../runtime/runtime-process.js';
import { createFlags, createOptions, type CreateArgs } from './create-flags.js';

export const createCommand: CommandModule<GlobalArgs, CreateArgs & GlobalArgs> = {
  command: 'create <container-id>',
  describe: 'create a container: its init waits until `start`',
  builder: (y) => createFlags(y) as never,
  handler: command<CreateArgs, ProcessRuntime>((ctx, argv) => {
    const { id, bundle, ...opts } = createOptions(argv);
    ctx.runtime.create(id, { bundle }, opts);
  }, ProcessRuntime),
};
