// The lifecycle half of the runtime object (runtime.ts): what engines run on
// a container that exists (state, start, kill, delete, list, pause, resume,
// ps), without the code that makes one (planning, the config validator,
// exec, check, events, update). Runtime extends it with those; the CLI's
// lean entry for the lifecycle commands (src/cli/fast-main.ts) bundles only
// this half. State, list, kill and start are RuntimeCommon's
// (runtime-common.ts), with the cgroup classes and a dead create's cleanup
// given from here.
import { openCgroup, type Cgroup, type CgroupRecord } from '../cgroups/index.js';
import type { NativeCore } from '../core/native.js';
import { undoDeadCreate } from './dead-create.js';
import { deleteContainer } from './delete.js';
import { pauseContainer, resumeContainer } from './pause.js';
import { containerPids } from './ps.js';
import { RuntimeCommon } from './runtime-common.js';

export type { RuntimeLog, RuntimeOptions } from './runtime-common.js';

export class RuntimeBase extends RuntimeCommon {
  protected undoDeadCreate(dir: string, core: NativeCore): boolean {
    return undoDeadCreate(dir, core);
  }

  protected openCgroup(record: CgroupRecord): Cgroup {
    return openCgroup(record);
  }

  /** force: kill a running container first. */
  delete(id: string, opts: { force?: boolean } = {}): void {
    deleteContainer(this.store, id, opts.force ?? false, { onWarning: this.warn });
  }

  pause(id: string): void {
    pauseContainer(this.store, id);
  }

  resume(id: string): void {
    resumeContainer(this.store, id);
  }

  /** The pids (as the host sees them) in the container's cgroup. */
  ps(id: string): number[] {
    return containerPids(this.store, id);
  }
}
