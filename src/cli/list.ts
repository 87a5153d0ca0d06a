import type { CommandModule } from 'yargs';
import { DamagedStateError } from '../runtime/errors.js';
import { ociState, statusOf, type OciState } from '../runtime/status.js';
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
    ctx.store.sweep();
    const states: OciState[] = [];
    for (const id of ctx.store.ids()) {
      let dir;
      try {
        dir = ctx.store.open(id, true);
      } catch {
        continue; // deleted meanwhile
      }
      try {
        const s = dir.readState();
        // list names the owner (state leaves it empty), as runc does.
        states.push({ ...ociState(s, statusOf(dir, s)), owner: s.owner || 'root' });
      } catch (e) {
        // One damaged container must not hide the others: runc warns "load container X: …" and goes on.
        if (!(e instanceof DamagedStateError)) throw e;
        ctx.log.warn(`load container ${id}: ${e.file} is damaged (${e.reason}); \`tsrun delete -f ${id}\` removes it`);
      } finally {
        dir.close();
      }
    }
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
