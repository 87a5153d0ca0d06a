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
