// config-linux.md "Namespaces": a namespace type left out of linux.namespaces
// is the runtime's. Without a mount namespace the container's mounts are the
// host's: its root is a chroot (pivot_root would move the host's /), and each
// mount the config asks for (and, for root.readonly, a bind of the rootfs on
// itself) is made on the host, recorded in the state dir and undone by delete
// (host-mounts.ts). What would change the host for good, or
// could not be undone by mount id, is refused here with the reason.
import path from 'node:path';
import type { Config } from '../spec/types.js';
import { CAPABILITY_SETS } from './capabilities.js';
import { configWarning, PlanError } from '../core/errors.js';

const ADD_MOUNT_NS = 'add {"type": "mount"} to linux.namespaces';

/** True when the config mounts a filesystem of its own (not a bind) on /dev: the devices go there. */
function mountsOwnDev(config: Config): boolean {
  return (config.mounts ?? []).some(
    (m) => path.posix.resolve('/', m.destination) === '/dev' && m.type !== 'bind' && !(m.options ?? []).some((o) => o === 'bind' || o === 'rbind'),
  );
}

/**
 * Checks a config that has no mount namespace. Returns whether device nodes
 * are made: only into a /dev the config mounts, so none lands on the rootfs's
 * disk (they go with that mount when delete unmounts it).
 */
export function planWithoutMountNamespace(config: Config, warn: (message: string) => void): { makeDevices: boolean } {
  // runc refuses these the same way: masking takes mounts in the container's own namespace.
  if (config.linux?.maskedPaths?.length) {
    throw new PlanError('/linux/maskedPaths', `unable to restrict sys entries without a private mount namespace (${ADD_MOUNT_NS})`);
  }
  if (config.linux?.readonlyPaths?.length) {
    throw new PlanError('/linux/readonlyPaths', `unable to restrict sys entries without a private mount namespace (${ADD_MOUNT_NS})`);
  }
  if (config.linux?.rootfsPropagation) {
    throw new PlanError('/linux/rootfsPropagation', `without a mount namespace this would change the propagation of the host's own mounts (${ADD_MOUNT_NS})`);
  }
  const makeDevices = mountsOwnDev(config);
  // The pty is bound on /dev/console: inside a /dev of ours it goes when that mount goes.
  if (!makeDevices && config.process?.terminal) {
    throw new PlanError('/process/terminal', `a terminal is bind-mounted on /dev/console, which without a mount namespace needs a tmpfs mounted on /dev (mount one, or ${ADD_MOUNT_NS})`);
  }
  if (!makeDevices && config.linux?.devices?.length) {
    throw new PlanError('/linux/devices', `without a mount namespace and a tmpfs mounted on /dev, device nodes would be made on the rootfs's own disk and outlive the container (mount a tmpfs on /dev, or ${ADD_MOUNT_NS})`);
  }
  const caps = config.process?.capabilities;
  const sets = CAPABILITY_SETS.filter((s) => caps?.[s]?.includes('CAP_SYS_CHROOT'));
  if (sets.length) {
    warn(configWarning('/process/capabilities', `CAP_SYS_CHROOT (in ${sets.join(', ')}) with no mount namespace: the container's root is a chroot, which a process with CAP_SYS_CHROOT can leave for the host's /`));
  }
  return { makeDevices };
}
