import type { CommandModule } from 'yargs';
import { parseDuration, streamEvents } from '../cgroups/events.js';
import { command, type GlobalArgs } from './context.js';

interface EventsArgs {
  containerId: string;
  stats: boolean;
  interval: string;
}

export const eventsCommand: CommandModule<GlobalArgs, EventsArgs & GlobalArgs> = {
  command: 'events <container-id>',
  describe: "print a container's events as JSON lines: stats every interval, and OOM kills",
  builder: (y) =>
    y
      .positional('container-id', { type: 'string', demandOption: true })
      .option('stats', { type: 'boolean', default: false, describe: "print the container's stats once and exit" })
      .option('interval', { type: 'string', default: '5s', describe: 'how often to print stats (a Go duration: 5s, 500ms)' }) as never,
  handler: command<EventsArgs>(async (ctx, argv) => {
    await streamEvents(ctx.store, argv.containerId, {
      stats: argv.stats,
      intervalMs: parseDuration(argv.interval),
      write: (line) => process.stdout.write(line),
    });
  }),
};
