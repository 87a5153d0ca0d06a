import fs from 'node:fs';
import path from 'node:path';
import type { CommandModule } from 'yargs';
import { defaultConfig } from '../spec/defaults.js';
import { TsrunError } from '../core/errors.js';
import { command, type GlobalArgs } from './context.js';

interface SpecArgs {
  bundle: string;
}

export const specCommand: CommandModule<GlobalArgs, SpecArgs & GlobalArgs> = {
  command: 'spec',
  describe: 'write a default config.json (sh on a terminal, rootfs in ./rootfs) into the bundle; --rootless for a user-namespaced one',
  builder: (y) =>
    y
      // --rootless is the global option (a string) here too: a bare --rootless arrives as ''.
      .option('bundle', { alias: 'b', type: 'string', default: '.', describe: 'the bundle directory to write config.json into' }) as never,
  handler: command<SpecArgs>((_ctx, argv) => {
    const file = path.join(path.resolve(argv.bundle), 'config.json');
    if (!fs.existsSync(path.dirname(file))) throw new TsrunError(`bundle ${path.dirname(file)} does not exist`);
    // runc's wording: engines and scripts look for it.
    if (fs.existsSync(file)) throw new TsrunError('File config.json exists. Remove it first.');
    // A bare `spec --rootless` (the global string flag, so '') asks for the rootless layout.
    const rootless = argv.rootless === '';
    const config = defaultConfig({ rootless, uid: process.getuid?.(), gid: process.getgid?.() });
    fs.writeFileSync(file, `${JSON.stringify(config, null, '\t')}\n`, { mode: 0o666 });
    return 0;
  }),
};
