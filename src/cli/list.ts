import type { CommandModule } from 'yargs';
import { DamagedStateError } from '../runtime/errors.js';
import { ociState, statusOf, type OciState } from '../runtime/status.js';
import { command, type GlobalArgs } from './context.js';
import { tabulate } from './table.js';
import { writeStdout } from './stdout.js';
import fs from 'node:fs';

/** The user name of the owner of path (runc's "#uid" when /etc/passwd has none). */
function ownerOf(p: string): string {
  let uid: number;
  try {
    uid = fs.statSync(p).uid;
  } catch {
    return 'root';
  }
  if (uid === 0) return 'root';
  try {
    for (const line of fs.readFileSync('/etc/passwd', 'utf8').split('\n')) {
      const [name, , id] = line.split(':');
      if (id === String(uid)) return name;
    }
  } catch {
    // no passwd: the number it is
  }
  return `#${uid}`;
}

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
        // list names the owner (state leaves it empty), as runc does: whoever owns the state directory.
        states.push({ ...ociState(s, statusOf(dir, s)), owner: s.owner || ownerOf(dir.dir) });
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
