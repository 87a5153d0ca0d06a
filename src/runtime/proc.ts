// What /proc says about a process: whether it still is the one we started.
import { readFileSync } from 'node:fs';

export interface ProcStat {
  state: string;      // R, S, D, Z, X, …
  startTime: number;  // clock ticks after boot (field 22)
  ppid: number;
}

export function readProcStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    // utf8, not latin1: node reads a utf8 file in one native call, while any
    // other encoding goes through its JS read loop, about 0.5 ms more at the
    // first use. Only comm may hold non-ASCII bytes, and it ends before the
    // last ')', which decoding cannot move.
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // comm may hold spaces and parentheses: the fields start after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { state: fields[0], ppid: Number(fields[1]), startTime: Number(fields[19]) };
}

/**
 * True while pid is the live process that had startTime: a zombie counts as
 * gone, and so does a reused pid (a different start time).
 */
export function isAlive(pid: number, startTime: number): boolean {
  if (pid <= 0) return false;
  const st = readProcStat(pid);
  return st !== undefined && st.state !== 'Z' && st.state !== 'X' && st.startTime === startTime;
}
