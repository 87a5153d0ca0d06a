// Shared by the engine end-to-end tests: each engine (podman, containerd,
// docker) gets its own temp workspace, daemons it starts itself, an image made
// from the busybox rootfs, and a cleanup that leaves no mount, cgroup or
// process behind. Every scenario runs once with runc and once with tsrun.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import path from 'node:path';
import { hostLayout } from '../../src/cgroups/hierarchy.js';
import { busyboxRootfs, isRoot, runToFiles, tsrunBin, type Result } from '../integration/harness.js';
import { buildSdNotify } from '../integration/sd-notify.js';

export { tsrunBin };
export const runcBin = which('runc');

/** The runtimes every scenario runs under: the reference first. */
export function runtimes(): { name: 'runc' | 'tsrun'; bin: string }[] {
  return [
    { name: 'runc', bin: runcBin! },
    { name: 'tsrun', bin: tsrunBin },
  ];
}

export function which(cmd: string, dirs = (process.env.PATH ?? '').split(':')): string | undefined {
  for (const dir of [...dirs, '/usr/sbin', '/usr/bin', '/sbin', '/bin']) {
    const p = path.join(dir, cmd);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {
      /* next */
    }
  }
  return undefined;
}

/**
 * Why an engine test cannot run here, or false. `.ci/run` installs the
 * engines (scripts/setup-engines); a plain `scripts/setup` machine lacks them.
 */
export function skipReason(engine: string, binaries: string[]): string | false {
  if (!isRoot) return 'needs root: engines run real containers';
  if (!runcBin) return 'runc is not installed: every scenario is compared with runc';
  const missing = binaries.filter((b) => !which(b));
  if (missing.length) return `${engine}: ${missing.join(', ')} not installed (scripts/setup-engines installs them)`;
  return false;
}


/** Runs a command to completion (runToFiles), a spawn failure or timeout appended to stderr. */
export function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; timeout?: number } = {}): Result {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-e2e-out-'));
  try {
    const { result, error } = runToFiles(cmd, args, dir, { env: opts.env ?? process.env, timeout: opts.timeout ?? 120_000 });
    return error ? { ...result, stderr: `${result.stderr}\n${error.message}` } : result;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Throws with the command's output unless it exited 0. */
function ok(cmd: string, args: string[], opts: Parameters<typeof run>[2] = {}): string {
  const r = run(cmd, args, opts);
  if (r.code !== 0) throw new Error(`${path.basename(cmd)} ${args.join(' ')}: exit ${r.code}\n${r.stdout}${r.stderr}`);
  return r.stdout;
}

/** A temp workspace and everything the test made in it, undone by cleanup(). */
export class Workspace {
  readonly dir: string;
  private daemons: { name: string; child: ChildProcess; log: string }[] = [];
  /** cgroup names (relative to each hierarchy's root) to remove at cleanup. */
  readonly cgroupParents: string[] = [];
  constructor(engine: string) {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), `tsrun-e2e-${engine}-`));
    fs.chmodSync(this.dir, 0o755);
  }
  path(...parts: string[]): string {
    return path.join(this.dir, ...parts);
  }

  /** Starts a daemon (its own process group) and waits until ready() holds. */
  async startDaemon(name: string, cmd: string, args: string[], ready: () => boolean, timeoutMs = 30_000): Promise<void> {
    const log = this.path(`${name}.log`);
    const fd = fs.openSync(log, 'a');
    // Its temp dirs (containerd's ctrd-checkpoint* hold CRIU images, and are
    // not always removed) go under the workspace, which cleanup removes.
    const tmp = this.path('tmp');
    fs.mkdirSync(tmp, { recursive: true });
    const child = spawn(cmd, args, { stdio: ['ignore', fd, fd], detached: true, env: { ...process.env, TMPDIR: tmp } });
    fs.closeSync(fd);
    this.daemons.push({ name, child, log });
    const end = Date.now() + timeoutMs;
    while (!ready()) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new DaemonFailed(name, `exited (${child.exitCode ?? child.signalCode}) while starting:\n${tail(log)}`);
      }
      if (Date.now() > end) throw new DaemonFailed(name, `not ready after ${timeoutMs} ms:\n${tail(log)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Stops daemons newest first (TERM, then KILL), unmounts what is left under the workspace, removes cgroups and files. */
  async cleanup(): Promise<string[]> {
    const problems: string[] = [];
    for (const d of this.daemons.reverse()) {
      if (d.child.exitCode !== null || d.child.signalCode !== null) continue;
      const exited = new Promise((r) => d.child.once('exit', r));
      process.kill(d.child.pid!, 'SIGTERM');
      const killed = await Promise.race([exited.then(() => false), new Promise((r) => setTimeout(() => r(true), 15_000))]);
      if (killed) {
        problems.push(`${d.name} ignored SIGTERM for 15 s`);
        process.kill(-d.child.pid!, 'SIGKILL');
        await exited;
      }
    }
    const left = mountsUnder(this.dir);
    if (left.length) problems.push(`mounts left under ${this.dir}: ${left.join(', ')}`);
    for (const m of left.reverse()) spawnSync('umount', ['-l', m]);
    for (const parent of this.cgroupParents) {
      const stuck = removeCgroupTree(parent);
      if (stuck.length) problems.push(`cgroups left: ${stuck.join(', ')}`);
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
    return problems;
  }
}

export class DaemonFailed extends Error {
  constructor(readonly daemon: string, detail: string) {
    super(`${daemon} cannot start here: ${detail}`);
  }
}

function tail(file: string, lines = 15): string {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Mount points at or under dir, in mount order. */
export function mountsUnder(dir: string): string[] {
  return fs
    .readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4])
    .filter((m) => m && (m === dir || m.startsWith(dir + '/')));
}

/** The cgroup hierarchies mounted here: the v1 ones and the cgroup2 mount. */
function cgroupHierarchies(): string[] {
  const layout = hostLayout();
  return [...layout.v1.map((h) => h.mount), ...(layout.unified ? [layout.unified] : [])];
}

/** Removes name (and its children) in every hierarchy; returns what could not be removed. */
export function removeCgroupTree(name: string): string[] {
  const stuck: string[] = [];
  for (const h of cgroupHierarchies()) {
    const top = path.join(h, name);
    if (!fs.existsSync(top)) continue;
    const dirs: string[] = [];
    const walk = (d: string) => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) walk(path.join(d, e.name));
      dirs.push(d);
    };
    walk(top);
    for (const d of dirs) {
      try {
        fs.rmdirSync(d);
      } catch {
        stuck.push(d);
      }
    }
  }
  return stuck;
}

/** Whether a cgroup named name exists in any hierarchy. */
export function cgroupExists(name: string): boolean {
  return cgroupHierarchies().some((h) => fs.existsSync(path.join(h, name)));
}

/** A container's memory limit as the host sees it (v1 memory controller, or v2 memory.max). */
export function hostMemoryLimit(cgroup: string): string {
  const v1 = `/sys/fs/cgroup/memory/${cgroup}/memory.limit_in_bytes`;
  return fs.readFileSync(fs.existsSync(v1) ? v1 : `/sys/fs/cgroup/${cgroup}/memory.max`, 'utf8').trim();
}

/**
 * Starts a containerd of the test's own: root, state and sockets under the
 * workspace, the CRI plugin off. Returns its socket address.
 */
export async function startContainerd(ws: Workspace): Promise<string> {
  const address = ws.path('containerd', 'containerd.sock');
  const config = ws.path('containerd.toml');
  fs.mkdirSync(path.dirname(address), { recursive: true });
  fs.writeFileSync(
    config,
    [
      'version = 2',
      `root = ${JSON.stringify(ws.path('containerd', 'root'))}`,
      `state = ${JSON.stringify(ws.path('containerd', 'state'))}`,
      'disabled_plugins = ["io.containerd.grpc.v1.cri"]',
      '[grpc]',
      `  address = ${JSON.stringify(address)}`,
      '[ttrpc]',
      `  address = ${JSON.stringify(address + '.ttrpc')}`,
      '',
    ].join('\n'),
  );
  const ctr = which('ctr')!;
  await ws.startDaemon('containerd', which('containerd')!, ['--config', config, '--log-level', 'warn'], () =>
    fs.existsSync(address) && run(ctr, ['--address', address, 'version'], { timeout: 10_000 }).code === 0,
  );
  return address;
}

/**
 * Starts a dockerd of the test's own, on its own containerd (startContainerd):
 * data, exec root and socket under the workspace, no iptables or bridge,
 * cgroupfs under /cgroupParent, and the named runtimes added. Returns its -H
 * address. client is the docker client it is checked with.
 */
export async function startDockerd(ws: Workspace, client: string, cgroupParent: string, runtimes: Record<string, string>): Promise<string> {
  const host = `unix://${ws.path('docker.sock')}`;
  const containerd = await startContainerd(ws);
  await ws.startDaemon(
    'dockerd',
    which('dockerd')!,
    [
      '--data-root', ws.path('docker', 'data'),
      '--exec-root', ws.path('docker', 'exec'),
      '--pidfile', ws.path('docker', 'dockerd.pid'),
      '-H', host,
      '--containerd', containerd,
      '--iptables=false', '--ip6tables=false', '--bridge=none',
      '--exec-opt', 'native.cgroupdriver=cgroupfs',
      '--cgroup-parent', `/${cgroupParent}`,
      ...Object.entries(runtimes).flatMap(([name, bin]) => ['--add-runtime', `${name}=${bin}`]),
    ],
    () => fs.existsSync(ws.path('docker.sock')) && run(client, ['-H', host, 'version']).code === 0,
    60_000,
  );
  return host;
}

/**
 * The image's root filesystem: the bundles' busybox rootfs plus `sd-notify`,
 * a static sender of one sd_notify datagram (busybox has none).
 */
export function imageRootfs(ws: Workspace): string {
  const dir = ws.path('image-rootfs');
  fs.cpSync(busyboxRootfs(), dir, { recursive: true, verbatimSymlinks: true });
  buildSdNotify(path.join(dir, 'usr', 'bin', 'sd-notify'));
  return dir;
}

/** A plain tar of the rootfs, for `podman import` and `docker import`. */
export function rootfsTar(ws: Workspace, rootfs: string): string {
  const tar = ws.path('rootfs.tar');
  ok('tar', ['-C', rootfs, '--numeric-owner', '-cf', tar, '.']);
  return tar;
}

/**
 * An OCI image archive (image-layout tar) holding the rootfs as one layer,
 * for `ctr images import`; name goes in the annotations containerd reads.
 */
export function ociArchive(ws: Workspace, rootfsTarPath: string, name: string): string {
  const layout = ws.path('oci-layout');
  const blobs = path.join(layout, 'blobs', 'sha256');
  fs.mkdirSync(blobs, { recursive: true });
  const put = (data: Buffer) => {
    const digest = crypto.createHash('sha256').update(data).digest('hex');
    fs.writeFileSync(path.join(blobs, digest), data);
    return { digest: `sha256:${digest}`, size: data.length };
  };
  const layer = put(fs.readFileSync(rootfsTarPath));
  const arch = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' }[process.arch as string] ?? process.arch;
  const config = put(
    Buffer.from(
      JSON.stringify({
        architecture: arch,
        os: 'linux',
        config: { Env: ['PATH=/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: ['sh'] },
        rootfs: { type: 'layers', diff_ids: [layer.digest] },
      }),
    ),
  );
  const manifest = put(
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
        layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', ...layer }],
      }),
    ),
  );
  fs.writeFileSync(path.join(layout, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  fs.writeFileSync(
    path.join(layout, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          ...manifest,
          annotations: { 'io.containerd.image.name': name, 'org.opencontainers.image.ref.name': 'latest' },
        },
      ],
    }),
  );
  const archive = ws.path('image.oci.tar');
  ok('tar', ['-C', layout, '-cf', archive, '.']);
  return archive;
}

/**
 * What the scenarios print inside a container, the same under every engine:
 * identity, capabilities, NNP and seccomp, rlimits, pid 1's argv, the main
 * mounts and /dev; then it exits 3, which the engine must pass through.
 */
export const PROBE_SCRIPT = [
  'echo hello from $(hostname | wc -c) chars',
  'id',
  'grep -E "^(Cap(Prm|Eff|Bnd)|NoNewPrivs|Seccomp):" /proc/self/status',
  'ulimit -n; ulimit -u',
  'tr "\\0" " " < /proc/1/cmdline | wc -w',
  'mount | grep -E " on /(proc|dev|dev/pts|dev/shm|sys|etc/hosts|etc/resolv.conf|etc/hostname) " | cut -d" " -f3,5 | sort',
  'ls /dev | sort | tr "\\n" " "; echo',
  'exit 3',
].join('; ');

/**
 * How every scenario ends: runc's result, shown in the test's diagnostics,
 * must pass expect (so an engine that does not work at all cannot pass as a
 * match), and tsrun's must equal it.
 */
export function assertSameAsRunc<T>(t: TestContext, [runc, tsrun]: T[], expect: (runc: T) => void): void {
  t.diagnostic(`runc: ${JSON.stringify(runc)}`);
  t.diagnostic(`tsrun: ${JSON.stringify(tsrun)}`);
  expect(runc);
  assert.deepEqual(tsrun, runc);
}

/**
 * Runs a scenario under each runtime, runc first, each to its end even when
 * the other's failed: the test compares the two, and tsrun's result says
 * something even when runc's side breaks (CRIU on some kernels). A side's
 * failure (an assert, a timeout) is kept as steps.failed, and undo(rt)
 * clears what that side left before the next one starts.
 */
export async function eachRuntime(
  scenario: (rt: ReturnType<typeof runtimes>[number], steps: Record<string, unknown>) => Promise<void>,
  undo: (rt: ReturnType<typeof runtimes>[number]) => Promise<void>,
): Promise<Record<string, unknown>[]> {
  const seen: Record<string, unknown>[] = [];
  for (const rt of runtimes()) {
    const steps: Record<string, unknown> = {};
    try {
      await scenario(rt, steps);
    } catch (e) {
      steps.failed = (e as Error).message;
      await undo(rt);
    }
    seen.push(steps);
  }
  return seen;
}
