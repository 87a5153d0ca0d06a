// cgroupfs access: one value per write, errors that keep errno, mkdir -p that
// says which directories it made, rmdir that waits out exiting tasks.
import fs from 'node:fs';
import path from 'node:path';

// Made at first use, not when the module loads: most commands never wait.
let sleeper: Int32Array | undefined;
export const sleepMs = (ms: number) => Atomics.wait((sleeper ??= new Int32Array(new SharedArrayBuffer(4))), 0, 0, ms);

export function readText(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** One write(2) of value, as the kernel wants cgroup files written; throws the errno error. No O_CREAT: a file the kernel lacks is ENOENT. */
export function writeValue(file: string, value: string): void {
  const fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_TRUNC);
  try {
    fs.writeSync(fd, value);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * mkdir -p; returns the directories it created, parents first. ENOENT (an
 * empty parent removed meanwhile by a delete) retries.
 */
export function mkdirs(dir: string): string[] {
  // What an attempt made stays ours if a later one finds it still there.
  const created = new Set<string>();
  for (let attempt = 0; ; attempt++) {
    try {
      makeDir(dir, created);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT' || attempt >= 20) throw e;
      continue;
    }
    // A first attempt's directories are all there: the last one made is in each of the others.
    return attempt === 0 ? [...created] : [...created].filter((d) => fs.existsSync(d)).sort((a, b) => a.length - b.length);
  }
}

/**
 * mkdir of dir, its missing parents first. Usually only the leaf is missing:
 * one mkdir. Where a parent is missing, the mkdir's ENOENT says so, without a
 * stat of each level.
 */
function makeDir(dir: string, created: Set<string>): void {
  try {
    fs.mkdirSync(dir, 0o755);
    created.add(dir);
    return;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return;
    const parent = path.dirname(dir);
    if (code !== 'ENOENT' || parent === dir) throw e;
    makeDir(parent, created);
  }
  try {
    fs.mkdirSync(dir, 0o755);
    created.add(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
}

/**
 * rmdir, tolerating a cgroup that is already gone. EBUSY right after the
 * last task was killed is the kernel still tearing it down: retry briefly.
 * Returns false if it stays busy (or has children: ENOTEMPTY).
 */
export function removeDir(dir: string, waitMs = 2000): boolean {
  const deadline = Date.now() + waitMs;
  for (let delay = 1; ; delay = Math.min(delay * 2, 20)) {
    try {
      fs.rmdirSync(dir);
      return true;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return true;
      // A cgroup with children is EBUSY too: waitMs 0 (a parent that may be in use) tries once.
      if (code !== 'EBUSY' || Date.now() >= deadline) return false;
    }
    sleepMs(delay);
  }
}

/**
 * removeDir of dir and every cgroup below it, deepest first: a container's
 * cgroup with the sub-cgroups made in it (for `exec --cgroup`, or by its own
 * processes through a cgroup namespace) goes as a whole, as runc removes it.
 */
export function removeTree(dir: string, waitMs = 2000): boolean {
  // Usually there is nothing below: one rmdir, and no listing of the cgroup's
  // dozens of files. The kernel refuses it (EBUSY) while children or tasks remain.
  try {
    fs.rmdirSync(dir);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return true;
  }
  let entries: fs.Dirent[] = [];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    // gone already: removeDir says so
  }
  let ok = true;
  for (const e of entries) if (e.isDirectory()) ok = removeTree(path.join(dir, e.name), waitMs) && ok;
  return removeDir(dir, waitMs) && ok;
}

/** The pids in cgroup.procs of dir and, recursively, of its children. */
export function readPids(dir: string, recursive = true): number[] {
  const out: number[] = [];
  const text = readText(path.join(dir, 'cgroup.procs'));
  if (text === undefined) return out;
  for (const line of text.split('\n')) if (line) out.push(Number(line));
  if (recursive) {
    let entries: fs.Dirent[] = [];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      // removed meanwhile
    }
    for (const e of entries) if (e.isDirectory()) out.push(...readPids(path.join(dir, e.name)));
  }
  return out;
}

/** errno name and text of an fs error: "EBUSY (device or resource busy)". */
export function describe(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  if (!err.code) return String(err.message ?? e);
  const text = /^\w+: (.*?), \w+ /.exec(err.message)?.[1];
  return text ? `${err.code} (${text})` : err.code;
}
