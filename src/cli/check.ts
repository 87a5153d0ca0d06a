// `check`: tsrun's own command (runc has none). Plans the bundle against this
// host and prints every problem; exits 0 only when create would get past planning.
import type { CommandModule } from 'yargs';
import { checkText } from '../runtime/check.js';
import { command, type GlobalArgs } from './context.js';
import { Runtime } from '../runtime/runtime.js';
import { writeStdout } from './stdout.js';

interface CheckArgs {
  bundle: string;
  format: 'text' | 'json';
}

export const checkCommand: CommandModule<GlobalArgs, CheckArgs & GlobalArgs> = {
  command: 'check',
  describe: 'report every problem create would meet with a bundle on this host, creating nothing',
  builder: (y) =>
    y
      .option('bundle', { alias: 'b', type: 'string', default: '.', describe: 'path to the bundle directory' })
      .option('format', { alias: 'f', choices: ['text', 'json'] as const, default: 'text' as const, describe: 'output format' }) as never,
  handler: command<CheckArgs, Runtime>((ctx, argv) => {
    const report = ctx.runtime.check(argv.bundle);
    writeStdout(argv.format === 'json' ? JSON.stringify(report, null, 2) + '\n' : checkText(report));
    return report.ok ? 0 : 1;
  }, Runtime),
};
