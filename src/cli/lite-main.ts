// The lightest lean entry, of the commands engines run most that need only
// the state store: state, list, kill and start. Bundled as dist/tsrun-lite.cjs
// with their handlers and RuntimeCommon: no cgroup classes or delete
// (scripts/bundle.js refuses the bundle if either gets in). bin/tsrun picks it
// by the command word. What they meet that needs more is handed, before
// anything is changed, to the lifecycle entry (fast-main.ts), which has the
// code: the directory of a create killed midway (swept before the answer),
// and a kill that needs the cgroup (--all, or SIGKILL to a paused container).
import type { CommandModule } from 'yargs';
import type { Cgroup, CgroupRecord } from '../cgroups/index.js';
import type { NativeCore } from '../core/native.js';
import { RuntimeCommon } from '../runtime/runtime-common.js';
import { useEntryRuntime } from './context.js';
import { HandOverError } from './hand-over.js';
import { killCommand } from './kill.js';
import { leanMain } from './lean-entry.js';
import { listCommand } from './list.js';
import { startCommand } from './start.js';
import { stateCommand } from './state.js';

const LITE_COMMANDS = { state: stateCommand, list: listCommand, kill: killCommand, start: startCommand } as unknown as Record<string, CommandModule>;

/** Hands the command over where it needs the cgroup classes or a dead create's cleanup: nothing is written or signalled before. */
class LiteRuntime extends RuntimeCommon {
  protected undoDeadCreate(dir: string, _core: NativeCore): boolean {
    throw new HandOverError(`${dir} was left by a create that died`);
  }

  protected openCgroup(record: CgroupRecord): Cgroup {
    throw new HandOverError(`the command acts on the cgroup ${record.path}`);
  }
}

/** Runs the command line (process.argv) if it is a plain state, list, kill or start, else the whole CLI. */
export function main(argv: string[] = process.argv): Promise<unknown> {
  useEntryRuntime(LiteRuntime);
  return leanMain(argv, LITE_COMMANDS, 'tsrun-fast.cjs');
}
