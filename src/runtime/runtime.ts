// The runtime as one object: what the CLI's commands call, and what a Node
// program embeds (`import { Runtime } from 'tsrun'`). Every rule lives here or
// below (the id rule and path confinement in the state store, status rules in
// Container); the CLI only reads flags and prints. The lifecycle of an
// existing container is in RuntimeBase (runtime-base.ts), what makes
// containers and processes in ProcessRuntime (runtime-process.ts); this adds
// what reads or changes their cgroups, and tsrun check.
//
// Inside someone else's process it changes nothing process-wide: no
// subreaper, no SIGCHLD handler, no umask. It waits only for the pids it
// started, and forwards signals only when asked (the CLI asks).
import type { Resources } from '../spec/types.js';
import { containerEvents, type ContainerEvent, type EventsOptions } from './events.js';
import { updateContainer } from './update.js';
import type { ConfigSource } from '../core/errors.js';
import { checkBundle, type CheckReport } from './check.js';
import { ProcessRuntime } from './runtime-process.js';

export type { RuntimeLog, RuntimeOptions } from './runtime-base.js';

export type { ContainerSource, CreateContainerOptions, ExecProcessOptions, RunContainerOptions } from './runtime-process.js';

export class Runtime extends ProcessRuntime {
  /**
   * New limits (linux.resources, only the fields that change). A refused field
   * is a CgroupError (a ConfigPathError at /linux/resources/...); sourceOf says
   * where it came from (the CLI names its --resources file or its flag).
   */
  update(id: string, resources: Resources, sourceOf?: (where: { field: string }) => ConfigSource): void {
    updateContainer(this.store, id, resources, sourceOf, this.warn);
  }

  /** Stats every intervalMs (default 5 s) and OOM kills, until the container is gone; or, with stats, one stats event. */
  events(id: string, opts: EventsOptions = {}): AsyncGenerator<ContainerEvent> {
    return containerEvents(this.store, id, { warn: this.warn, ...opts });
  }

  /** Plans the bundle against this host without creating anything: every problem, each with its config path, cause and fix. */
  check(bundle: string): CheckReport {
    return checkBundle(bundle, { stateRoot: this.root });
  }
}
