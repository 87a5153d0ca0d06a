// commandName: which command the arguments name, past the global flags and
// their values (main.ts then gives yargs only that command).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { commandName } from '../../../src/cli/context.js';

test('commandName: the first argument that is not a global flag or its value', () => {
  const cases: Array<[string[], string | undefined]> = [
    [['state', 'c1'], 'state'],
    [['--root', '/run/x', 'create', '--bundle', 'b', 'c1'], 'create'],
    [['--log', 'f', '--log-format', 'json', '--debug', 'delete', 'c1'], 'delete'],
    [['--root=/run/x', 'list'], 'list'],
    // Go's flag package, as runc's: one dash is as good as two.
    [['-root', '/run/x', '-log-format', 'json', 'restore', '-no-subreaper', 'c1'], 'restore'],
    [['--systemd-cgroup', 'kill', 'c1', 'KILL'], 'kill'],
    [['--criu', '/usr/sbin/criu', '--rootless', 'false', 'ls'], 'ls'],
    [['--help'], undefined],
    [['--version'], undefined],
    [[], undefined],
    [['--', 'state'], undefined],
    // An unknown flag's value is taken for the command; yargs, given every command, then reports it.
    [['--bogus', 'value', 'state', 'c1'], 'value'],
  ];
  for (const [args, want] of cases) assert.equal(commandName(args), want, args.join(' '));
});

test('a lone - after a flag is its value, as Go reads it (update -r -), and nothing after -- is touched', async () => {
  const { joinDashValues } = await import('../../../src/cli/context.js');
  assert.deepEqual(joinDashValues(['update', '-r', '-', 'c1']), ['update', '-r=-', 'c1']);
  assert.deepEqual(joinDashValues(['update', '--resources', '-', 'c1']), ['update', '--resources=-', 'c1']);
  assert.deepEqual(joinDashValues(['update', '--resources=x', '-', 'c1']), ['update', '--resources=x', '-', 'c1']);
  assert.deepEqual(joinDashValues(['exec', 'c1', '--', 'sh', '-c', '-']), ['exec', 'c1', '--', 'sh', '-c', '-']);
  assert.deepEqual(joinDashValues(['-', 'x']), ['-', 'x']);
});
