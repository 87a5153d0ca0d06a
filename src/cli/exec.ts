// `exec`: runc's flags, and runc's way of reading them: tsrun's flags come
// before the container id, and everything after it is the command, so
// `tsrun exec c1 sh -c 'echo hi'` runs sh with -c.
import type { CommandModule, Options } from 'yargs';
import { TsrunError } from '../core/errors.js';
import { command, endFlagsAfterId, RUNC_PARSING, type GlobalArgs } from './context.js';
import { ProcessRuntime } from '../runtime/runtime-process.js';
import { checkPassedFds, checkPreserveFds } from './create-flags.js';

const EXEC_OPTIONS = {
  process: { alias: 'p', type: 'string', describe: 'a runtime-spec process JSON to run as it is (--env, --cwd, --user, -g, --cap, --no-new-privs, --apparmor and --process-label are then not used)' },
  tty: { alias: 't', type: 'boolean', describe: 'allocate a pseudo-TTY' },
  'console-socket': { type: 'string', describe: 'unix socket to receive the pty master on (with -t and -d)' },
  'pidfd-socket': { type: 'string', describe: 'unix socket to receive a pidfd of the process on (SCM_RIGHTS)' },
  'pid-file': { type: 'string', describe: "file to write the process's pid (as the host sees it) to" },
  detach: { alias: 'd', type: 'boolean', default: false, describe: 'return once the process runs; do not wait for it' },
  cwd: { type: 'string', describe: 'working directory in the container (absolute)' },
  env: { alias: 'e', type: 'string', array: true, describe: 'add K=V to the environment (repeatable)' },
  user: { alias: 'u', type: 'string', describe: 'run as uid[:gid] (numbers)' },
  'additional-gids': { alias: 'g', type: 'string', array: true, describe: 'add a supplementary gid (repeatable)' },
  cap: { alias: 'c', type: 'string', array: true, describe: 'add a capability to the bounding, effective and permitted sets (repeatable)' },
  'no-new-privs': { type: 'boolean', describe: 'set no_new_privs for the process' },
  'preserve-fds': { type: 'number', default: 0, describe: 'pass N more fds (3 .. 3+N-1) to the process' },
  apparmor: { type: 'string', describe: 'AppArmor profile for the process' },
  'process-label': { type: 'string', describe: 'SELinux label for the process' },
  'ignore-paused': { type: 'boolean', default: false, describe: 'exec even into a paused container' },
  cgroup: { type: 'string', array: true, describe: "sub-cgroup of the container to run in (not supported yet: the process joins the container's cgroup)" },
} as const satisfies Record<string, Options>;

interface ExecArgs {
  containerId: string;
  command?: string[];
  '--'?: string[];
  process?: string;
  tty?: boolean;
  consoleSocket?: string;
  pidfdSocket?: string;
  pidFile?: string;
  detach: boolean;
  cwd?: string;
  env?: string[];
  user?: string;
  additionalGids?: string[];
  cap?: string[];
  noNewPrivs?: boolean;
  preserveFds: number;
  apparmor?: string;
  processLabel?: string;
  ignorePaused: boolean;
  cgroup?: string[];
}

/** runc reads exec's flags only up to the container id; the rest is the command. */
export const endExecFlags = (args: string[]): string[] => endFlagsAfterId(args, 'exec', EXEC_OPTIONS);

/** runc's exec reports every failure as "exec failed: ..." and exits 255. */
function execFailed(e: unknown): Error {
  const err = e instanceof Error ? e : new TsrunError(String(e));
  err.message = `exec failed: ${err.message}`;
  (err as TsrunError).exitCode = 255;
  return err;
}

export const execCommand: CommandModule<GlobalArgs, ExecArgs & GlobalArgs> = {
  command: 'exec <container-id> [command..]',
  describe: 'run a new process in a created or running container',
  builder: (y) =>
    y
      // The command after `--` stays as typed: strings, one value per flag.
      // (This replaces main's parser configuration, so it repeats RUNC_PARSING.)
      .parserConfiguration({ ...RUNC_PARSING, 'populate--': true, 'greedy-arrays': false, 'parse-positional-numbers': false })
      .positional('container-id', { type: 'string', demandOption: true, describe: 'the container to run the process in' })
      .positional('command', { type: 'string', array: true, describe: 'the command and its arguments (everything after the id)' })
      .options(EXEC_OPTIONS) as never,
  handler: command<ExecArgs, ProcessRuntime>(async (ctx, argv) => {
    try {
      return await ctx.runtime.exec(argv.containerId, {
        processFile: argv.process,
        flags: {
          args: [...(argv.command ?? []), ...(argv['--'] ?? [])].map(String),
          cwd: argv.cwd,
          env: argv.env?.map(String),
          user: argv.user,
          additionalGids: argv.additionalGids?.map(String),
          caps: argv.cap?.map(String),
          noNewPrivs: argv.noNewPrivs,
          apparmor: argv.apparmor,
          processLabel: argv.processLabel,
          tty: argv.tty,
        },
        consoleSocket: argv.consoleSocket,
        pidfdSocket: argv.pidfdSocket,
        pidFile: argv.pidFile,
        detach: argv.detach,
        preserveFds: checkPassedFds({ preserveFds: checkPreserveFds(argv.preserveFds) }).preserveFds,
        ignorePaused: argv.ignorePaused,
        cgroups: argv.cgroup?.map(String),
        forwardSignals: true,
      });
    } catch (e) {
      throw execFailed(e);
    }
  }, ProcessRuntime),
};
