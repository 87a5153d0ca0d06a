// `tsrun check`: the bundle planned against this host, creating nothing and
// running nothing of it (no hook, no binary), and every problem reported at
// once, each with its config path, the cause and the fix. create stops at the
// first; check is for fixing them all in one go. ok is true exactly when
// create would get past planning.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { hostApplyFacts, planContainerCgroup, resourceProblems, type CgroupRecord } from '../cgroups/index.js';
import { ConfigPathError, PlanError } from '../core/errors.js';
import { ConfigError, schemaProblems, validateConfig } from '../spec/validate.js';
import type { Config, HookName } from '../spec/types.js';
import { CAPABILITY_NAMES, CAPABILITY_SETS } from './capabilities.js';
import { idmappedMountsWork, readHostFacts } from './host.js';
import { buildCreatePlan, rootfsPath } from './plan.js';
import { planRlimits } from './rlimits.js';
import { seccompFacts } from './seccomp.js';

export interface CheckProblem {
  /** error: create would fail; warning: create goes on but drops or changes something. */
  severity: 'error' | 'warning';
  /** The JSON pointer into config.json ('' for the bundle as a whole). */
  path: string;
  cause: string;
  /** What would be right ('' when the cause says it). */
  fix: string;
}

export interface CheckReport {
  bundle: string;
  /** true when create would get past planning: no problem of severity error. */
  ok: boolean;
  problems: CheckProblem[];
}

export interface CheckOptions {
  /** The state root the container would be created under (its cgroup goes under the root's own parent). */
  stateRoot: string;
}

// The namespace types and their /proc/self/ns names.
const NS_PROC: Record<string, string> = {
  pid: 'pid', network: 'net', mount: 'mnt', ipc: 'ipc', uts: 'uts', user: 'user', cgroup: 'cgroup', time: 'time',
};

// statfs f_type of filesystems that can be idmapped, and from which kernel (FS_ALLOW_IDMAP).
const IDMAP_FS: Record<number, [string, number, number]> = {
  0xef53: ['ext4', 5, 12], 0x58465342: ['xfs', 5, 12], 0x4d44: ['vfat', 5, 12], 0x9123683e: ['btrfs', 5, 15],
  0xf2f52010: ['f2fs', 5, 18], 0x794c7630: ['overlay', 5, 19], 0xe0f5e1e2: ['erofs', 5, 19], 0x01021994: ['tmpfs', 6, 3],
  0x00c36400: ['ceph', 6, 7],
};
// ...and ones that cannot, whatever the kernel.
const NO_IDMAP_FS: Record<number, string> = {
  0x6969: 'nfs', 0x01021997: '9p', 0xff534d42: 'cifs', 0xfe534d42: 'smb2', 0x9fa0: 'proc', 0x62656572: 'sysfs',
};

const HOOK_NAMES: HookName[] = ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'];

/** Splits "cause; fix" as tsrun's messages put them; the fix is '' when there is no "; ". */
function causeAndFix(reason: string): { cause: string; fix: string } {
  const at = reason.lastIndexOf('; ');
  return at < 0 ? { cause: reason, fix: '' } : { cause: reason.slice(0, at), fix: reason.slice(at + 2) };
}

/** A thrown error as a problem: its config path, cause and fix. */
export function problemOf(e: unknown, severity: CheckProblem['severity'] = 'error'): CheckProblem {
  if (e instanceof ConfigError) return { severity, path: e.path, ...causeAndFix(e.reason) };
  // Plan, init, hook, cgroup and unsupported-field errors alike: the path and reason as data.
  if (e instanceof ConfigPathError) return { severity, path: e.path, ...(e.hint ? { cause: e.reason, fix: e.hint } : causeAndFix(e.reason)) };
  // Anything else has no place in the config.
  return { severity, path: '', ...causeAndFix(e instanceof Error ? e.message : String(e)) };
}

/** Runs probe; what it throws becomes a problem too (a probe must not hide the others). */
function attempt(out: CheckProblem[], probe: () => void): void {
  try {
    probe();
  } catch (e) {
    out.push(problemOf(e));
  }
}

function readDoc(bundle: string, out: CheckProblem[]): unknown {
  if (!fs.existsSync(bundle) || !fs.statSync(bundle).isDirectory()) {
    out.push({ severity: 'error', path: '', cause: `bundle ${bundle} does not exist or is not a directory`, fix: 'pass --bundle the directory that holds config.json' });
    return undefined;
  }
  const file = path.join(bundle, 'config.json');
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    out.push({ severity: 'error', path: '', cause: `cannot read ${file}: ${(e as Error).message}`, fix: 'make config.json (`tsrun spec` writes a default one)' });
    return undefined;
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    out.push({ severity: 'error', path: '', cause: `${file} is not JSON: ${(e as Error).message}`, fix: 'correct the JSON syntax' });
    return undefined;
  }
}

function checkNamespaces(config: Config, out: CheckProblem[]): void {
  (config.linux?.namespaces ?? []).forEach((ns, i) => {
    const at = `/linux/namespaces/${i}`;
    const proc = NS_PROC[ns.type];
    if (proc && !fs.existsSync(`/proc/self/ns/${proc}`)) {
      out.push({ severity: 'error', path: `${at}/type`, cause: `this kernel (${os.release()}) has no ${ns.type} namespace (/proc/self/ns/${proc} is missing)`, fix: `remove the ${ns.type} namespace, or run on a kernel built with it` });
    }
    if (ns.path && !fs.existsSync(ns.path)) {
      out.push({ severity: 'error', path: `${at}/path`, cause: `${ns.path} does not exist`, fix: `give the path of a live ${ns.type} namespace (/proc/<pid>/ns/${proc ?? ns.type}), or leave path out for a new one` });
    }
  });
}

function checkCapabilities(config: Config, lastCap: number, out: CheckProblem[]): void {
  for (const set of CAPABILITY_SETS) {
    (config.process?.capabilities?.[set] ?? []).forEach((name, i) => {
      const n = (CAPABILITY_NAMES as readonly string[]).indexOf(name);
      const at = `/process/capabilities/${set}/${i}`;
      if (n < 0) out.push({ severity: 'warning', path: at, cause: `${name} is no capability tsrun knows; create ignores it`, fix: 'remove it or correct its name' });
      else if (n > lastCap) {
        out.push({ severity: 'warning', path: at, cause: `this kernel lacks ${name} (its last capability is ${CAPABILITY_NAMES[lastCap] ?? lastCap}); create ignores it`, fix: `remove ${name}, or run on a newer kernel` });
      }
    });
  }
}

function checkRlimits(config: Config, out: CheckProblem[]): void {
  const host = readHostFacts();
  const all = config.process?.rlimits ?? [];
  // One by one, so that each bad one is found; then together, for what only the list shows (one listed twice).
  all.forEach((r, i) =>
    attempt(out, () => {
      try {
        planRlimits([r], host.hardLimits, host.capEff);
      } catch (e) {
        if (e instanceof PlanError) throw new PlanError(e.configPath.replace(/^\/process\/rlimits\/0/, `/process/rlimits/${i}`), e.reason);
        throw e;
      }
    }),
  );
  if (!out.some((p) => p.path.startsWith('/process/rlimits'))) attempt(out, () => planRlimits(all, host.hardLimits, host.capEff));
}

function checkSeccompArchs(config: Config, out: CheckProblem[]): void {
  const archs = config.linux?.seccomp?.architectures ?? [];
  if (!archs.length) return;
  const have = seccompFacts();
  archs.forEach((arch, i) => {
    if (!have.archs.includes(arch)) {
      out.push({ severity: 'error', path: `/linux/seccomp/architectures/${i}`, cause: `libseccomp ${have.libseccomp} cannot filter ${arch}`, fix: `remove it, or use one of ${have.archs.join(', ')}` });
    }
  });
}

function checkMounts(config: Config, bundle: string, out: CheckProblem[]): void {
  (config.mounts ?? []).forEach((m, i) => {
    const at = `/mounts/${i}`;
    const bind = m.type === 'bind' || (m.options ?? []).some((o) => o === 'bind' || o === 'rbind');
    if (!bind || m.source === undefined) return;
    const source = path.resolve(bundle, m.source);
    if (!fs.existsSync(source)) {
      out.push({ severity: 'error', path: `${at}/source`, cause: `the bind mount's source ${source} does not exist`, fix: 'create it, or correct the path (a relative one is taken from the bundle)' });
      return;
    }
    const idmapped = (m.uidMappings?.length ?? 0) > 0 || (m.gidMappings?.length ?? 0) > 0 || (m.options ?? []).some((o) => o === 'idmap' || o === 'ridmap');
    if (idmapped) checkIdmap(source, `${at}`, out);
  });
}

function checkIdmap(source: string, at: string, out: CheckProblem[]): void {
  const release = os.release();
  if (!idmappedMountsWork(release)) {
    out.push({ severity: 'error', path: at, cause: `this kernel (${release}) cannot idmap mounts (mount_setattr with MOUNT_ATTR_IDMAP came in Linux 5.12)`, fix: 'drop the idmapping, or run on Linux 5.12 or later' });
    return;
  }
  const type = fs.statfsSync(source).type >>> 0;
  const no = NO_IDMAP_FS[type];
  if (no) {
    out.push({ severity: 'error', path: at, cause: `${source} is on ${no}, which cannot be idmapped`, fix: 'bind a directory on a filesystem that can (ext4, xfs, btrfs, tmpfs on 6.3+), or drop the idmapping' });
    return;
  }
  const yes = IDMAP_FS[type];
  const [major, minor] = (/^(\d+)\.(\d+)/.exec(release) ?? ['', '0', '0']).slice(1).map(Number);
  if (!yes) {
    out.push({ severity: 'warning', path: at, cause: `tsrun cannot tell whether ${source}'s filesystem (statfs type 0x${type.toString(16)}) can be idmapped`, fix: 'if create fails with EINVAL at this mount, bind a directory on ext4, xfs, btrfs or tmpfs' });
  } else if (major < yes[1] || (major === yes[1] && minor < yes[2])) {
    out.push({ severity: 'error', path: at, cause: `${source} is on ${yes[0]}, which can be idmapped only from Linux ${yes[1]}.${yes[2]} (this is ${release})`, fix: 'bind a directory on ext4 or xfs, or drop the idmapping' });
  }
}

function checkHookPaths(config: Config, bundle: string, out: CheckProblem[]): void {
  for (const name of HOOK_NAMES) {
    (config.hooks?.[name] ?? []).forEach((hook, i) => {
      const at = `/hooks/${name}/${i}/path`;
      // Looked at, never run. Container hooks (createContainer, startContainer) run inside the container: their path is the container's.
      if (!path.isAbsolute(hook.path)) return; // planning says so
      const inContainer = name === 'createContainer' || name === 'startContainer';
      const where = inContainer ? path.join(rootfsPath(config, bundle), hook.path) : hook.path;
      let st: fs.Stats;
      try {
        // In the rootfs a symlink means the container's path, not the host's: not followed here.
        st = inContainer ? fs.lstatSync(where) : fs.statSync(where);
        if (st.isSymbolicLink()) return;
      } catch {
        out.push({ severity: 'error', path: at, cause: `${where} does not exist`, fix: `install the hook there, or correct the path${inContainer ? ' (a container hook is looked up in the rootfs)' : ''}` });
        return;
      }
      if (!st.isFile()) out.push({ severity: 'error', path: at, cause: `${where} is not a regular file`, fix: 'point it at the hook program' });
      else {
        try {
          fs.accessSync(where, fs.constants.X_OK);
        } catch {
          out.push({ severity: 'error', path: at, cause: `${where} is not executable`, fix: `chmod +x ${where}` });
        }
      }
    });
  }
}

/** Every problem with bundle on this host; nothing is created and nothing of the bundle runs. */
export function checkBundle(bundleArg: string, opts: CheckOptions): CheckReport {
  const bundle = path.resolve(bundleArg);
  const out: CheckProblem[] = [];
  const report = () => ({ bundle, ok: !out.some((p) => p.severity === 'error'), problems: dedupe(out) });
  const doc = readDoc(bundle, out);
  if (doc === undefined) return report();
  const schema = schemaProblems(doc);
  for (const e of schema) out.push(problemOf(e));
  if (schema.length) return report(); // the rest reads typed fields
  let config: Config;
  try {
    config = validateConfig(doc);
  } catch (e) {
    out.push(problemOf(e));
    return report();
  }
  const host = readHostFacts();
  const warn = (m: string) => out.push(problemOf(m, 'warning'));
  attempt(out, () => {
    const rootfs = rootfsPath(config, bundle);
    if (!fs.existsSync(rootfs) || !fs.statSync(rootfs).isDirectory()) {
      out.push({ severity: 'error', path: '/root/path', cause: `rootfs ${rootfs} does not exist or is not a directory`, fix: 'unpack the root filesystem there, or correct root.path (a relative one is taken from the bundle)' });
    }
  });
  attempt(out, () => checkNamespaces(config, out));
  attempt(out, () => checkCapabilities(config, host.lastCap, out));
  attempt(out, () => checkRlimits(config, out));
  attempt(out, () => checkSeccompArchs(config, out));
  attempt(out, () => checkMounts(config, bundle, out));
  attempt(out, () => checkHookPaths(config, bundle, out));
  // A cgroup name no container uses: check makes nothing, so any name would do.
  const id = 'tsrun-check';
  let record: CgroupRecord | undefined;
  try {
    record = planContainerCgroup(config, id, opts.stateRoot, () => {});
    for (const e of resourceProblems(record, config.linux?.resources, hostApplyFacts())) out.push(problemOf(e));
  } catch (e) {
    out.push(problemOf(e));
  }
  // Then the whole plan, as create makes it: what the probes above do not look at.
  attempt(out, () =>
    buildCreatePlan(config, {
      id,
      bundle,
      fifoPath: path.join(opts.stateRoot, id, 'exec.fifo'),
      host,
      cgroup: record,
      warn: (m) => {
        // The capability warnings are above, per name.
        if (!/capabilities/.test(m)) warn(m);
      },
    }),
  );
  return report();
}

/** One problem per path and cause: the whole plan repeats what a probe found first. */
function dedupe(problems: CheckProblem[]): CheckProblem[] {
  const seen = new Set<string>();
  const errorsAt = new Set(problems.filter((p) => p.severity === 'error').map((p) => p.path));
  return problems.filter((p, i) => {
    const key = `${p.path}\0${p.cause}`;
    if (seen.has(key)) return false;
    seen.add(key);
    // The whole plan stops at its first error, which a probe has already named at the same path.
    const firstAt = problems.findIndex((q) => q.path === p.path && q.severity === 'error');
    if (p.severity === 'error' && errorsAt.has(p.path) && firstAt !== i) return false;
    return true;
  });
}

/** The report as text: one problem a paragraph, then a summary line. */
export function checkText(r: CheckReport): string {
  const lines: string[] = [];
  for (const p of r.problems) {
    lines.push(`${p.severity}: config.json${p.path ? `: ${p.path}` : ''}: ${p.cause}`);
    if (p.fix) lines.push(`  fix: ${p.fix}`);
  }
  const errors = r.problems.filter((p) => p.severity === 'error').length;
  const warnings = r.problems.length - errors;
  const count = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;
  lines.push(
    r.ok
      ? `${r.bundle}: create would get past planning${warnings ? ` (${count(warnings, 'warning')})` : ''}`
      : `${r.bundle}: ${count(errors, 'error')}${warnings ? `, ${count(warnings, 'warning')}` : ''}: create would fail`,
  );
  return lines.join('\n') + '\n';
}
