// `create`: validate, plan, start tsrun-init and bring the container to
// `created`. On any failure nothing is left: no state dir, process or fifo.
import fs from 'node:fs';
import path from 'node:path';
import createDebug from 'debug';
import { readConfigFile } from '../spec/validate.js';
import { TsrunError } from './errors.js';
import { runCreateProtocol } from './init-session.js';
import { native } from './native.js';
import { buildCreatePlan, rootfsPath } from './plan.js';
import { readProcStat } from './proc.js';
import { sendSeccompListener } from './seccomp-listener.js';
import { inheritedNofile, readHostFacts } from './host.js';
import { planIdMaps, writeIdMaps } from './userns.js';
import { writeFileAtomic, type StateStore, type StoredState } from './state.js';
import { rfc3339NanoNow } from './time.js';

const debug = createDebug('tsrun:create');

export const OCI_VERSION = '1.3.0';

export interface CreateOptions {
  id: string;
  bundle: string;
  pidFile?: string;
  noPivot?: boolean;
  noNewKeyring?: boolean;
  preserveFds?: number;
  onWarning?(message: string): void;
}

/** Returns the container init's pid. */
export function createContainer(store: StateStore, opts: CreateOptions): StoredState {
  const bundle = path.resolve(opts.bundle);
  if (!fs.existsSync(bundle) || !fs.statSync(bundle).isDirectory()) {
    throw new TsrunError(`bundle ${bundle} does not exist or is not a directory`);
  }
  const config = readConfigFile(path.join(bundle, 'config.json'));
  const rootfs = rootfsPath(config, bundle);
  if (!fs.existsSync(rootfs) || !fs.statSync(rootfs).isDirectory()) {
    throw new TsrunError(`config.json: /root/path: rootfs ${rootfs} does not exist or is not a directory`);
  }
  const pidFile = opts.pidFile ? path.resolve(opts.pidFile) : undefined;

  const dir = store.create(opts.id);
  let state: StoredState | undefined;
  try {
    native().mkfifo(dir.fifoPath, 0o622);
    const plan = buildCreatePlan(config, {
      id: opts.id,
      bundle,
      fifoPath: dir.fifoPath,
      noPivot: opts.noPivot,
      noNewKeyring: opts.noNewKeyring,
      preserveFds: opts.preserveFds,
      inheritedNofile: inheritedNofile(),
      host: readHostFacts(),
      warn: (m) => opts.onWarning?.(m),
    });
    const idMaps = planIdMaps(config);
    debug('plan %o', plan);
    runCreateProtocol(plan, {
      onWarning: opts.onWarning,
      writeIdMaps: idMaps && ((pid) => writeIdMaps(pid, idMaps)),
      onSeccompListener(fd, pid) {
        const sc = plan.process.seccomp;
        if (!sc?.listenerPath) throw new TsrunError('tsrun-init sent a seccomp listener, but the plan has no listenerPath');
        sendSeccompListener(sc.listenerPath, sc.listenerMetadata, fd, { ociVersion: OCI_VERSION, id: opts.id, pid, bundle, annotations: config.annotations });
      },
      onCreated(pid) {
        const stat = readProcStat(pid);
        if (!stat) throw new TsrunError(`the container's init (pid ${pid}) vanished during create`);
        state = {
          ociVersion: OCI_VERSION,
          id: opts.id,
          pid,
          bundle,
          rootfs,
          created: rfc3339NanoNow(),
          owner: '',
          annotations: config.annotations,
          initStartTime: stat.startTime,
          config,
        };
        dir.writeState(state);
        // go-runc reads this with a bare Atoi: no trailing newline.
        if (pidFile) writeFileAtomic(pidFile, String(pid), 0o644);
      },
    });
    dir.close();
    return state!;
  } catch (e) {
    dir.destroy();
    if (pidFile && state) fs.rmSync(pidFile, { force: true });
    throw e;
  }
}
