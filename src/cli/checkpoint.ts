import type { CommandModule } from 'yargs';
import { RuntimeBase } from '../runtime/runtime-base.js';
import { command, type GlobalArgs } from './context.js';
import { criuCommonFlags, criuCommonOptions, runcArgChecks, type CriuCommonArgs } from './criu-flags.js';

interface CheckpointArgs extends CriuCommonArgs {
  parentPath?: string;
  leaveRunning: boolean;
  preDump: boolean;
  pageServer?: string;
  statusFd?: number;
  tcpSkipInFlight: boolean;
  linkRemap: boolean;
}

const STRING_FLAGS = ['image-path', 'work-path', 'parent-path', 'page-server', 'manage-cgroups-mode', 'empty-ns'];

export const checkpointCommand: CommandModule<GlobalArgs, CheckpointArgs & GlobalArgs> = {
  command: 'checkpoint [container-id]',
  describe: 'checkpoint a running container with CRIU',
  builder: (y) =>
    criuCommonFlags(y)
      .option('parent-path', { type: 'string', describe: 'path of the previous (pre-dump) images, relative to --image-path' })
      .option('leave-running', { type: 'boolean', default: false, describe: 'leave the process running after checkpointing' })
      .option('pre-dump', { type: 'boolean', default: false, describe: 'dump the memory only, for a later checkpoint with --parent-path' })
      .option('page-server', { type: 'string', describe: 'ADDRESS:PORT of the page server' })
      .option('status-fd', { type: 'number', describe: 'criu writes \\0 to this fd once lazy-pages is ready' })
      .option('tcp-skip-in-flight', { type: 'boolean', default: false, describe: 'skip in-flight tcp connections' })
      .option('link-remap', { type: 'boolean', default: false, describe: 'allow one to link unlinked files back when possible' }) as never,
  handler: command<CheckpointArgs, RuntimeBase>(async (ctx, argv) => {
    runcArgChecks('checkpoint', STRING_FLAGS, argv);
    const { checkpointContainer } = await import('../runtime/checkpoint.js');
    await checkpointContainer(ctx.store, {
      id: argv.containerId,
      ...criuCommonOptions(argv),
      parentPath: argv.parentPath,
      leaveRunning: argv.leaveRunning,
      preDump: argv.preDump,
      pageServer: argv.pageServer,
      statusFd: argv.statusFd,
      tcpSkipInFlight: argv.tcpSkipInFlight,
      linkRemap: argv.linkRemap,
      onWarning: (m) => ctx.log.warn(m),
    });
  }, RuntimeBase),
};
