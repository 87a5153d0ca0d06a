import type { CommandModule } from 'yargs';
import { RuntimeBase } from '../runtime/runtime-base.js';
import { command, type GlobalArgs } from './context.js';
import { criuCommonFlags, criuCommonOptions, runcArgChecks, type CriuCommonArgs } from './criu-flags.js';
import { UnsupportedError } from '../core/errors.js';

interface RestoreArgs extends CriuCommonArgs {
  bundle: string;
  detach: boolean;
  pidFile?: string;
  consoleSocket?: string;
  noSubreaper: boolean;
  noPivot: boolean;
  lsmProfile?: string;
  lsmMountContext?: string;
}

const STRING_FLAGS = [
  'image-path', 'work-path', 'bundle', 'pid-file', 'console-socket', 'manage-cgroups-mode', 'empty-ns', 'lsm-profile', 'lsm-mount-context',
];

export const restoreCommand: CommandModule<GlobalArgs, RestoreArgs & GlobalArgs> = {
  command: 'restore [container-id]',
  describe: 'restore a container from a checkpoint (CRIU)',
  builder: (y) =>
    criuCommonFlags(y)
      .option('bundle', { alias: 'b', type: 'string', default: '.', describe: 'path to the bundle directory' })
      .option('detach', { alias: 'd', type: 'boolean', default: false, describe: 'detach from the container process' })
      .option('pid-file', { type: 'string', describe: "file to write the restored init's pid to" })
      .option('console-socket', { type: 'string', describe: 'unix socket to receive the pty master on' })
      .option('no-subreaper', { type: 'boolean', default: false, describe: 'accepted for runc compatibility; tsrun never becomes a subreaper' })
      .option('no-pivot', { type: 'boolean', default: false, describe: "accepted for runc compatibility; CRIU sets the restored root up itself" })
      .option('lsm-profile', { type: 'string', describe: 'the LSM profile to restore with, as TYPE:NAME' })
      .option('lsm-mount-context', { type: 'string', describe: 'the SELinux mount context for the restored mounts' }) as never,
  handler: command<RestoreArgs, RuntimeBase>(async (ctx, argv) => {
    runcArgChecks('restore', STRING_FLAGS, argv);
    if (ctx.systemdCgroup) {
      throw new UnsupportedError('restore --systemd-cgroup is not supported by tsrun yet: CRIU would have to restore into a systemd scope; restore without it (the cgroupfs driver)');
    }
    const { restoreContainer } = await import('../runtime/restore.js');
    return restoreContainer(ctx.store, {
      id: argv.containerId,
      ...criuCommonOptions(argv),
      bundle: argv.bundle,
      detach: argv.detach,
      pidFile: argv.pidFile,
      consoleSocket: argv.consoleSocket,
      noSubreaper: argv.noSubreaper,
      noPivot: argv.noPivot,
      lsmProfile: argv.lsmProfile,
      lsmMountContext: argv.lsmMountContext,
      onWarning: (m) => ctx.log.warn(m),
    });
  }, RuntimeBase),
};
