// The config fuzz's catalogue (config-mutations.ts assembles cases from
// it): valid enrichments that give the mutations more to hit, and 130-odd
// mutations by family. Each keeps the host out of reach even if tsrun had a
// bug (see config-mutations.ts).
import {
  get, hooks, linux, nodes, nonNamespacePaths, pointer, raw, remove, resources, set,
  type Cfg, type FuzzContext, type Mutation, type Path, type Rng,
} from './config-mutation-tools.js';

// --- value pools --------------------------------------------------------------------

const WRONG_VALUES: unknown[] = [0, -1, 1.5, 'x', '', true, false, null, [], {}, [1], { a: 1 }, [''], 'null'];

const ODD_NUMBERS: unknown[] = [
  -1, -2147483649, 2147483648, 4294967295, 4294967296, 2 ** 53, 2 ** 63, 2 ** 64, 1e300, -1e300, 0.5, -0.5,
  raw('1e400'), raw('-1e400'), raw('-0'), raw('18446744073709551616'), raw('99999999999999999999999'), '1', 'NaN', 'Infinity', 0,
];

function oddStrings(ctx: FuzzContext): string[] {
  return [
    '', ' ', '.', '..', '../..', '/..', 'relative/path', './x', 'x'.repeat(300), `/${'a'.repeat(256)}`, '/'.repeat(5000),
    'a\u0000b', '\u0000', '\n', '\u00e9\u4e2d\ud83d\ude00', '\ud800', `/proc/self/fd/${3 + (ctx.token.length % 5)}`, '/proc/self/root',
    `/../../../../${ctx.token}-escaped`, '~', '$HOME', '-', '--help', 'x'.repeat(70000),
  ];
}

// --- valid enrichments: give the generic mutations more to hit ------------------------

export const ENRICHMENTS: Array<[string, (c: Cfg, ctx: FuzzContext) => void]> = [
  ['rlimits', (c) => (c.process.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 1024, hard: 1024 }, { type: 'RLIMIT_CORE', soft: 0, hard: 0 }])],
  ['capabilities', (c) => {
    const caps = ['CAP_CHOWN', 'CAP_KILL', 'CAP_NET_BIND_SERVICE', 'CAP_SETUID', 'CAP_SETGID'];
    c.process.capabilities = { bounding: [...caps], effective: [...caps], permitted: [...caps] };
  }],
  ['seccomp', (c) => (linux(c).seccomp = {
    defaultAction: 'SCMP_ACT_ALLOW',
    architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
    syscalls: [{ names: ['getcwd', 'syslog'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 }, { names: ['kexec_load'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 1, op: 'SCMP_CMP_EQ' }] }],
  })],
  ['resources', (c) => Object.assign(resources(c), { memory: { limit: 268435456 }, pids: { limit: 100 }, cpu: { shares: 512, quota: 50000, period: 100000 } })],
  ['devices', (c) => {
    resources(c).devices = [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' }];
    linux(c).devices = [{ path: '/dev/fuzz0', type: 'c', major: 1, minor: 5, fileMode: 0o666 }];
  }],
  ['hooks', (c, ctx) => Object.assign(hooks(c), { prestart: [{ path: ctx.scripts.ok }], poststop: [{ path: ctx.scripts.ok, args: ['ok', 'x'], timeout: 5 }] })],
  ['paths', (c) => Object.assign(linux(c), { maskedPaths: ['/proc/kcore', '/proc/timer_list'], readonlyPaths: ['/proc/sys', '/proc/bus'] })],
  ['user', (c) => (c.process.user = { uid: 1000, gid: 1000, additionalGids: [10, 20], umask: 0o022 })],
  ['sysctl', (c) => (linux(c).sysctl = { 'net.ipv4.ip_forward': '1', 'kernel.shmmax': '68719476736' })],
  ['bind', (c, ctx) => c.mounts.push({ destination: '/mnt', type: 'bind', source: ctx.bundle, options: ['rbind', 'ro'] })],
  ['process', (c) => Object.assign(c.process, { noNewPrivileges: true, oomScoreAdj: 100, env: [...c.process.env, 'FOO=bar'] })],
  ['scheduler', (c) => Object.assign(c.process, { scheduler: { policy: 'SCHED_BATCH', nice: 5 }, ioPriority: { class: 'IOPRIO_CLASS_BE', priority: 4 } })],
  ['annotations', (c) => (c.annotations = { 'org.example.key': 'value', 'x.y': '' })],
  ['cgroupsPath', (c, ctx) => (linux(c).cgroupsPath = `/${ctx.token}-parent/${ctx.token}`)],
];

// --- the mutation catalogue -----------------------------------------------------------

function m(family: string, name: string, apply: Mutation['apply'], opts: Partial<Mutation> = {}): Mutation {
  // A probe that must be refused runs alone, so nothing else gets it refused for another reason.
  return { family, name, apply, ...(opts.expect === 'refuse' ? { exclusive: true } : {}), ...opts };
}

/** A hook list entry at a random lifecycle point. */
const HOOK_KINDS = ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'] as const;
const RUNTIME_HOOKS = ['prestart', 'createRuntime', 'poststart', 'poststop'] as const;

function generic(): Mutation[] {
  return [
    m('type', 'a random node gets a value of another type', (c, _ctx, rng) => {
      const p = rng.pick(nodes(c));
      const now = get(c, p);
      const kind = (v: unknown) => (Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v);
      const choices = WRONG_VALUES.filter((v) => kind(v) !== kind(now));
      const v = rng.pick(choices);
      set(c, p, structuredClone(v));
    }, { weight: 6 }),
    m('missing', 'a random node is removed', (c, _ctx, rng) => remove(c, rng.pick(nodes(c))), { weight: 4 }),
    m('missing', 'a required field is removed', (c, _ctx, rng) => {
      const p = rng.pick<Path>([['ociVersion'], ['process', 'cwd'], ['root', 'path'], ['mounts', 0, 'destination'], ['process', 'args'], ['root'], ['process'], ['linux', 'namespaces', 0, 'type']]);
      if (get(c, p) !== undefined) remove(c, p);
    }, { weight: 2 }),
    m('unknown', 'unknown fields are added and ignored', (c, _ctx, rng) => {
      const objects = nodes(c).filter((p) => { const v = get(c, p); return v && typeof v === 'object' && !Array.isArray(v); });
      for (let n = 0; n < 3; n++) {
        const p = objects.length ? rng.pick(objects) : [];
        const target = (p.length ? get(c, p) : c) as Cfg;
        target[`x-fuzz-${rng.int(1000)}`] = structuredClone(rng.pick(WRONG_VALUES));
      }
    }, { expect: 'accept', weight: 2 }),
    m('unknown', 'an unknown key holds deeply nested arrays', (c, _ctx, rng) => {
      const depth = rng.pick([100, 5000, 50000]);
      c['x-deep'] = raw('['.repeat(depth) + ']'.repeat(depth));
    }, { exclusive: true, slow: true }),
    m('strings', 'a random string becomes an odd string', (c, ctx, rng) => {
      const strings = nodes(c).filter((p) => typeof get(c, p) === 'string' && !/cgroupsPath/.test(pointer(p)));
      if (strings.length) set(c, rng.pick(strings), rng.pick(oddStrings(ctx)));
    }, { weight: 6 }),
    m('numbers', 'a random number becomes an odd number', (c, _ctx, rng) => {
      const numbers = nodes(c).filter((p) => typeof get(c, p) === 'number');
      if (numbers.length) set(c, rng.pick(numbers), rng.pick(ODD_NUMBERS));
    }, { weight: 4 }),
  ];
}

function processMutations(): Mutation[] {
  return [
    m('args', 'args[0] is a missing binary', (c) => (c.process.args = ['/nonexistent/binary'])),
    m('args', 'args[0] is not on PATH', (c) => (c.process.args = ['no-such-command-fuzz'])),
    m('args', 'args[0] is a directory', (c) => (c.process.args = ['/bin'])),
    m('args', 'args[0] is a non-executable file', (c) => (c.process.args = ['/etc/passwd'])),
    m('args', 'args[0] is empty', (c) => (c.process.args = [''])),
    m('args', 'args[0] is relative', (c) => (c.process.args = ['bin/true'])),
    m('args', 'args is empty', (c) => (c.process.args = [])),
    m('args', 'args[0] has a NUL byte', (c) => (c.process.args = ['/bin/true\u0000garbage']), { expect: 'refuse' }),
    m('args', 'an argument has a NUL byte', (c) => (c.process.args = ['true', 'a\u0000b']), { expect: 'refuse' }),
    m('args', 'args is 10,000 arguments', (c) => (c.process.args = ['true', ...Array.from({ length: 10000 }, (_, i) => `a${i}`)]), { mode: 'run', slow: true }),
    m('args', 'the process exits 3', (c) => (c.process.args = ['sh', '-c', 'exit 3']), { mode: 'run' }),
    m('args', 'the process leaves daemons behind', (c) => (c.process.args = ['sh', '-c', 'sleep 1000 & sleep 1000 & sleep 1000']), { mode: 'start' }),
    m('args', 'no pid namespace and daemons', (c) => {
      c.linux.namespaces = c.linux.namespaces.filter((n: Cfg) => n.type !== 'pid');
      c.process.args = ['sh', '-c', 'sleep 1000 & sleep 1000 & sleep 1000'];
    }, { mode: 'start' }),
    m('env', 'an env entry without "="', (c) => c.process.env.push('NOEQ'), { expect: 'refuse' }),
    m('env', 'an env entry with an empty name', (c) => c.process.env.push('=empty'), { expect: 'refuse' }),
    m('env', 'an empty env entry', (c) => c.process.env.push(''), { expect: 'refuse' }),
    m('env', 'an env entry with a NUL byte', (c) => c.process.env.push('A=b\u0000c'), { expect: 'refuse' }),
    m('env', 'a repeated env name', (c) => c.process.env.push('PATH=/nowhere', 'PATH=/bin'), { mode: 'run' }),
    m('env', '1,000 env entries of 250 bytes', (c) => {
      for (let i = 0; i < 1000; i++) c.process.env.push(`V${i}=${'v'.repeat(245)}`);
    }, { expect: 'accept', exclusive: true, mode: 'run', weight: 0.5, slow: true }),
    m('cwd', 'a relative cwd', (c) => (c.process.cwd = 'tmp'), { expect: 'refuse' }),
    m('cwd', 'an empty cwd', (c) => (c.process.cwd = '')),
    m('cwd', 'a cwd with a NUL byte', (c) => (c.process.cwd = '/tmp\u0000/etc'), { expect: 'refuse' }),
    m('cwd', 'a cwd that does not exist', (c) => (c.process.cwd = '/does/not/exist'), { mode: 'run' }),
    m('cwd', 'a cwd that is a file', (c) => (c.process.cwd = '/etc/passwd')),
    m('cwd', 'a cwd through /proc/self/fd', (c, _ctx, rng) => (c.process.cwd = `/proc/self/fd/${rng.pick([0, 1, 2, 3, 4, 5, 20, 255])}`)),
    // CVE-2024-21626's class (issue 12, item 3): the test leaks a host directory to tsrun as fd 3.
    m('cwd', "a cwd through the caller's leaked directory fd", (c, ctx) => {
      c.process.cwd = `/proc/self/fd/${ctx.leakedFd}`;
      c.process.args = ['sh', '-c', `touch ${ctx.token}-escaped ../${ctx.token}-escaped`];
    }, { mode: 'run' }),
    m('cwd', 'a cwd that climbs out', (c, ctx) => (c.process.cwd = `/../../../../../${ctx.token}-escaped`)),
    m('cwd', 'a cwd through a symlink out of the rootfs', (c, ctx) => (c.process.cwd = `/esc/${ctx.token}-escaped`), {
      rootfsOps: () => [{ op: 'symlink', path: 'esc', target: '../../../../../../../tmp' }],
    }),
    m('user', 'uid 4294967295 ((uid_t)-1)', (c) => (c.process.user.uid = 4294967295), { expect: 'refuse' }),
    m('user', 'gid 4294967295 ((gid_t)-1)', (c) => (c.process.user.gid = 4294967295), { expect: 'refuse' }),
    m('user', 'an out-of-range uid or gid', (c, _ctx, rng) => (c.process.user[rng.pick(['uid', 'gid'])] = rng.pick([-1, 4294967296, 2 ** 53, 1.5]))),
    m('user', 'a large uid without an /etc/passwd entry', (c, _ctx, rng) => (c.process.user = { uid: rng.pick([1000, 65534, 2147483647, 4294967294]), gid: 4242 }), { mode: 'run' }),
    m('user', 'odd additionalGids', (c, _ctx, rng) => (c.process.user.additionalGids = rng.pick([[-1], [4294967295], [1, 1, 1], Array.from({ length: 70000 }, (_, i) => i)])), { slow: true }),
    m('user', 'an odd umask', (c, _ctx, rng) => (c.process.user.umask = rng.pick([-1, 0o7777, 4294967296, 0o777]))),
    m('user', 'a username', (c) => (c.process.user.username = 'root')),
    m('rlimits', 'an unknown rlimit type', (c, _ctx, rng) => (c.process.rlimits = [{ type: rng.pick(['RLIMIT_BOGUS', 'rlimit_nofile', '', 'NOFILE']), soft: 1, hard: 1 }])),
    m('rlimits', 'soft above hard', (c) => (c.process.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 2048, hard: 1024 }])),
    m('rlimits', 'a listed-twice rlimit', (c) => (c.process.rlimits = [{ type: 'RLIMIT_CORE', soft: 0, hard: 0 }, { type: 'RLIMIT_CORE', soft: 0, hard: 0 }])),
    m('rlimits', 'a hard limit above the current one', (c) => (c.process.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 1048577, hard: 2 ** 40 }])),
    m('rlimits', 'odd rlimit values', (c, _ctx, rng) => (c.process.rlimits = [{ type: rng.pick(['RLIMIT_NPROC', 'RLIMIT_CORE', 'RLIMIT_STACK', 'RLIMIT_AS']), soft: rng.pick(ODD_NUMBERS), hard: rng.pick(ODD_NUMBERS) }])),
    m('rlimits', 'RLIMIT_NOFILE 3/3', (c) => (c.process.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 3, hard: 3 }]), { expect: 'noLateFailure', mode: 'start' }),
    m('rlimits', 'RLIMIT_NOFILE 0/0', (c) => (c.process.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 0, hard: 0 }]), { expect: 'noLateFailure', mode: 'start' }),
    m('capabilities', 'unknown or odd capability names', (c, _ctx, rng) => {
      const set_ = rng.pick(['bounding', 'effective', 'permitted', 'inheritable', 'ambient']);
      c.process.capabilities = { [set_]: [rng.pick(['CAP_BOGUS', 'cap_chown', '', 'CAP_CHOWN\u0000', 'CAP_64', 'ALL', 'CAP_CHOWN'.repeat(100)])] };
    }),
    m('capabilities', 'ambient without inheritable', (c) => (c.process.capabilities = { ambient: ['CAP_CHOWN'], bounding: ['CAP_CHOWN'] }), { mode: 'run' }),
    m('capabilities', 'every capability twice', (c) => {
      const all = ['CAP_CHOWN', 'CAP_SYS_ADMIN', 'CAP_NET_ADMIN', 'CAP_SYS_PTRACE', 'CAP_DAC_OVERRIDE'];
      c.process.capabilities = { bounding: [...all, ...all], effective: all, permitted: all, inheritable: all, ambient: all };
    }, { mode: 'run' }),
    // runc's words, which name the missing --console-socket rather than the file.
    m('process', 'terminal without a console socket', (c) => (c.process.terminal = true), { notAboutConfig: true }),
    m('process', 'an odd consoleSize', (c, _ctx, rng) => Object.assign(c.process, { consoleSize: { height: rng.pick(ODD_NUMBERS), width: 80 } })),
    m('process', 'an odd oomScoreAdj', (c, _ctx, rng) => (c.process.oomScoreAdj = rng.pick([-1001, 1001, -1000, 1000, 2 ** 31, 0.5]))),
    m('process', 'an odd scheduler', (c, _ctx, rng) => (c.process.scheduler = rng.pick<Cfg>([
      { policy: 'SCHED_BOGUS' }, { policy: 'SCHED_ISO' }, { policy: 'SCHED_OTHER', nice: -100 }, { policy: 'SCHED_OTHER', priority: 5 },
      { policy: 'SCHED_DEADLINE', runtime: 1, deadline: 0, period: 1 }, { policy: 'SCHED_FIFO', priority: 1000 }, { policy: 'SCHED_BATCH', flags: ['SCHED_FLAG_BOGUS'] },
    ]))),
    m('process', 'an odd ioPriority', (c, _ctx, rng) => (c.process.ioPriority = { class: rng.pick(['IOPRIO_CLASS_RT', 'IOPRIO_CLASS_BOGUS', 'IOPRIO_CLASS_IDLE']), priority: rng.pick([-1, 8, 99, 2 ** 31]) })),
    m('process', 'an odd execCPUAffinity', (c, _ctx, rng) => (c.process.execCPUAffinity = { [rng.pick(['initial', 'final'])]: rng.pick(['999', '0-1000', '', '1-0', '0-', 'a', '0,,1', '1023']) })),
    m('process', 'an LSM label on a host without the LSM', (c, _ctx, rng) => (c.process[rng.pick(['apparmorProfile', 'selinuxLabel'])] = rng.pick(['unconfined', 'system_u:system_r:container_t:s0', '']))),
  ];
}

function rootAndIdMutations(): Mutation[] {
  return [
    m('root', 'root.path does not exist', (c) => (c.root.path = '/nonexistent/rootfs')),
    m('root', 'root.path is relative to the bundle and missing', (c) => (c.root.path = 'rootfs-missing')),
    m('root', 'root.path is a file', (c, ctx) => (c.root.path = `${ctx.bundle}/config.json`)),
    m('root', 'root.path is a symlink to the rootfs', (c, ctx) => (c.root.path = `${ctx.rootfs}/self`), { rootfsOps: () => [{ op: 'symlink', path: 'self', target: '.' }] }),
    m('root', 'root.path has a NUL byte', (c, ctx) => (c.root.path = `${ctx.rootfs}\u0000/x`), { expect: 'refuse' }),
    m('root', 'root.path is writable', (c) => (c.root.readonly = false), { mode: 'run' }),
    m('ociVersion', 'an odd ociVersion', (c, _ctx, rng) => (c.ociVersion = rng.pick(['2.0.0', '0.1.0', '1.0', '', 'v1.0.0', '1.0.0-rc1', '1.99.0', '1.0.0\u0000']))),
    m('id', 'a 300-character id', () => undefined, { id: (ctx) => ctx.token + 'x'.repeat(300), notAboutConfig: true, refusalMustNot: /already exists/ }),
    m('id', 'an id with a slash', () => undefined, { id: (ctx) => `${ctx.token}/../x`, notAboutConfig: true }),
    m('id', 'an id with a space', () => undefined, { id: (ctx) => `${ctx.token} x`, notAboutConfig: true }),
    m('hostname', 'an odd hostname', (c, _ctx, rng) => (c.hostname = rng.pick(['', 'x'.repeat(65), 'a\u0000b', 'host name', '..']))),
    m('hostname', 'a hostname without a uts namespace', (c, ctx) => {
      c.linux.namespaces = c.linux.namespaces.filter((n: Cfg) => n.type !== 'uts');
      c.hostname = ctx.hostHostname;
    }, { expect: 'refuse' }),
  ];
}

function mountMutations(): Mutation[] {
  const pickMount = (c: Cfg, rng: Rng): Cfg => {
    if (!c.mounts.length) c.mounts.push({ destination: '/tmp', type: 'tmpfs', source: 'tmpfs' });
    return rng.pick(c.mounts as Cfg[]);
  };
  return [
    m('mounts', 'a bind mount without a source', (c) => c.mounts.push({ destination: '/mnt', type: 'bind', options: ['rbind'] })),
    m('mounts', 'a bind mount of a missing source', (c, ctx) => c.mounts.push({ destination: '/mnt', type: 'bind', source: `${ctx.caseDir}/missing`, options: ['bind'] })),
    m('mounts', 'a relative bind source (bundle-relative)', (c) => c.mounts.push({ destination: '/mnt', source: 'config.json', options: ['bind', 'ro'] }), { mode: 'run' }),
    m('mounts', 'an unknown filesystem type', (c) => c.mounts.push({ destination: '/mnt', type: 'nosuchfs', source: 'none' })),
    m('mounts', 'a mount without a type or bind', (c) => c.mounts.push({ destination: '/mnt', source: 'none' })),
    m('mounts', 'bad mount options', (c, _ctx, rng) => (pickMount(c, rng).options = [rng.pick(['bogus', 'mode=abc', 'size=-1', 'uid=notanumber', 'rro', 'rbogus', 'shared', 'x'.repeat(5000), 'a\u0000b', ''])])),
    m('mounts', 'an odd destination', (c, ctx, rng) => (pickMount(c, rng).destination = rng.pick(['', 'relative', '/', '/..', '.', `/../../../../../../tmp/${ctx.token}-escaped`, '/proc/self/fd/1', '/a\u0000b', `/${'d'.repeat(300)}`]))),
    m('mounts', 'a destination with a NUL byte', (c) => c.mounts.push({ destination: '/tmp/a\u0000b', type: 'tmpfs', source: 'tmpfs' }), { expect: 'refuse' }),
    m('mounts', 'a destination through a symlink out of the rootfs', (c, ctx, rng) => c.mounts.push({ destination: `/${rng.pick(['esc', 'escabs'])}/${ctx.token}-escaped`, type: 'tmpfs', source: 'tmpfs' }), {
      rootfsOps: () => [{ op: 'symlink', path: 'esc', target: '../../../../../../../tmp' }, { op: 'symlink', path: 'escabs', target: '/tmp' }],
      mode: 'run',
    }),
    m('mounts', 'a destination onto a symlink to a file', (c) => c.mounts.push({ destination: '/link', type: 'bind', source: 'config.json', options: ['bind'] }), {
      rootfsOps: () => [{ op: 'file', path: 'target', content: 'x' }, { op: 'symlink', path: 'link', target: '/target' }],
      mode: 'run',
    }),
    m('mounts', 'a mount over /proc with a tmpfs', (c) => c.mounts.push({ destination: '/proc', type: 'tmpfs', source: 'tmpfs' }), { mode: 'run' }),
    m('mounts', 'a duplicated mount', (c) => c.mounts.push(structuredClone(c.mounts[c.mounts.length - 1] ?? { destination: '/tmp', type: 'tmpfs', source: 'tmpfs' })), { mode: 'run' }),
    m('mounts', 'a shared propagation mount', (c, ctx) => c.mounts.push({ destination: '/mnt', type: 'bind', source: ctx.bundle, options: ['rbind', 'rshared'] }), { mode: 'run' }),
    m('mounts', 'an odd rootfsPropagation', (c, _ctx, rng) => (c.linux.rootfsPropagation = rng.pick(['shared', 'rshared', 'unbindable', 'bogus', '']))),
    m('mounts', 'idmapped mount mappings', (c) => c.mounts.push({ destination: '/mnt', type: 'bind', source: 'config.json', options: ['bind'], uidMappings: [{ containerID: 0, hostID: 1000, size: 1 }] })),
    m('mounts', 'a cgroup mount', (c, _ctx, rng) => c.mounts.push({ destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: rng.pick([['ro'], ['rw', 'nosuid'], ['bogus']]) }), { mode: 'run' }),
    m('mounts', '2,000 mounts', (c) => {
      for (let i = 0; i < 2000; i++) c.mounts.push({ destination: `/tmp/m${i}`, type: 'tmpfs', source: 'tmpfs', options: ['size=4k'] });
    }, { expect: 'accept', exclusive: true, weight: 0.5, slow: true }),
  ];
}

function linuxMutations(): Mutation[] {
  const safeNsTypes = ['pid', 'network', 'ipc', 'cgroup', 'time'];
  return [
    m('namespaces', 'a duplicated namespace', (c, _ctx, rng) => c.linux.namespaces.push({ type: rng.pick(['pid', 'mount', 'uts', 'ipc', 'network']) })),
    m('namespaces', 'an unknown namespace type', (c, _ctx, rng) => c.linux.namespaces.push({ type: rng.pick(['bogus', 'PID', '', 'net']) })),
    m('namespaces', 'no mount namespace', (c) => (c.linux.namespaces = c.linux.namespaces.filter((n: Cfg) => n.type !== 'mount'))),
    m('namespaces', 'a namespace path that does not exist or is no namespace', (c, ctx, rng) => {
      const ns = c.linux.namespaces.find((n: Cfg) => n.type === rng.pick(['pid', 'network', 'ipc', 'mount', 'uts'])) ?? c.linux.namespaces[0];
      ns.path = rng.pick(nonNamespacePaths(ctx));
      delete linux(c).sysctl;
    }, { exclusive: true }),
    m('namespaces', 'a namespace path of another type', (c, _ctx, rng) => {
      const type = rng.pick(safeNsTypes);
      const file = rng.pick(['ipc', 'cgroup', 'pid', 'time', 'net'].filter((f) => f !== (type === 'network' ? 'net' : type)));
      c.linux.namespaces = c.linux.namespaces.filter((n: Cfg) => n.type !== type);
      c.linux.namespaces.push({ type, path: `/proc/self/ns/${file}` });
      delete linux(c).sysctl;
    }, { exclusive: true }),
    m('namespaces', 'a user namespace with odd mappings', (c, _ctx, rng) => {
      c.linux.namespaces.push({ type: 'user' });
      c.linux.uidMappings = rng.pick<Cfg[]>([[], [{ containerID: 0, hostID: 100000, size: 0 }], [{ containerID: 0, hostID: 4294967295, size: 10 }], [{ containerID: 0, hostID: 100000, size: 65536 }, { containerID: 0, hostID: 100000, size: 65536 }]]);
      c.linux.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
    }),
    m('namespaces', 'id mappings without a user namespace', (c) => (c.linux.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }])),
    m('namespaces', 'a time namespace with odd offsets', (c, _ctx, rng) => {
      c.linux.namespaces.push({ type: 'time' });
      c.linux.timeOffsets = { [rng.pick(['monotonic', 'boottime', 'realtime', 'bogus'])]: { secs: rng.pick(ODD_NUMBERS), nanosecs: rng.pick([0, -1, 1e9, 999999999]) } };
    }),
    m('namespaces', 'time offsets without a time namespace', (c) => (c.linux.timeOffsets = { monotonic: { secs: 10 } })),
    m('sysctl', 'odd sysctl keys and values', (c, _ctx, rng) => (linux(c).sysctl = { [rng.pick(['kernel.bogus', 'vm.swappiness', 'net.ipv4.nosuch', '../../etc/passwd', 'net/ipv4/../../../x', 'net.ipv4.ip_forward', 'kernel.hostname', '']) ]: rng.pick(['abc', '', '1\u00002', 'x'.repeat(5000), '1']) })),
    m('sysctl', 'a net sysctl in the host network namespace (its current value)', (c, ctx) => {
      c.linux.namespaces = c.linux.namespaces.filter((n: Cfg) => n.type !== 'network');
      c.linux.namespaces.push({ type: 'network', path: '/proc/self/ns/net' });
      linux(c).sysctl = { 'net.ipv4.ip_forward': ctx.hostIpForward };
    }, { exclusive: true, expect: 'refuse' }),
    m('seccomp', 'an odd seccomp filter', (c, _ctx, rng) => (linux(c).seccomp = rng.pick<Cfg>([
      { defaultAction: 'SCMP_ACT_BOGUS' },
      { defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_BOGUS'] },
      { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['nosuchsyscall'], action: 'SCMP_ACT_ERRNO' }] },
      { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: [], action: 'SCMP_ACT_ERRNO' }] },
      { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['getcwd'], action: 'SCMP_ACT_ERRNO', errnoRet: 4294967295 }] },
      { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['getcwd'], action: 'SCMP_ACT_ERRNO', args: [{ index: 6, value: 0, op: 'SCMP_CMP_EQ' }] }] },
      { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['getcwd'], action: 'SCMP_ACT_NOTIFY' }] },
      { defaultAction: 'SCMP_ACT_ALLOW', listenerPath: '/nonexistent/sock', syscalls: [{ names: ['getcwd'], action: 'SCMP_ACT_NOTIFY' }] },
      { defaultAction: 'SCMP_ACT_ALLOW', flags: ['SECCOMP_FILTER_FLAG_BOGUS'] },
      { defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_ARM', 'SCMP_ARCH_S390X'] },
      { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['getpid'], action: 'SCMP_ACT_TRACE' }] },
    ])), { mode: 'run', weight: 4 }),
    m('seccomp', 'a seccomp filter that kills', (c, _ctx, rng) => (linux(c).seccomp = rng.pick<Cfg>([
      { defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 1 },
      { defaultAction: 'SCMP_ACT_KILL' },
      { defaultAction: 'SCMP_ACT_KILL_PROCESS' },
      { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['execve'], action: 'SCMP_ACT_KILL_PROCESS' }] },
    ])), {
      mode: 'run',
      // Without noNewPrivileges the filter is loaded while init still sets up the container (runc 1.1.5 hangs here).
      knownOpen: 'a filter that kills tsrun-init during setup gives "tsrun-init exited before the container was created (killed by signal 31)", naming no config path',
    }),
    m('devices', 'an odd device', (c, ctx, rng) => (linux(c).devices = [rng.pick<Cfg>([
      { path: '/dev/../../../../tmp/' + ctx.token + '-escaped', type: 'c', major: 1, minor: 3 },
      { path: 'relative', type: 'c', major: 1, minor: 3 },
      { path: '/dev/x', type: 'x', major: 1, minor: 3 },
      { path: '/dev/x', type: 'c' },
      { path: '/dev/x', type: 'b', major: -1, minor: 2 ** 40 },
      { path: '/dev/x', type: 'c', major: 1, minor: 3, fileMode: 0o7777 },
      { path: '/dev/null', type: 'c', major: 1, minor: 5 },
      { path: '/dev/x', type: 'p', uid: 4294967295 },
      { path: '/etc/passwd', type: 'c', major: 1, minor: 3 },
      { path: '/dev/esc/' + ctx.token + '-escaped', type: 'c', major: 1, minor: 3 },
    ])]), { rootfsOps: () => [{ op: 'symlink', path: 'esc', target: '../../../../../../../tmp' }], weight: 3 }),
    m('paths', 'odd maskedPaths/readonlyPaths', (c, ctx, rng) => (linux(c)[rng.pick(['maskedPaths', 'readonlyPaths'])] = [rng.pick(['relative', '', '/..', '/proc/self/fd/0', '/nonexistent', `/../../../tmp/${ctx.token}-escaped`, '/esc', '/esc/x', '/a\u0000b'])]), {
      rootfsOps: () => [{ op: 'symlink', path: 'esc', target: '../../../../../../../tmp' }],
      mode: 'run',
      weight: 3,
    }),
    m('personality', 'an odd personality', (c, _ctx, rng) => (linux(c).personality = rng.pick<Cfg>([{ domain: 'BOGUS' }, { domain: 'LINUX', flags: ['X'] }, {}, { domain: 'LINUX32' }]))),
    m('unsupported', 'an unsupported linux field', (c, _ctx, rng) => Object.assign(linux(c), rng.pick<Cfg>([{ intelRdt: { closID: 'x' } }, { netDevices: { eth0: {} } }, { mountLabel: 'x' }, { memoryPolicy: { mode: 'MPOL_BOGUS' } }]))),
  ];
}

function cgroupMutations(): Mutation[] {
  // In a cgroup parent of the case's own: a threaded or frozen cgroup stays out of other containers' way.
  const unifiedProbe = (key: string, value: (ctx: FuzzContext) => string) =>
    m('unified', `unified "${key}"`, (c, ctx) => {
      resources(c).unified = { [key]: value(ctx) };
      linux(c).cgroupsPath = `/${ctx.token}-parent/${ctx.token}`;
    }, { expect: 'refuse', weight: 0.5 });
  return [
    m('cgroupsPath', 'an odd cgroupsPath', (c, ctx, rng) => (linux(c).cgroupsPath = rng.pick([
      `${ctx.token}`, `/${ctx.token}-parent/${ctx.token}`, `${ctx.token}/../..`, `/${ctx.token}/..`, `${ctx.token}:${ctx.token}:x`, `/${ctx.token}//x/`, `${ctx.token}${'x'.repeat(300)}`, `${ctx.token}/.`,
    ])), { weight: 2 }),
    m('cgroupsPath', 'a cgroupsPath with a newline', (c, ctx) => (linux(c).cgroupsPath = `/${ctx.token}\n`), {
      knownOpen: 'cgroupsPath "/x\\n" gives node\'s raw "EINVAL: invalid argument, mkdir \'/sys/fs/cgroup/cpu/x\\n\'", naming no config path',
    }),
    m('cgroupsPath', 'a cgroupsPath with a NUL byte', (c, ctx) => (linux(c).cgroupsPath = `/${ctx.token}\u0000garbage`), { expect: 'refuse' }),
    m('resources', 'an odd memory limit', (c, _ctx, rng) => (resources(c).memory = { [rng.pick(['limit', 'reservation', 'swap', 'kernel', 'kernelTCP', 'swappiness'])]: rng.pick([-1, -2, 0, 1, 4096, 2 ** 62, 2 ** 63, 101]) }), { mode: 'run' }),
    m('resources', 'an odd cpu setting', (c, _ctx, rng) => (resources(c).cpu = { [rng.pick(['shares', 'quota', 'period', 'realtimeRuntime', 'realtimePeriod', 'burst', 'idle'])]: rng.pick([-5, 0, 1, 2 ** 40, 2 ** 62]) })),
    m('resources', 'an odd cpuset', (c, _ctx, rng) => (resources(c).cpu = { [rng.pick(['cpus', 'mems'])]: rng.pick(['999', '0-1000', 'abc', '', '1-0', '5', '0\u00001']) })),
    m('resources', 'an odd pids limit', (c, _ctx, rng) => (resources(c).pids = { limit: rng.pick([0, -1, -2, 2 ** 62]) })),
    m('resources', 'pids.limit 1', (c) => (resources(c).pids = { limit: 1 }), { expect: 'accept', mode: 'run' }),
    m('resources', 'odd blockIO', (c, _ctx, rng) => (resources(c).blockIO = rng.pick<Cfg>([
      { weight: 0 }, { weight: 5000 }, { weightDevice: [{ major: -5, minor: 0, weight: 100 }] }, { throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 2 ** 62 }] }, { throttleWriteIOPSDevice: [{ major: 99999, minor: 0, rate: 1 }] },
    ]))),
    m('resources', 'odd hugepage limits', (c, _ctx, rng) => (resources(c).hugepageLimits = [{ pageSize: rng.pick(['3MB', '2MB', '1GB', '0KB', '2mb']), limit: rng.pick([0, 1, 2 ** 62]) }])),
    m('resources', 'odd device rules', (c, _ctx, rng) => (resources(c).devices = [rng.pick<Cfg>([{ allow: true, type: 'x' }, { allow: true, access: 'rwmz' }, { allow: false, major: -5 }, { allow: true, type: 'c', major: 2 ** 40, minor: 1, access: 'r' }, { allow: 'yes' }])])),
    m('resources', 'odd network and rdma', (c, _ctx, rng) => Object.assign(resources(c), rng.pick<Cfg>([{ network: { classID: 4294967295, priorities: [{ name: 'eth0', priority: 1 }] } }, { rdma: { mlx5_0: { hcaHandles: 1 } } }, { rdma: { '': {} } }]))),
    m('unified', 'an unified key of a controller or file that is not there', (c, _ctx, rng) => (resources(c).unified = { [rng.pick(['memory.max', 'nosuch.file', 'io.weight', 'cpu.max', 'x', 'memory.high'])]: rng.pick(['100M', 'max', 'abc', '']) })),
    unifiedProbe('cgroup.procs', (ctx) => String(ctx.victimPid)),
    unifiedProbe('cgroup.threads', (ctx) => String(ctx.victimPid)),
    unifiedProbe('cgroup.subtree_control', () => '+pids'),
    unifiedProbe('cgroup.kill', () => '1'),
    unifiedProbe('cgroup.freeze', () => '1'),
    unifiedProbe('cgroup.type', () => 'threaded'),
    // Not ../cgroup.procs: the parent cgroup is shared with other tests' containers.
    unifiedProbe('../nosuch', () => '1'),
    unifiedProbe('a/b', () => '1'),
  ];
}

function hookMutations(): Mutation[] {
  return [
    m('hooks', 'a hook whose path is missing', (c, _ctx, rng) => (hooks(c)[rng.pick(HOOK_KINDS)] = [{ path: '/nonexistent/hook' }]), {
      mode: 'run',
      hookErrorsMatch: /no such file/i,
    }),
    // Issue 12, item 14: a missing startContainer hook was reported as "permission denied".
    m('hooks', 'a container hook whose path is missing', (c, _ctx, rng) => (hooks(c)[rng.pick(['createContainer', 'startContainer'])] = [{ path: '/nonexistent/hook' }]), {
      mode: 'run',
      hookErrorsMatch: /no such file/i,
    }),
    m('hooks', 'a hook with a relative path', (c, _ctx, rng) => (hooks(c)[rng.pick(HOOK_KINDS)] = [{ path: 'hook.sh' }])),
    m('hooks', 'a hook that is not executable', (c, ctx, rng) => (hooks(c)[rng.pick(RUNTIME_HOOKS)] = [{ path: ctx.scripts.notExecutable }]), { mode: 'run' }),
    m('hooks', 'a hook that fails', (c, ctx, rng) => {
      const kind = rng.pick(HOOK_KINDS);
      hooks(c)[kind] = [{ path: kind.endsWith('Container') ? '/bin/false' : ctx.scripts.fail }];
    }, { mode: 'run' }),
    m('hooks', 'a hook that prints a lot', (c, ctx, rng) => (hooks(c)[rng.pick(['prestart', 'createRuntime'])] = [{ path: rng.pick([ctx.scripts.noisy, ctx.scripts.nulOutput]) }])),
    m('hooks', 'a hook that outlives its timeout', (c, ctx, rng) => {
      const kind = rng.pick(HOOK_KINDS);
      hooks(c)[kind] = [kind.endsWith('Container') ? { path: '/bin/sleep', args: ['sleep', '30'], timeout: 1 } : { path: ctx.scripts.sleep, timeout: 1 }];
    }, { mode: 'run', weight: 0.6 }),
    m('hooks', 'a hook with an odd timeout', (c, ctx, rng) => (hooks(c)[rng.pick(RUNTIME_HOOKS)] = [{ path: ctx.scripts.ok, timeout: rng.pick([0, -1, 2 ** 31, 2 ** 53, 1.5]) }])),
    m('hooks', 'a hook with odd env or args', (c, ctx, rng) => (hooks(c)[rng.pick(HOOK_KINDS)] = [{ path: ctx.scripts.ok, ...rng.pick<Cfg>([{ env: ['NOEQ'] }, { env: ['=x'] }, { env: ['A=\u0000'] }, { args: [] }, { args: ['x\u0000y'] }, { env: [''] }]) }])),
  ];
}

export const MUTATIONS: readonly Mutation[] = [
  ...generic(), ...processMutations(), ...rootAndIdMutations(), ...mountMutations(), ...linuxMutations(), ...cgroupMutations(), ...hookMutations(),
];
