// runc commands tsrun does not have yet. They parse any flags (engines pass
// them) and fail with a message naming the command, never "unknown argument".
import type { CommandModule } from 'yargs';
import { UnsupportedError } from '../runtime/errors.js';
import { command, type GlobalArgs } from './context.js';

const NOT_YET: Array<[string, string]> = [
  ['checkpoint <container-id>', 'checkpoint a container with criu'],
  ['restore <container-id>', 'restore a checkpointed container'],
];

export const unimplementedCommands: CommandModule<GlobalArgs, GlobalArgs>[] = NOT_YET.map(([cmd, describe]) => {
  const name = cmd.split(' ')[0];
  return {
    command: cmd,
    describe: `${describe} (not implemented yet)`,
    builder: (y) => y.strictOptions(false) as never,
    handler: command(() => {
      throw new UnsupportedError(`"${name}" is not implemented by tsrun yet`);
    }),
  };
});
