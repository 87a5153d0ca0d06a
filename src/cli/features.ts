// `features`: the runtime-spec features document (features.md), as JSON with
// runc's 4-space indent.
import fs from 'node:fs';
import path from 'node:path';
import type { CommandModule } from 'yargs';
import { packageRoot } from '../core/package-root.js';
import { features } from '../runtime/features.js';
import { idmappedMountsWork, readHostFacts } from '../runtime/host.js';
import { seccompFacts } from '../runtime/seccomp.js';
import { hostLayout } from '../cgroups/hierarchy.js';
import { systemdDriverProblem } from '../cgroups/systemd.js';
import { rootlessEuid } from '../runtime/rootless.js';
import { command, type GlobalArgs } from './context.js';
import { writeStdout } from './stdout.js';

export const featuresCommand: CommandModule<GlobalArgs, GlobalArgs> = {
  command: 'features',
  describe: 'print what this runtime supports, as JSON (runtime-spec features.md)',
  handler: command((_ctx) => {
    const host = readHostFacts();
    const version = (JSON.parse(fs.readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version;
    const doc = features({
      version,
      seccomp: seccompFacts(),
      apparmorEnabled: host.apparmorEnabled,
      selinuxEnabled: host.selinuxEnabled,
      // A rootless caller's idmapped mounts are refused (plan.ts), so they are not offered to it.
      idmapMounts: !rootlessEuid() && idmappedMountsWork(),
      // Rootless (a systemd user instance) is not supported by the driver.
      systemdDriver: !rootlessEuid() && systemdDriverProblem(hostLayout()) === undefined,
    });
    writeStdout(`${JSON.stringify(doc, null, 4)}\n`);
  }),
};
