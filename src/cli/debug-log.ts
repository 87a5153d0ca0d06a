// What the bundle has for the `debug` package (scripts/bundle.js aliases it
// here): the same call shape, createDebug(namespace)(format, ...args) and
// createDebug.enable(namespaces), without what loading debug costs at every
// start (node's tty module, and process.stderr made to ask if it is a
// terminal, ~10 ms). DEBUG is read at the first message, not at load.
// Lines are "<ISO time> <namespace> <message>" on stderr, as debug writes
// them when stderr is not a terminal; no colours.
import fs from 'node:fs';
import { format as formatOne, inspect } from 'node:util';

interface Matcher {
  names: RegExp[];
  skips: RegExp[];
}

let matcher: Matcher | undefined;

function parse(spec: string): Matcher {
  const m: Matcher = { names: [], skips: [] };
  for (const part of spec.split(/[\s,]+/).filter(Boolean)) {
    const skip = part.startsWith('-');
    const body = (skip ? part.slice(1) : part).replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*?');
    (skip ? m.skips : m.names).push(new RegExp(`^${body}$`));
  }
  return m;
}

function enabled(namespace: string): boolean {
  matcher ??= parse(process.env.DEBUG ?? '');
  return !matcher.skips.some((r) => r.test(namespace)) && matcher.names.some((r) => r.test(namespace));
}

export interface Debugger {
  (format: unknown, ...args: unknown[]): void;
  readonly namespace: string;
  readonly enabled: boolean;
}

/** debug's formatting: %o is inspect on one line, %O inspect as is, the rest as util.format has them. */
function formatMessage(format: unknown, args: unknown[]): string {
  if (typeof format !== 'string') return [format, ...args].map((a) => inspect(a)).join(' ');
  let i = 0;
  const text = format.replace(/%([a-zA-Z%])/g, (match, f: string) => {
    if (f === '%') return '%';
    if (i >= args.length) return match;
    const arg = args[i++];
    if (f === 'o') return inspect(arg).split('\n').map((l) => l.trim()).join(' ');
    if (f === 'O') return inspect(arg);
    return formatOne(`%${f}`, arg);
  });
  return [text, ...args.slice(i).map((a) => (typeof a === 'string' ? a : inspect(a)))].join(' ');
}

function createDebug(namespace: string): Debugger {
  const log = (format: unknown, ...args: unknown[]) => {
    if (!enabled(namespace)) return;
    const text = formatMessage(format, args);
    try {
      fs.writeSync(2, `${new Date().toISOString()} ${namespace} ${text}\n`);
    } catch {
      // stderr closed: debug output is not worth failing for
    }
  };
  return Object.defineProperties(log, {
    namespace: { value: namespace },
    enabled: { get: () => enabled(namespace) },
  }) as Debugger;
}

/** Turns on these namespaces (DEBUG's syntax), as debug.enable does. */
createDebug.enable = (namespaces: string): void => {
  process.env.DEBUG = namespaces;
  matcher = parse(namespaces);
};

export default createDebug;
