// The runtime of the commands that start a container's process: create, run
// and exec, on top of the lifecycle of existing containers (RuntimeBase).
// Runtime (runtime.ts) adds what reads or changes a container's cgroups and
// tsrun check; the create entry (cli/create-main.ts) loads this alone.
import path from 'node:path';
import type { Config } from '../spec/types.js';
import { createContainer, type CreateOptions } from './create.js';
import { execInContainer, execWithStdio, type ExecOptions } from './exec.js';
import { runContainer, runContainerWithStdio, type RunOptions } from './run.js';
import type { ContainerProcess, PipedContainerProcess, StdioOptions } from './stdio.js';
import { ociState, type OciState } from './status.js';
import { rootlessCaller } from './rootless.js';
import { RuntimeBase } from './runtime-base.js';

/** What a container is made from: a bundle directory, or a config and a rootfs directory given in code. */
export type ContainerSource = { bundle: string } | { config: Config; rootfs: string };

/** create's and run's options, beyond the source (create.ts documents each). */
export type CreateContainerOptions = Omit<CreateOptions, 'id' | 'bundle' | 'config' | 'rootfs' | 'onWarning' | 'onConsole' | 'stdio'>;

export type RunContainerOptions = CreateContainerOptions & Pick<RunOptions, 'detach' | 'keep' | 'forwardSignals'> & {
  /** As child_process.spawn's: with it, run resolves to the process (its streams and exit) instead of its exit status. */
  stdio?: StdioOptions;
};

export type ExecProcessOptions = Omit<ExecOptions, 'id' | 'onWarning'> & {
  /** As child_process.spawn's: with it, exec resolves to the process (its streams and exit) instead of its exit status. */
  stdio?: StdioOptions;
};

export class ProcessRuntime extends RuntimeBase {
  /** Rootless by euid: the caller's ids for the maps; and rootless cgroups. */
  private rootlessOptions(): Pick<CreateOptions, 'rootless' | 'rootlessCgroups'> {
    return { rootless: rootlessCaller(), rootlessCgroups: this.rootlessCgroups };
  }

  /** Creates container id, waiting in `created` until start. */
  create(id: string, source: ContainerSource, opts: CreateContainerOptions = {}): OciState {
    const stored = createContainer(this.store, { ...this.rootlessOptions(), systemdCgroup: this.systemdCgroup, ...opts, ...sourceOptions(source), id, onWarning: this.warn });
    // Init has just said it waits on exec.fifo: created, without reading back the state just written.
    return ociState(stored, 'created');
  }

  /**
   * Creates and starts container id; unless detached, waits for its process
   * and removes it, and resolves to its exit status (128+N if signal N killed it).
   * With stdio, resolves as soon as the process runs, to its streams and exit
   * (which resolves once the container is removed, unless detached or kept).
   */
  run(id: string, source: ContainerSource, opts: RunContainerOptions & { stdio: 'pipe' }): Promise<PipedContainerProcess>;
  run(id: string, source: ContainerSource, opts: RunContainerOptions & { stdio: StdioOptions }): Promise<ContainerProcess>;
  run(id: string, source: ContainerSource, opts?: RunContainerOptions & { stdio?: undefined }): Promise<number>;
  run(id: string, source: ContainerSource, opts: RunContainerOptions = {}): Promise<number | ContainerProcess> {
    const { stdio, ...rest } = opts;
    const o = { ...this.rootlessOptions(), systemdCgroup: this.systemdCgroup, ...rest, ...sourceOptions(source), id, onWarning: this.warn };
    return stdio === undefined ? runContainer(this.store, o) : runContainerWithStdio(this.store, o, stdio);
  }

  /** Runs one more process in the container; unless detached, resolves to its exit status. With stdio, to the process, as run does. */
  exec(id: string, opts: ExecProcessOptions & { stdio: 'pipe' }): Promise<PipedContainerProcess>;
  exec(id: string, opts: ExecProcessOptions & { stdio: StdioOptions }): Promise<ContainerProcess>;
  exec(id: string, opts: ExecProcessOptions & { stdio?: undefined }): Promise<number>;
  exec(id: string, opts: ExecProcessOptions): Promise<number | ContainerProcess> {
    const { stdio, ...rest } = opts;
    const o = { ...rest, id, onWarning: this.warn };
    return stdio === undefined ? execInContainer(this.store, o) : execWithStdio(this.store, o, stdio);
  }
}

function sourceOptions(source: ContainerSource): Pick<CreateOptions, 'bundle' | 'config' | 'rootfs'> {
  return 'bundle' in source ? { bundle: source.bundle } : { bundle: path.dirname(path.resolve(source.rootfs)), config: source.config, rootfs: source.rootfs };
}
