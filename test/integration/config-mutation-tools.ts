// The pieces the config fuzz's mutations are made of (config-mutations.ts):
// a seeded PRNG, raw JSON tokens, the case context and types, and helpers
// that walk and change a config tree. Pure: no file system, no processes.
/** mulberry32: a small, fast, seeded PRNG; returns floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The seed of case `index` of a run seeded with `seed` (so any case replays alone). */
export function caseSeed(seed: number, index: number): number {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  h = Math.imul(h ^ (index + 0x7f4a7c15), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

export class Rng {
  private readonly next: () => number;
  constructor(seed: number) {
    this.next = mulberry32(seed);
  }
  float(): number {
    return this.next();
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
}

// --- raw JSON tokens ----------------------------------------------------------

export const RAW = '\u0001raw:';
/**
 * A value serialised as raw JSON text (1e400, -0, deep nesting): JSON.stringify
 * cannot write these, and a 50,000-level nesting would overflow its stack.
 */
export function raw(text: string): string {
  if (/["\\]/.test(text)) throw new Error('raw JSON text must not contain quotes or backslashes');
  return RAW + text;
}

/** The config as the bundle's config.json text, raw tokens spliced in. */
export function serializeConfig(config: unknown): string {
  return JSON.stringify(config, null, 1).replace(/"\\u0001raw:([^"]*)"/g, '$1');
}

// --- the context a case runs in -----------------------------------------------------

export interface FuzzContext {
  /** Unique per case; part of the id, every cgroupsPath and every canary name. */
  token: string;
  /** The case's own directory (bundle and rootfs are inside it). */
  caseDir: string;
  bundle: string;
  /** The case's own rootfs copy (absolute). */
  rootfs: string;
  /** Hook scripts shared by all cases (they only exit, sleep or print). */
  scripts: { ok: string; fail: string; sleep: string; noisy: string; nulOutput: string; notExecutable: string };
  /** The fd number of a host directory every tsrun command inherits (a leak a careless caller makes). */
  leakedFd: number;
  /** A process of the test's own that no case may kill or move. */
  victimPid: number;
  /** The host's current net.ipv4.ip_forward, written back unchanged by one probe. */
  hostIpForward: string;
  /** The host's hostname: the one probe that must be refused sets it, so even a bug changes nothing. */
  hostHostname: string;
}

export type Mode = 'create' | 'start' | 'run';
export type Expectation = 'refuse' | 'accept' | 'noLateFailure';

/** What the test must do to the case's rootfs copy before the case. */
export type RootfsOp = { op: 'symlink'; path: string; target: string } | { op: 'mkdir'; path: string } | { op: 'file'; path: string; content: string };

export interface Mutation {
  family: string;
  /** Its description in failure messages and the report. */
  name: string;
  apply(c: Cfg, ctx: FuzzContext, rng: Rng): void;
  /**
   * refuse: create (or run) must fail, naming config.json. accept: it must not.
   * noLateFailure: refused by create, or it runs: never a create that
   * succeeds for a container that cannot start.
   */
  expect?: Expectation;
  /** The mode this needs (a long-running process needs `start`). */
  mode?: Mode;
  /** Alone in its case (namespace paths, large configs). */
  exclusive?: boolean;
  /** A refusal here is about something else than config.json (the id): its message need not name the file. */
  notAboutConfig?: boolean;
  rootfsOps?: (ctx: FuzzContext) => RootfsOp[];
  /**
   * A failure found by this fuzz outside issue 12, reported and not fixed
   * yet: the case's problems are shown, but fail the test only with
   * TSRUN_FUZZ_STRICT=1. Delete the flag once it is fixed.
   */
  knownOpen?: string;
  /** A refusal must not say this (a misleading message). */
  refusalMustNot?: RegExp;
  /** Every error or warning about a hook must say this. */
  hookErrorsMatch?: RegExp;
  /** Needs a longer command timeout (large configs). */
  slow?: boolean;
  /** Replaces the container id given on the command line. */
  id?: (ctx: FuzzContext) => string;
  weight?: number;
}

export type Cfg = Record<string, any>;

export interface FuzzCase {
  seed: number;
  index: number;
  id: string;
  mode: Mode;
  config: Cfg;
  text: string;
  mutations: Array<{ family: string; name: string }>;
  expect?: Expectation;
  notAboutConfig: boolean;
  knownOpen?: string;
  refusalMustNot?: RegExp;
  hookErrorsMatch?: RegExp;
  slow: boolean;
  rootfsOps: RootfsOp[];
}

// --- tree helpers -------------------------------------------------------------------

export type Path = Array<string | number>;

export function nodes(v: unknown, at: Path = [], out: Path[] = []): Path[] {
  if (at.length) out.push(at);
  if (Array.isArray(v)) v.forEach((x, i) => nodes(x, [...at, i], out));
  else if (v && typeof v === 'object') for (const k of Object.keys(v)) nodes((v as Cfg)[k], [...at, k], out);
  return out;
}

export function get(c: unknown, p: Path): unknown {
  return p.reduce<unknown>((v, k) => (v as Cfg)?.[k], c);
}

export function set(c: Cfg, p: Path, value: unknown): void {
  const parent = get(c, p.slice(0, -1)) as Cfg;
  parent[p[p.length - 1]!] = value;
}

export function remove(c: Cfg, p: Path): void {
  const parent = get(c, p.slice(0, -1));
  const k = p[p.length - 1]!;
  if (Array.isArray(parent)) parent.splice(k as number, 1);
  else delete (parent as Cfg)[k];
}

export function pointer(p: Path): string {
  return p.map((k) => `/${String(k).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
}

export const ensure = (o: Cfg, k: string): Cfg => (o[k] ??= {});
export const linux = (c: Cfg) => ensure(c, 'linux');
export const resources = (c: Cfg) => ensure(linux(c), 'resources');
export const hooks = (c: Cfg) => ensure(c, 'hooks');

/** Namespace paths that name no namespace at all (relative ones resolve in the case dir). */
export function nonNamespacePaths(ctx: FuzzContext): string[] {
  return ['/nonexistent/ns', ctx.bundle, `${ctx.bundle}/config.json`, 'relative/ns', '', '/dev/null'];
}
