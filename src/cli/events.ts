import type { CommandModule } from 'yargs';
import { TsrunError } from '../core/errors.js';
import { eventJson } from '../runtime/events.js';
import { command, type GlobalArgs } from './context.js';
import { Runtime } from '../runtime/runtime.js';

interface EventsArgs {
  containerId: string;
  stats: boolean;
  interval: string;
}

const UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, 'μs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Go's time.ParseDuration ("5s", "1m30s", "250ms"), in milliseconds: runc's --interval. */
export function parseDuration(text: string): number {
  const fail = () => new TsrunError(`invalid value "${text}" for flag -interval: parse error: time: invalid duration "${text}"`);
  if (text === '0') return 0;
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;
  let ms = 0;
  let i = 0;
  const sign = text.startsWith('-') ? -1 : 1;
  if (text.startsWith('-') || text.startsWith('+')) i = 1;
  if (i >= text.length) throw fail();
  while (i < text.length) {
    re.lastIndex = i;
    const m = re.exec(text);
    if (!m) throw fail();
    ms += Number(m[1]) * UNITS[m[2]];
    i = re.lastIndex;
  }
  return sign * ms;
}

export const eventsCommand: CommandModule<GlobalArgs, EventsArgs & GlobalArgs> = {
  command: 'events <container-id>',
  describe: "print a container's events as JSON lines: stats every interval, and OOM kills",
  builder: (y) =>
    y
      .positional('container-id', { type: 'string', demandOption: true })
      .option('stats', { type: 'boolean', default: false, describe: "print the container's stats once and exit" })
      .option('interval', { type: 'string', default: '5s', describe: 'how often to print stats (a Go duration: 5s, 500ms)' }) as never,
  handler: command<EventsArgs, Runtime>(async (ctx, argv) => {
    const events = ctx.runtime.events(argv.containerId, { stats: argv.stats, intervalMs: parseDuration(argv.interval) });
    for await (const event of events) process.stdout.write(eventJson(event) + '\n');
  }, Runtime),
};
