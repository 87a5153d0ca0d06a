import type { CommandModule } from 'yargs';
import { command, type GlobalArgs } from './context.js';
import { tabulate } from './table.js';
import { writeStdout } from './stdout.js';

interface ListArgs {
  format: 'table' | 'json';
  quiet: boolean;
}

export const listCommand: CommandModule<GlobalArgs, ListArgs & GlobalArgs> = {
  command: 'list',
  aliases: ['ls'],
  describe: 'list the containers under --root',
  builder: (y) =>
    y
      .option('format', { alias: 'f', choices: ['table', 'json'] as const, default: 'table' as const })
      .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'print only the ids' }) as never,
  handler: command<ListArgs>((ctx, argv) => {
    const states = ctx.runtime.list();
    if (argv.quiet) {
      for (const s of states) writeStdout(s.id + '\n');
    } else if (argv.format === 'json') {
      writeStdout(JSON.stringify(states.length ? states : null) + '\n');
    } else {
      const rows = states.map((s) => [s.id, String(s.pid), s.status, s.bundle, s.created, s.owner ?? 'root']);
      writeStdout(tabulate([['ID', 'PID', 'STATUS', 'BUNDLE', 'CREATED', 'OWNER'], ...rows]));
    }
  }),
};
