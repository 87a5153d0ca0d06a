// The device nodes and links a container's /dev gets: runc's defaults,
// then linux.devices (config-linux.md "Devices", "Default Devices").
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../spec/types.js';
import { PlanError } from '../core/errors.js';

export type { DevicePlan, DevSymlink } from './plan-schema.js';
import type { DevicePlan, DevSymlink } from './plan-schema.js';


const DEFAULT_DEVICES: Array<[string, number, number]> = [
  ['/dev/null', 1, 3],
  ['/dev/zero', 1, 5],
  ['/dev/full', 1, 7],
  ['/dev/random', 1, 8],
  ['/dev/urandom', 1, 9],
  ['/dev/tty', 5, 0],
];

/** A /dev bind-mounted from elsewhere is left as it is, as runc does. */
export function wantsDevSetup(config: Config): boolean {
  return !(config.mounts ?? []).some(
    (m) => path.posix.resolve('/', m.destination) === '/dev' && (m.type === 'bind' || (m.options ?? []).some((o) => o === 'bind' || o === 'rbind')),
  );
}

export function planDevices(config: Config): DevicePlan[] {
  if (!wantsDevSetup(config)) return [];
  const byPath = new Map<string, DevicePlan>();
  for (const [p, major, minor] of DEFAULT_DEVICES) {
    byPath.set(p, { path: p, type: 'c', major, minor, fileMode: 0o666, uid: 0, gid: 0, configPath: '/linux/devices' });
  }
  (config.linux?.devices ?? []).forEach((d, i) => {
    const configPath = `/linux/devices/${i}`;
    const p = path.posix.resolve('/', d.path);
    if (p === '/dev' || !p.startsWith('/dev/')) {
      throw new PlanError(`${configPath}/path`, `a device must live under /dev, not at ${d.path}`);
    }
    const type = d.type === 'u' ? 'c' : (d.type as 'c' | 'b' | 'p');
    if (type !== 'p' && (d.major === undefined || d.minor === undefined)) {
      throw new PlanError(configPath, `a ${d.type} device needs major and minor numbers`);
    }
    byPath.set(p, {
      path: p,
      type,
      major: d.major ?? 0,
      minor: d.minor ?? 0,
      fileMode: d.fileMode ?? 0o666,
      uid: d.uid ?? 0,
      gid: d.gid ?? 0,
      configPath,
    });
  });
  return [...byPath.values()];
}

export function planDevSymlinks(config: Config): DevSymlink[] {
  if (!wantsDevSetup(config)) return [];
  const links: DevSymlink[] = [
    { path: '/dev/fd', target: '/proc/self/fd', replace: false },
    { path: '/dev/stdin', target: '/proc/self/fd/0', replace: false },
    { path: '/dev/stdout', target: '/proc/self/fd/1', replace: false },
    { path: '/dev/stderr', target: '/proc/self/fd/2', replace: false },
  ];
  if (fs.existsSync('/proc/kcore')) links.push({ path: '/dev/core', target: '/proc/kcore', replace: false });
  // The container's ptmx must be its own devpts instance's, as runc links it.
  links.push({ path: '/dev/ptmx', target: 'pts/ptmx', replace: true });
  return links;
}
