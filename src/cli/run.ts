import type { CommandModule } from 'yargs';
import { command, type GlobalArgs } from './context.js';
import { ProcessRuntime } from '../runtime/runtime-process.js';
import { createFlags, createOptions, type CreateArgs } from './create-flags.js';

interface RunArgs extends CreateArgs {
  detach: boolean;
  keep: boolean;
  noSubreaper: boolean;
}

export const runCommand: CommandModule<GlobalArgs, RunArgs & GlobalArgs> = {
  command: 'run <container-id>',
  describe: 'create and start a container, and wait for it unless detached',
  builder: (y) =>
    createFlags(y)
      .option('detach', { alias: 'd', type: 'boolean', default: false, describe: 'do not wait for the container' })
      .option('keep', { type: 'boolean', default: false, describe: 'keep the stopped container instead of deleting it' })
      .option('no-subreaper', { type: 'boolean', default: false, describe: 'accepted for runc compatibility; tsrun never becomes a subreaper' }) as never,
  handler: command<RunArgs, ProcessRuntime>((ctx, argv) => {
    const { id, bundle, ...opts } = createOptions(argv);
    return ctx.runtime.run(id, { bundle }, { ...opts, detach: argv.detach, keep: argv.keep, forwardSignals: true });
  }, ProcessRuntime),
};
