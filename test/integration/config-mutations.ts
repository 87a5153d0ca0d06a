// Seeded config mutations for the config fuzz test (config-fuzz.test.ts).
// Pure: no file system, no processes. A case is fully determined by (seed,
// index) and the context the test passes in (paths, the case token), so
// one failing case can be replayed alone.
//
// Safety: every mutation keeps the host out of reach even if tsrun had a
// bug. Nothing joins a real mount or uts namespace, sysctl only ever runs in
// a new network/ipc namespace (or writes the host's value back unchanged),
// bind sources and rootfs paths stay in the case's own directory, and
// unified cgroup.procs only ever names the test's own victim process.

import { ENRICHMENTS, MUTATIONS } from './config-mutation-catalogue.js';
import {
  caseSeed, nonNamespacePaths, pointer, RAW, Rng, serializeConfig,
  type Cfg, type Expectation, type FuzzCase, type FuzzContext, type Mode, type Mutation, type Path,
} from './config-mutation-tools.js';

export { MUTATIONS } from './config-mutation-catalogue.js';
export {
  caseSeed, mulberry32, raw, Rng, serializeConfig,
  type Cfg, type FuzzCase, type FuzzContext, type Mode, type Mutation, type RootfsOp,
} from './config-mutation-tools.js';

const TOTAL_WEIGHT = MUTATIONS.reduce((s, mu) => s + (mu.weight ?? 1), 0);

function pickMutation(rng: Rng): Mutation {
  let x = rng.float() * TOTAL_WEIGHT;
  for (const mu of MUTATIONS) {
    x -= mu.weight ?? 1;
    if (x < 0) return mu;
  }
  return MUTATIONS[MUTATIONS.length - 1]!;
}

/** Every how-many cases is an unmutated one (with valid enrichments) that must run. */
export const CONTROL_EVERY = 25;
/** Every how-many cases takes the next mutation of the catalogue in turn: ~400 cases draw each one. */
export const FORCED_EVERY = 3;

/**
 * The base config as a case starts from it: its own rootfs, and the token in
 * the process' environment, so that whatever cgroup path the runtime picks, a
 * process the case leaves behind is known by its environ.
 */
export function caseBase(base: Cfg, ctx: FuzzContext): Cfg {
  const config = structuredClone(base);
  config.root.path = ctx.rootfs;
  config.process.env.push(`TSRUN_FUZZ_CASE=${ctx.token}`);
  return config;
}

/**
 * Keeps a case away from the host whatever the mutations did (see the top of
 * the file): deterministic, and it leaves every deliberate probe alone.
 */
function keepHostSafe(c: Cfg, ctx: FuzzContext): void {
  if (c.root && typeof c.root === 'object' && typeof c.root.path === 'string') {
    const p = c.root.path.startsWith('/') ? c.root.path : `${ctx.bundle}/${c.root.path}`;
    const parts: string[] = [];
    for (const part of p.split('/')) {
      if (part === '..') parts.pop();
      else if (part && part !== '.') parts.push(part);
    }
    const resolved = `/${parts.join('/')}`;
    const inCase = resolved === ctx.caseDir || resolved.startsWith(`${ctx.caseDir}/`);
    if (!inCase && !resolved.startsWith('/nonexistent/')) c.root.path = '/nonexistent/rootfs-outside-the-case';
  }
  const namespaces: Cfg[] = Array.isArray(c.linux?.namespaces) ? c.linux.namespaces.filter((n: unknown) => n && typeof n === 'object') : [];
  // A real mount or uts namespace of the host must never be joined: only paths that are no namespace.
  const notNamespaces = new Set(nonNamespacePaths(ctx));
  for (const ns of namespaces) {
    if ((ns.type === 'mount' || ns.type === 'uts') && ns.path !== undefined && !notNamespaces.has(ns.path)) ns.path = '/nonexistent/ns';
  }
  const isNew = (type: string) => namespaces.some((n) => n.type === type && n.path === undefined);
  const sysctl = c.linux?.sysctl;
  if (sysctl && typeof sysctl === 'object') {
    const probe = namespaces.some((n) => n.type === 'network' && n.path === '/proc/self/ns/net') && Object.keys(sysctl).join() === 'net.ipv4.ip_forward'
      && sysctl['net.ipv4.ip_forward'] === ctx.hostIpForward;
    if (!probe && (!isNew('network') || !isNew('ipc'))) delete c.linux.sysctl;
  }
  if (!isNew('uts') && c.hostname !== ctx.hostHostname) delete c.hostname;
  if (!isNew('uts')) delete c.domainname;
  const unified = c.linux?.resources?.unified;
  if (unified && typeof unified === 'object') {
    for (const [k, v] of Object.entries(unified)) {
      if (/procs|threads/.test(k) && v !== String(ctx.victimPid)) delete unified[k];
    }
  }
}

/**
 * Case `index` of the run seeded with `seed`: the base config (not changed),
 * 0–3 valid enrichments, then 1–3 mutations (none for a control case). A
 * mutation that must be refused comes last, so nothing after it undoes it;
 * one that no longer fits the config (an earlier one removed its field) is
 * left out.
 */
export function makeCase(base: Cfg, seed: number, index: number, ctx: FuzzContext): FuzzCase {
  const rng = new Rng(caseSeed(seed, index));
  const config = caseBase(base, ctx);
  // A catalogue turn wins over a control case, so that every mutation gets one.
  const forced = index % FORCED_EVERY === 1 ? MUTATIONS[Math.floor(index / FORCED_EVERY) % MUTATIONS.length] : undefined;
  const control = index % CONTROL_EVERY === 0 && !forced;
  const enrich = control ? 1 + rng.int(3) : rng.chance(0.5) ? 1 + rng.int(2) : 0;
  for (let i = 0; i < enrich; i++) {
    const [, add] = rng.pick(ENRICHMENTS);
    add(config, ctx);
  }
  const chosen: Mutation[] = [];
  if (!control) {
    const count = rng.chance(0.7) ? 1 : rng.chance(0.8) ? 2 : 3;
    for (let i = 0; i < count; i++) {
      const mu = (i === 0 && forced) || pickMutation(rng);
      if (chosen.length && (mu.exclusive || chosen.some((x) => x.exclusive))) break;
      const before = structuredClone(config);
      try {
        mu.apply(config, ctx, rng);
        chosen.push(mu);
      } catch {
        // The field it works on is gone: undo what it did.
        for (const k of Object.keys(config)) delete config[k];
        Object.assign(config, before);
      }
      if (mu.expect === 'refuse' && chosen.includes(mu)) break;
    }
  }
  keepHostSafe(config, ctx);
  const wanted = chosen.find((mu) => mu.mode)?.mode;
  const mode: Mode = wanted ?? (control ? rng.pick<Mode>(['run', 'start']) : rng.pick<Mode>(['create', 'create', 'start', 'run', 'run']));
  const expect: Expectation | undefined = chosen.some((mu) => mu.expect === 'refuse') ? 'refuse'
    : control || (chosen.length === 1 && chosen[0]!.expect === 'accept') ? 'accept'
    : chosen.some((mu) => mu.expect === 'noLateFailure') ? 'noLateFailure'
    : undefined;
  const idFrom = chosen.find((mu) => mu.id)?.id;
  return {
    seed,
    index,
    id: idFrom ? idFrom(ctx) : ctx.token,
    mode,
    config,
    text: serializeConfig(config),
    mutations: control ? [{ family: 'control', name: 'no mutation (valid enrichments only)' }] : chosen.map((mu) => ({ family: mu.family, name: mu.name })),
    expect,
    notAboutConfig: chosen.some((mu) => mu.notAboutConfig),
    knownOpen: chosen.find((mu) => mu.knownOpen)?.knownOpen,
    refusalMustNot: chosen.find((mu) => mu.refusalMustNot)?.refusalMustNot,
    hookErrorsMatch: chosen.find((mu) => mu.hookErrorsMatch)?.hookErrorsMatch,
    slow: chosen.some((mu) => mu.slow),
    rootfsOps: chosen.flatMap((mu) => mu.rootfsOps?.(ctx) ?? []),
  };
}

// --- the minimal diff a failure shows ---------------------------------------------------

function show(v: unknown, limit = 160): string {
  if (v === undefined) return '(absent)';
  const s = typeof v === 'string' && v.startsWith(RAW) ? `raw ${v.slice(RAW.length)}` : JSON.stringify(v);
  return s.length > limit ? `${s.slice(0, limit)}… (${s.length} chars)` : s;
}

/** One line per JSON pointer where `after` differs from `before`, deepest first changed node only. */
export function configDiff(before: unknown, after: unknown, at: Path = [], out: string[] = [], limit = 40): string[] {
  if (out.length >= limit) return out;
  const isObj = (v: unknown) => v !== null && typeof v === 'object';
  if (isObj(before) && isObj(after) && Array.isArray(before) === Array.isArray(after)) {
    if (Array.isArray(before) && Array.isArray(after) && after.length > before.length + 20) {
      out.push(`${pointer(at) || '/'}: ${after.length - before.length} items added, e.g. ${show(after[after.length - 1])}`);
      return out;
    }
    const keys = new Set([...Object.keys(before as Cfg), ...Object.keys(after as Cfg)]);
    for (const k of keys) {
      const key = Array.isArray(before) ? Number(k) : k;
      configDiff((before as Cfg)[k], (after as Cfg)[k], [...at, key], out, limit);
    }
    return out;
  }
  if (JSON.stringify(before) !== JSON.stringify(after)) out.push(`${pointer(at) || '/'}: ${show(before)} -> ${show(after)}`);
  return out;
}
