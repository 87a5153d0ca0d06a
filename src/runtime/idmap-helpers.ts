// How the parent writes a new user namespace's maps when it is not root on
// the host (rootless by euid), as runc does:
//  - one mapping of the caller's own id: written directly, and for gid_map
//    only after "deny" is written to setgroups (user_namespaces(7));
//  - anything else: newuidmap/newgidmap (package uidmap), setuid helpers that
//    check /etc/subuid and /etc/subgid. They run from the parent, where no
//    no_new_privs is set. setgroups is then left alone, as runc leaves it.
import fs from 'node:fs';
import type { Config, IdMapping } from '../spec/types.js';
import { PlanError } from '../core/errors.js';

export type MapWriter = 'direct' | 'helper';

export interface RootlessMapPlan {
  uid: MapWriter;
  gid: MapWriter;
  /** "deny" goes into /proc/PID/setgroups before gid_map: setgroups(2) is refused in the container. */
  denySetgroups: boolean;
}

const selfMapping = (maps: IdMapping[], id: number) => maps.length === 1 && maps[0].hostID === id && maps[0].size === 1;

/** Which way each map is written for a caller of euid/egid. */
export function planRootlessMaps(config: Config, ids: { euid: number; egid: number }): RootlessMapPlan {
  const uid: MapWriter = selfMapping(config.linux?.uidMappings ?? [], ids.euid) ? 'direct' : 'helper';
  const gid: MapWriter = selfMapping(config.linux?.gidMappings ?? [], ids.egid) ? 'direct' : 'helper';
  const denySetgroups = gid === 'direct';
  const extra = config.process?.user?.additionalGids ?? [];
  if (denySetgroups && extra.length) {
    throw new PlanError(
      '/process/user/additionalGids',
      `a rootless container whose gid map is the caller's own gid alone has setgroups(2) denied, so it cannot take supplementary groups (${extra.join(', ')}): ` +
        'remove additionalGids, or map a range from /etc/subgid in linux.gidMappings (written by newgidmap)',
    );
  }
  return { uid, gid, denySetgroups };
}

/** /etc/subuid-style ranges of user (by name or uid). */
export function subordinateRanges(file: string, user: { name?: string; uid: number }): Array<{ start: number; count: number }> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  const out: Array<{ start: number; count: number }> = [];
  for (const line of text.split('\n')) {
    const [owner, start, count] = line.trim().split(':');
    if (owner === undefined || start === undefined || count === undefined) continue;
    if (owner === user.name || owner === String(user.uid)) out.push({ start: Number(start), count: Number(count) });
  }
  return out;
}

/** The program that writes map `file`: newuidmap for uid_map, newgidmap for gid_map. */
const HELPERS = { uid_map: 'newuidmap', gid_map: 'newgidmap' } as const;

/** Runs newuidmap/newgidmap on pid with maps; errors quote the helper and name configPath. */
export function runMapHelper(file: 'uid_map' | 'gid_map', pid: number, maps: IdMapping[], configPath: string): void {
  const helper = HELPERS[file];
  const args = [String(pid), ...maps.flatMap((m) => [String(m.containerID), String(m.hostID), String(m.size)])];
  // child_process at first use: most commands never run a helper (README, Start-up).
  const r = process.getBuiltinModule('node:child_process').spawnSync(helper, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' } });
  const owner = file === 'uid_map' ? '/etc/subuid' : '/etc/subgid';
  const text = maps.map((m) => `${m.containerID} ${m.hostID} ${m.size}`).join('; ');
  if (r.error) {
    const code = (r.error as NodeJS.ErrnoException).code;
    throw new PlanError(
      configPath,
      code === 'ENOENT'
        ? `${text} is not the caller's own id alone, so it needs ${helper}, which is not installed: install the uidmap package (apt-get install uidmap), or map only your own id`
        : `cannot run ${helper}: ${r.error.message}`,
    );
  }
  if (r.status !== 0) {
    const said = `${r.stderr ?? ''}${r.stdout ?? ''}`.trim().replace(/\s*\n\s*/g, '; ');
    throw new PlanError(
      configPath,
      `${helper} refused the mapping ${text}${said ? ` (${helper}: ${said})` : ` (exit status ${r.status ?? r.signal})`}: ` +
        `every host id outside your own must be in your ${owner} range (user:start:count), and the helper must be setuid root on a mount without nosuid`,
    );
  }
}

/**
 * Before the helpers run: each helper-written map must lie in the caller's own
 * id or its subordinate ranges, else newuidmap's "write to uid_map failed:
 * Operation not permitted" would be all the user sees.
 */
export function checkSubordinateRanges(
  maps: IdMapping[],
  configPath: string,
  owner: { name?: string; id: number; file: string },
): void {
  const ranges = subordinateRanges(owner.file, { name: owner.name, uid: owner.id });
  const who = owner.name ? `${owner.name} (${owner.id})` : String(owner.id);
  maps.forEach((m, i) => {
    const end = m.hostID + m.size;
    const inside = (m.hostID === owner.id && m.size === 1) || ranges.some((r) => m.hostID >= r.start && end <= r.start + r.count);
    if (inside) return;
    if (!ranges.length) {
      throw new PlanError(
        `${configPath}/${i}`,
        `host ids ${m.hostID}-${end - 1} are not yours: ${owner.file} has no entry for ${who}, so only your own id ${owner.id} can be mapped; ` +
          `ask root to add one (e.g. usermod --add-subuids 100000-165535 --add-subgids 100000-165535 ${owner.name ?? owner.id}) or map only ${owner.id}`,
      );
    }
    throw new PlanError(
      `${configPath}/${i}`,
      `host ids ${m.hostID}-${end - 1} (hostID ${m.hostID}, size ${m.size}) are outside ${who}'s ranges in ${owner.file} ` +
        `(${ranges.map((r) => `${r.start}-${r.start + r.count - 1}`).join(', ')}) and are not its own id ${owner.id}: map ids within those ranges`,
    );
  });
}
