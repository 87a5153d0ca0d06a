// Rootless tsrun: the two conditions runc keeps apart, and the state root of
// an unprivileged user.
//  - rootless by euid: tsrun's euid is not 0. The container needs a user
//    namespace, its maps are written as an unprivileged process may (setgroups
//    denied, or newuidmap/newgidmap), and the state is the user's.
//  - rootless cgroups: rootless by euid, or tsrun runs as uid 0 inside a user
//    namespace (rootless podman runs its runtime so), or --rootless true.
//    Cgroups that cannot be made are tolerated when the config sets no limits.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RootlessCaller } from './userns.js';
import { TsrunError, UnsupportedError } from '../core/errors.js';

/** The state root of real root, as runc's /run/runc. */
export const ROOT_STATE_ROOT = '/run/tsrun';

/**
 * True when tsrun runs in a user namespace other than the initial one: the
 * initial one maps all 2^32-1 ids onto themselves, which no other may.
 */
export function runningInUserNs(uidMap = readOwnUidMap()): boolean {
  const lines = uidMap.trim().split('\n');
  if (lines.length !== 1) return true;
  const [inside, outside, size] = lines[0].trim().split(/\s+/).map(Number);
  return !(inside === 0 && outside === 0 && size === 4294967295);
}

function readOwnUidMap(): string {
  try {
    return fs.readFileSync('/proc/self/uid_map', 'utf8');
  } catch {
    // No /proc: nothing says we are in a user namespace.
    return '0 0 4294967295';
  }
}

export const euid = (): number => process.geteuid?.() ?? 0;
export const egid = (): number => process.getegid?.() ?? 0;

/** Rootless by euid: an unprivileged caller. */
export function rootlessEuid(): boolean {
  return euid() !== 0;
}

/** --rootless: true, false, or auto (the default, also when absent). */
export type RootlessFlag = 'true' | 'false' | 'auto';

export function parseRootlessFlag(value: string | undefined): RootlessFlag {
  if (value === undefined || value === 'auto') return 'auto';
  if (value === 'true' || value === 'false') return value;
  throw new UnsupportedError(`--rootless must be true, false or auto, not "${value}"`);
}

/** Rootless cgroups, as runc's shouldUseRootlessCgroupManager decides it. */
export function rootlessCgroups(flag: RootlessFlag, facts = { euid: euid(), inUserNs: (): boolean => runningInUserNs() }): boolean {
  if (flag !== 'auto') return flag === 'true';
  return facts.euid !== 0 || facts.inUserNs();
}

export interface RootEnv {
  euid: number;
  inUserNs: () => boolean;
  env: NodeJS.ProcessEnv;
}

/**
 * The state root without --root. XDG_RUNTIME_DIR is honoured as runc honours
 * it: for a non-root euid, or for uid 0 in a user namespace unless $USER is
 * root (rootless podman's runtime has no $USER), never for real root, so that `sudo -E`
 * cannot put root's state in a directory the user can write.
 */
export function defaultStateRoot(e: RootEnv = { euid: euid(), inUserNs: () => runningInUserNs(), env: process.env }): { root: string; xdg: boolean } {
  const xdgDir = e.env.XDG_RUNTIME_DIR;
  if (xdgDir && (e.euid !== 0 || (e.inUserNs() && e.env.USER !== 'root'))) {
    return { root: path.join(xdgDir, 'tsrun'), xdg: true };
  }
  if (e.euid !== 0) {
    throw new TsrunError(
      `tsrun runs as uid ${e.euid} and XDG_RUNTIME_DIR is not set, so it has no state root of its own (${ROOT_STATE_ROOT} is root's): ` +
        'set XDG_RUNTIME_DIR to a directory of yours (e.g. export XDG_RUNTIME_DIR=/run/user/$(id -u), made by logind or by root with mode 0700 and you as owner), or give --root DIR',
    );
  }
  return { root: ROOT_STATE_ROOT, xdg: false };
}

/** Makes $XDG_RUNTIME_DIR/tsrun 0700 with the sticky bit, as runc makes its own; explains a directory it cannot make. */
export function prepareXdgRoot(root: string): void {
  try {
    fs.mkdirSync(root, { recursive: true, mode: 0o700 });
    // The sticky bit keeps a tmpfiles-style cleaner (systemd's) from removing it.
    fs.chmodSync(root, 0o1700);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new TsrunError(
      `cannot use ${root} (under XDG_RUNTIME_DIR) as the state root: ${err.code ?? ''} ${err.message.replace(/^[A-Z]+: /, '')}; ` +
        'XDG_RUNTIME_DIR must be a directory you own and can write (e.g. /run/user/$(id -u), mode 0700), or give --root DIR',
    );
  }
}

/** The caller when rootless by euid (its ids and name, for /etc/subuid), else undefined. */
export function rootlessCaller(): RootlessCaller | undefined {
  if (!rootlessEuid()) return undefined;
  let name: string | undefined;
  try {
    name = os.userInfo().username;
  } catch {
    // No passwd entry: /etc/subuid may still name the uid.
  }
  return { euid: euid(), egid: egid(), name };
}
