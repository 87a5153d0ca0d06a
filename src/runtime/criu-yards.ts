// CRIU's cgroup yard: a restore's CRIU makes .criu.cgyard.XXXXXX in its work
// directory (its cwd), mounts a tmpfs there with the cgroup hierarchies under
// it, keeps the yard open (its CGROUP_YARD service fd) and unmounts it when it
// ends, unless it is killed. A restore records, in the container's state dir
// and before CRIU starts, the work directory, the yards already there (another
// restore's) and CRIU's pid; then, at each of CRIU's notifications, the yards
// CRIU holds open (its own), by mount id. Whoever undoes the restore (restore
// itself, delete, the sweep of dead creates) detaches what that record names;
// a yard it does not name is undone only when it was not there before and no
// live process works in that directory or holds the yard open, so a
// concurrent restore's live yard is never touched.
import fs from 'node:fs';
import path from 'node:path';
import { constants } from 'node:os';
import { TsrunError } from '../core/errors.js';
import type { NativeCore } from '../core/native.js';
import { sleepMs } from '../cgroups/fs.js';
import { isAlive, readProcStat } from './proc.js';
import { CRIU_YARDS_FILE } from './state.js';

/** Where CRIU's restore mounts the cgroup hierarchies, in its work directory (CRIU's name). */
const CRIU_YARD_PREFIX = '.criu.cgyard.';

export interface Yard {
  /** mountinfo's mount id of the yard's tmpfs. */
  id: number;
  at: string;
}

interface YardRecord {
  /** The restore's work directory, resolved. */
  work: string;
  /** Yard directories there before CRIU started: another restore's. */
  before: string[];
  criu?: { pid: number; startTime: number };
  /** Yards our CRIU held open. */
  yards: Yard[];
}

const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));

/** The cgroup yards mounted in work (their top mounts), as mountinfo has them. */
export function mountedYards(work: string): Yard[] {
  return fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').flatMap((line) => {
    const f = line.split(' ');
    const at = f[4] === undefined ? undefined : unescape(f[4]);
    return at && path.dirname(at) === work && path.basename(at).startsWith(CRIU_YARD_PREFIX) ? [{ id: Number(f[0]), at }] : [];
  });
}

/** Yard directories in work, mounted or not (CRIU's mkdtemp comes before its mount). */
function yardDirs(work: string): string[] {
  try {
    return fs.readdirSync(work).filter((n) => n.startsWith(CRIU_YARD_PREFIX)).map((n) => path.join(work, n));
  } catch {
    return [];
  }
}

function readLink(p: string): string | undefined {
  try {
    return fs.readlinkSync(p);
  } catch {
    return undefined;
  }
}

/** What pid holds open (fd targets). */
function openFiles(pid: number | string): string[] {
  let fds: string[];
  try {
    fds = fs.readdirSync(`/proc/${pid}/fd`);
  } catch {
    return [];
  }
  return fds.flatMap((fd) => readLink(`/proc/${pid}/fd/${fd}`) ?? []);
}

/**
 * Whether a live process other than us has its cwd in work (a CRIU between
 * its mkdtemp and opening the yard) or holds something in the yard open.
 */
function yardInUse(work: string, yard: string): boolean {
  const inside = (p: string | undefined) => p !== undefined && (p === yard || p.startsWith(`${yard}/`));
  for (const pid of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue;
    const cwd = readLink(`/proc/${pid}/cwd`);
    if (cwd === work || inside(cwd) || openFiles(pid).some(inside)) return true;
  }
  return false;
}

/** A restore's record of CRIU's yards, kept in the container's state dir. */
export class YardRecorder {
  private readonly file: string;
  private readonly record: YardRecord;

  /** Written before CRIU starts; work exists (opened for CRIU already). */
  constructor(stateDir: string, work: string) {
    this.file = path.join(stateDir, CRIU_YARDS_FILE);
    const real = fs.realpathSync(work);
    this.record = { work: real, before: yardDirs(real), yards: [] };
    this.write();
  }

  /** CRIU runs (its pid, so that a later undo kills it if it still does). */
  started(criuPid: number): void {
    const stat = readProcStat(criuPid);
    if (!stat) return;
    this.record.criu = { pid: criuPid, startTime: stat.startTime };
    this.write();
  }

  /** At a notification (CRIU alive, waiting for us): the yards it holds open are its own. */
  claim(): void {
    const criu = this.record.criu;
    if (!criu || !isAlive(criu.pid, criu.startTime)) return;
    const held = new Set(openFiles(criu.pid));
    const fresh = mountedYards(this.record.work).filter((y) => held.has(y.at) && !this.record.yards.some((k) => k.id === y.id && k.at === y.at));
    if (!fresh.length) return;
    this.record.yards.push(...fresh);
    this.write();
  }

  private write(): void {
    // Not atomic-renamed: a torn record reads as damaged and is then left (see undoCriuYards).
    fs.writeFileSync(this.file, JSON.stringify(this.record), { mode: 0o600 });
  }
}

function readRecord(file: string): YardRecord | undefined | string {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    return `${file}: ${(e as Error).message}`;
  }
  try {
    const r = JSON.parse(text) as YardRecord;
    if (typeof r.work === 'string' && Array.isArray(r.before) && Array.isArray(r.yards)) return r;
  } catch {
    // worded below
  }
  return `${file} is damaged`;
}

/**
 * Undoes what a restore's CRIU left in its work directory (see the top of
 * this file), then removes the record. Throws, keeping the record so that
 * delete can be tried again, when a yard of ours cannot be undone; a damaged
 * record (nothing to go by) is removed with a warning.
 */
export function undoCriuYards(stateDir: string, core: Pick<NativeCore, 'unmountById'>, warn?: (m: string) => void): void {
  const file = path.join(stateDir, CRIU_YARDS_FILE);
  const record = readRecord(file);
  if (record === undefined) return;
  if (typeof record === 'string') {
    // Written in one small write before CRIU ran: damaged only by a full disk or a hand; nothing to go by.
    fs.rmSync(file, { force: true });
    warn?.(`${record}: CRIU's cgroup yard of this container's restore, if any, is left in its work directory`);
    return;
  }
  const { work, criu } = record;
  // A CRIU still working on this restore (its tsrun killed) goes first: its yard would be busy.
  if (criu && isAlive(criu.pid, criu.startTime)) {
    try {
      process.kill(criu.pid, constants.signals.SIGKILL);
    } catch {
      // gone already
    }
    for (let i = 0; i < 500 && isAlive(criu.pid, criu.startTime); i++) sleepMs(10);
  }
  const ours = (at: string) => !record.before.includes(at) && (record.yards.some((y) => y.at === at) || !yardInUse(work, at));
  const mounted = mountedYards(work);
  const failed: string[] = [];
  for (const y of mounted.reverse()) {
    // A recorded yard by its id and place; one unrecorded (CRIU killed before our next notification) by its directory.
    const recorded = record.yards.some((k) => k.id === y.id && k.at === y.at);
    if (!recorded && !ours(y.at)) continue;
    try {
      core.unmountById(y.id, '0');
    } catch (e) {
      failed.push(`${y.at} (mount ${y.id}): ${(e as Error).message}`);
    }
  }
  const stillMounted = new Set(mountedYards(work).map((y) => y.at));
  for (const at of yardDirs(work)) {
    if (stillMounted.has(at) || !ours(at)) continue;
    try {
      fs.rmdirSync(at);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') failed.push(`${at}: ${(e as Error).message}`);
    }
  }
  if (failed.length) throw new TsrunError(`cannot undo CRIU's cgroup yard of this container's restore: ${failed.join('; ')}`);
  fs.rmSync(file, { force: true });
}

/** For the sweep of dead creates: a failure is left in the record, not thrown. */
export function undoCriuYardsQuietly(stateDir: string, core: Pick<NativeCore, 'unmountById'>): boolean {
  try {
    undoCriuYards(stateDir, core);
    return true;
  } catch {
    return !fs.existsSync(path.join(stateDir, CRIU_YARDS_FILE));
  }
}
