// The well-known cgroup v1 -> v2 value conversions (runc's and crun's), and
// small parsers shared by the v1 and v2 code.
import fs from 'node:fs';

/**
 * cpu.shares (v1, 2..262144, default 1024) to cpu.weight (v2, 1..10000,
 * default 100): the quadratic fit runc >= 1.3.2 and crun >= 1.23 use, so that
 * minimum, default and maximum map onto each other (2 -> 1, 1024 -> 100,
 * 262144 -> 10000). Older runc (1.1.5 included) used the linear
 * 1 + (shares - 2) * 9999 / 262142, which maps 1024 to 39. 0 means unset.
 */
export function sharesToWeight(shares: number): number {
  if (shares === 0) return 0;
  if (shares <= 2) return 1;
  if (shares >= 262144) return 10000;
  const l = Math.log2(shares);
  return Math.ceil(10 ** ((l * l + 125 * l) / 612 - 7 / 34));
}

/** blkio.weight (10..1000) to io.weight (1..10000), runc's linear map. 0 means unset. */
export function blkioToIoWeight(weight: number): number {
  if (weight === 0) return 0;
  return 1 + Math.floor(((weight - 10) * 9999) / 990);
}

/**
 * memory.swap (v1: memory+swap) to memory.swap.max (v2: swap alone), as runc
 * converts it. -1 is unlimited, 0 unset; a finite swap needs a finite limit.
 * Returns undefined when nothing is to be written, or the reason it cannot be.
 */
export function swapToV2(swap: number, limit: number): { value?: number; error?: string } {
  if (limit === -1 && swap === 0) return { value: -1 };
  if (swap === -1) return { value: -1 };
  if (swap === 0) return {};
  if (limit === 0 || limit === -1) return { error: 'a swap limit needs a memory limit (memory.limit) to be computed from on cgroup v2' };
  if (swap < limit) return { error: `swap (memory+swap, ${swap}) must be at least the memory limit (${limit})` };
  return { value: swap - limit };
}

/** v2 files take "max" for unlimited. */
export const v2Limit = (n: number) => (n === -1 ? 'max' : String(n));

/** "2MB" -> 2048 (kB), the unit /sys/kernel/mm/hugepages names sizes in. */
export function hugepageKb(pageSize: string): number | undefined {
  const m = /^(\d+)([KMG])B$/.exec(pageSize);
  if (!m) return undefined;
  return Number(m[1]) * { K: 1, M: 1024, G: 1024 * 1024 }[m[2] as 'K' | 'M' | 'G'];
}

/** The huge page sizes this kernel has, in the spec's notation ("2MB", "1GB"). */
export function hostHugepageSizes(dir = '/sys/kernel/mm/hugepages'): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .map((n) => /^hugepages-(\d+)kB$/.exec(n))
    .filter((m): m is RegExpExecArray => !!m)
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b)
    .map((kb) => (kb % (1024 * 1024) === 0 ? `${kb / 1024 / 1024}GB` : kb % 1024 === 0 ? `${kb / 1024}MB` : `${kb}KB`));
}

/** "0-2,5" -> [0, 1, 2, 5] (cpuset lists). */
export function parseList(text: string): number[] {
  const out: number[] = [];
  for (const part of text.trim().split(',')) {
    if (!part) continue;
    const [a, b] = part.split('-').map(Number);
    for (let i = a; i <= (b ?? a); i++) out.push(i);
  }
  return out;
}

/** "key value" lines (memory.stat, cpu.stat, memory.events) as numbers. */
export function parseKeyed(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const [k, v] = line.trim().split(/\s+/);
    if (k && v !== undefined && /^-?\d+$/.test(v)) out[k] = Number(v);
  }
  return out;
}

/** Kernel release as [major, minor]: "6.18.44-fc" -> [6, 18]. */
export function kernelVersion(release: string): [number, number] {
  const m = /^(\d+)\.(\d+)/.exec(release);
  return m ? [Number(m[1]), Number(m[2])] : [0, 0];
}
