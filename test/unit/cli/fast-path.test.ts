// src/cli/fast-path.ts: the plain command lines it runs without yargs, with
// the arguments yargs would give the handler; everything else goes to yargs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CommandModule } from 'yargs';
import { runPlain, runWithoutYargs } from '../../../src/cli/fast-path.js';
import { VERSION_TEXT } from '../../../src/cli/version.js';

function recorder() {
  const seen: Record<string, unknown>[] = [];
  const module = { command: 'x', describe: 'x', handler: (argv: Record<string, unknown>) => void seen.push(argv) } as unknown as CommandModule;
  const commands = { state: module, start: module, kill: module, delete: module, list: module, pause: module, resume: module };
  return { seen, run: (args: string[]) => runPlain(args, commands) };
}

const globals = { logFormat: 'text', debug: false, systemdCgroup: false };

test('plain forms run their handler with what yargs would give it', async () => {
  const cases: [string[], Record<string, unknown>][] = [
    [['state', 'c1'], { ...globals, containerId: 'c1' }],
    [['--root', '/r', 'start', 'c1'], { ...globals, root: '/r', containerId: 'c1' }],
    [['--root', '/r', '--log', '/l', '--log-format', 'json', 'kill', 'c1', 'KILL'], { ...globals, root: '/r', log: '/l', logFormat: 'json', containerId: 'c1', signal: 'KILL', all: false }],
    [['kill', 'c1'], { ...globals, containerId: 'c1', signal: 'SIGTERM', all: false }],
    [['--debug', 'delete', '--force', 'c1'], { ...globals, debug: true, containerId: 'c1', force: true }],
    [['delete', '-f', 'c1'], { ...globals, containerId: 'c1', force: true }],
    [['delete', 'c1'], { ...globals, containerId: 'c1', force: false }],
    [['list'], { ...globals, format: 'table', quiet: false }],
    [['list', '-q'], { ...globals, format: 'table', quiet: true }],
    [['list', '--format', 'json'], { ...globals, format: 'json', quiet: false }],
    // Engines with the systemd driver pass --systemd-cgroup to every command.
    [['--systemd-cgroup', 'delete', 'c1'], { ...globals, systemdCgroup: true, containerId: 'c1', force: false }],
    [['pause', 'c1'], { ...globals, containerId: 'c1' }],
    [['--root', '/r', 'resume', 'c1'], { ...globals, root: '/r', containerId: 'c1' }],
  ];
  for (const [args, want] of cases) {
    const { seen, run } = recorder();
    const p = run(args);
    assert.ok(p, `${args.join(' ')}: not taken`);
    await p;
    const { _, $0, ...got } = seen[0];
    assert.deepEqual(got, want, args.join(' '));
    assert.deepEqual([_, $0], [[args.find((a) => ['state', 'start', 'kill', 'delete', 'list', 'pause', 'resume'].includes(a))], 'tsrun']);
  }
});

test('anything else is left to yargs', () => {
  for (const args of [
    [],
    ['state'],
    ['state', 'c1', 'extra'],
    ['state', '--help'],
    ['state', 'c1', '--root', '/r'], // a global flag after the command
    ['--root=/r', 'state', 'c1'],
    ['--root'],
    ['--log-format', 'yaml', 'state', 'c1'],
    ['--systemd-cgroup=true', 'state', 'c1'],
    ['kill', '--all', 'c1', 'KILL'],
    ['kill', 'c1', 'KILL', 'more'],
    ['delete', '--force'],
    ['delete', 'c1', '--force'],
    ['list', '--format', 'yaml'],
    ['list', '-q', '--format', 'json'],
    ['ls'],
    ['create', '--bundle', 'b', 'c1'],
    ['exec', 'c1', 'sh'],
    ['pause'],
    ['pause', 'c1', 'c2'],
    ['resume', '--help'],
    ['ps', 'c1'],
  ]) {
    const { seen, run } = recorder();
    assert.equal(run(args), false, args.join(' '));
    assert.equal(seen.length, 0);
  }
});

test('runWithoutYargs: only --version or -v alone is the version (printed by the launcher tests); other lines as runPlain', () => {
  assert.match(VERSION_TEXT, /^tsrun version \d+\.\d+\.\d+\nspec: 1\.\d+\.\d+$/);
  for (const args of [['--version', 'state'], ['state', '--version'], ['--help'], ['-h'], ['-v', '-v']]) {
    assert.equal(runWithoutYargs(args, {}), false, args.join(' '));
  }
});

/** What yargs gives create's or run's handler for args (the builders of src/cli/create.ts and run.ts, runc's global flags). */
async function yargsArgv(args: string[]): Promise<Record<string, unknown> | undefined> {
  const { default: yargs } = await import('yargs');
  const { createCommand } = await import('../../../src/cli/create.js');
  const { runCommand } = await import('../../../src/cli/run.js');
  const { GLOBAL_OPTIONS } = await import('../../../src/cli/context.js');
  let seen: Record<string, unknown> | undefined;
  const record = (c: CommandModule) => ({ ...c, handler: (argv: Record<string, unknown>) => void (seen = argv) }) as CommandModule;
  await yargs(args)
    .options(GLOBAL_OPTIONS)
    .parserConfiguration({ 'boolean-negation': false })
    .command([record(createCommand as unknown as CommandModule), record(runCommand as unknown as CommandModule)])
    .strict()
    .fail(() => {})
    .parseAsync();
  return seen;
}

test('create and run: the plain forms engines use give the handler what yargs gives it', async () => {
  const keys = ['containerId', 'bundle', 'pidFile', 'consoleSocket', 'pidfdSocket', 'noPivot', 'noNewKeyring', 'preserveFds', 'detach', 'keep', 'noSubreaper',
    'root', 'log', 'logFormat', 'debug', 'systemdCgroup'];
  const pick = (argv: Record<string, unknown>) => Object.fromEntries(keys.filter((k) => argv[k] !== undefined).map((k) => [k, argv[k]]));
  const cases = [
    ['create', 'c1'],
    ['create', '--bundle', '/b', 'c1'],
    ['--root', '/r', '--log', '/l', '--log-format', 'json', 'create', '--bundle', '/b', '--pid-file', '/p', 'c1'],
    ['create', '-b', '/b', '--console-socket', '/s', '--pidfd-socket', '/f', '--no-pivot', '--no-new-keyring', '--preserve-fds', '2', 'c1'],
    ['--systemd-cgroup', 'create', 'c1', '--bundle', '/b'],
    ['create', '--preserve-fds', '0', '--pid-file', 'rel/p', 'c-1.x'],
    ['run', '-d', '--bundle', '/b', 'c1'],
    ['run', '--detach', '--keep', '--no-subreaper', '--pid-file', '/p', 'c1'],
    ['--debug', 'run', '--bundle', '/b', 'c1'],
  ];
  for (const args of cases) {
    const seen: Record<string, unknown>[] = [];
    const module = { command: 'x', describe: 'x', handler: (argv: Record<string, unknown>) => void seen.push(argv) } as unknown as CommandModule;
    const p = runPlain(args, { create: module, run: module });
    assert.ok(p, `${args.join(' ')}: not taken`);
    await p;
    const want = await yargsArgv(args);
    assert.ok(want, `${args.join(' ')}: yargs ran no handler`);
    assert.deepEqual(pick(seen[0]), pick(want), args.join(' '));
  }
});

test('create and run: anything else is left to yargs', () => {
  const module = { command: 'x', describe: 'x', handler: () => {} } as unknown as CommandModule;
  for (const args of [
    ['create'],
    ['create', '--bundle', '/b'],
    ['create', 'c1', 'c2'],
    ['create', '--bundle=/b', 'c1'],
    ['create', '--bundle', '', 'c1'],
    ['create', '--bundle', '-x', 'c1'],
    ['create', '--bundle', '/a', '--bundle', '/b', 'c1'],
    ['create', '--preserve-fds', 'x', 'c1'],
    ['create', '--preserve-fds', '-1', 'c1'],
    ['create', '--preserve-fds', '1.5', 'c1'],
    ['create', '--detach', 'c1'],
    ['create', '--help'],
    ['create', '--unknown', 'c1'],
    ['create', '--no-pivot=false', 'c1'],
    ['create', '--', 'c1'],
    ['run', '-dk', 'c1'],
    ['run', '-d', 'true'],
    ['create', '--no-pivot', 'false', 'c1'],
    ['--rootless', 'true', 'create', 'c1'],
  ]) {
    assert.equal(runPlain(args, { create: module, run: module }), false, args.join(' '));
  }
});

async function yargsExecArgv(args: string[]): Promise<Record<string, unknown> | undefined> {
  const { default: yargs } = await import('yargs');
  const { endExecFlags, execCommand } = await import('../../../src/cli/exec.js');
  const { GLOBAL_OPTIONS, RUNC_PARSING } = await import('../../../src/cli/context.js');
  let seen: Record<string, unknown> | undefined;
  const record = (c: CommandModule) => ({ ...c, handler: (argv: Record<string, unknown>) => void (seen = argv) }) as CommandModule;
  // As main.ts reads an exec line: its flags end at the id.
  await yargs(endExecFlags(args))
    .options(GLOBAL_OPTIONS)
    .parserConfiguration(RUNC_PARSING)
    .command([record(execCommand as unknown as CommandModule)])
    .strict()
    .fail(() => {})
    .parseAsync();
  return seen;
}

test('exec: the plain forms engines use give the handler what yargs gives it', async () => {
  const keys = ['containerId', 'process', 'tty', 'consoleSocket', 'pidfdSocket', 'pidFile', 'detach', 'preserveFds', 'ignorePaused', 'cwd', 'env', 'user',
    'additionalGids', 'cap', 'noNewPrivs', 'apparmor', 'processLabel', 'cgroup', 'root', 'log', 'logFormat', 'debug', 'systemdCgroup'];
  const pick = (argv: Record<string, unknown>) => Object.fromEntries(keys.filter((k) => argv[k] !== undefined).map((k) => [k, argv[k]]));
  const cases = [
    // containerd (go-runc) and podman (conmon)
    ['--root', '/r', '--log', '/l', '--log-format', 'json', 'exec', '--process', '/p.json', '--detach', '--pid-file', '/pid', 'c1'],
    ['--root', '/r', 'exec', '--pid-file', '/pid', '--process', '/p.json', '--console-socket', '/s', '--tty', '--detach', 'c1'],
    ['exec', '-p', '/p.json', '-d', '-t', '--preserve-fds', '2', '--pidfd-socket', '/f', 'c1'],
    // by hand: everything after the id is the command, flags included
    ['exec', 'c1', 'sh', '-c', 'echo hi'],
    ['exec', '-t', 'c1', 'ls', '--color', '-d', '/'],
    ['--debug', 'exec', 'c1', 'true'],
  ];
  for (const args of cases) {
    const seen: Record<string, unknown>[] = [];
    const module = { command: 'x', describe: 'x', handler: (argv: Record<string, unknown>) => void seen.push(argv) } as unknown as CommandModule;
    const p = runPlain(args, { exec: module });
    assert.ok(p, `${args.join(' ')}: not taken`);
    await p;
    const want = await yargsExecArgv(args);
    assert.ok(want, `${args.join(' ')}: yargs ran no handler`);
    assert.deepEqual(pick(seen[0]), pick(want), args.join(' '));
    // The command: everything after the id (main.ts has yargs put it after `--`; the integration test
    // test/integration/entries.test.ts runs both paths).
    assert.deepEqual(seen[0].command, args.slice(args.indexOf('c1') + 1), args.join(' '));
  }
});

test('exec: anything else is left to yargs', () => {
  const module = { command: 'x', describe: 'x', handler: () => {} } as unknown as CommandModule;
  for (const args of [
    ['exec'],
    ['exec', 'c1'],
    ['exec', '--process', '/p.json'],
    ['exec', '--detach', 'c1'],
    ['exec', '--process=/p.json', 'c1'],
    ['exec', '--process', '', 'c1'],
    ['exec', '--process', '/a', '--process', '/b', 'c1'],
    ['exec', '--cwd', '/', 'c1', 'true'],
    ['exec', '-e', 'A=1', 'c1', 'true'],
    ['exec', '--user', '1', 'c1', 'true'],
    ['exec', '-dt', 'c1', 'true'],
    ['exec', '--tty', 'false', 'c1', 'true'],
    ['exec', '--preserve-fds', 'x', 'c1', 'true'],
    ['exec', '--help'],
    ['exec', 'c1', '--', 'true'],
    ['exec', '--', 'c1', 'true'],
    ['exec', '--ignore-paused', 'c1', 'true'],
  ]) {
    assert.equal(runPlain(args, { exec: module }), false, args.join(' '));
  }
});
