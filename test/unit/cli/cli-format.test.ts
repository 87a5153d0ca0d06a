// Unit tests for CLI output formats: tabulate (src/cli/table.ts), Logger/goRfc3339 (src/cli/log.ts), rfc3339NanoNow and parseSignal.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tabulate } from '../../../src/cli/table.js';
import { goRfc3339, Logger, type LogFormat } from '../../../src/cli/log.js';
import { rfc3339NanoNow } from '../../../src/runtime/time.js';
import { parseSignal } from '../../../src/runtime/kill.js';
import { TsrunError } from '../../../src/core/errors.js';

process.env.TZ = 'UTC';

const tmp = mkdtempSync(join(tmpdir(), 'tsrun-cli-format-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
let fileNo = 0;

/** Logs through a fresh Logger into a new temp file and returns the file's lines. */
function logged(format: LogFormat, debug: boolean, write: (l: Logger) => void, initial = ''): string[] {
  const file = join(tmp, `log-${fileNo++}`);
  if (initial) writeFileSync(file, initial);
  const logger = new Logger(file, format, debug);
  assert.equal(logger.toStderr, false);
  write(logger);
  const text = readFileSync(file, 'utf8');
  assert.ok(text === '' || text.endsWith('\n'), 'every line ends with a newline');
  return text.split('\n').slice(0, -1);
}

// --- tabulate ---

test('tabulate: cells padded to the widest plus 3, at least 12; last cell unpadded', () => {
  assert.equal(
    tabulate([
      ['ID', 'PID', 'STATUS'],
      ['abc', '123', 'running'],
    ]),
    'ID          PID         STATUS\n' +
    'abc         123         running\n',
  );
  const id = 'a-container-id-of-24-chr';
  assert.equal(id.length, 24);
  assert.equal(
    tabulate([
      ['ID', 'PID', 'STATUS', 'OWNER'],
      [id, '4294967', 'stopped', 'root'],
      ['x', '1', 'created', 'a-much-longer-owner-name'],
    ]),
    'ID' + ' '.repeat(25) + 'PID         STATUS      OWNER\n' +
    id + '   ' + '4294967     stopped     root\n' +
    'x' + ' '.repeat(26) + '1           created     a-much-longer-owner-name\n',
  );
});

test('tabulate: the minimum width counts the padding (9 chars + 3 = 12, 10 chars + 3 = 13)', () => {
  assert.equal(tabulate([['123456789', 'z']]), '123456789   z\n');
  assert.equal(tabulate([['1234567890', 'z']]), '1234567890   z\n');
  assert.equal(tabulate([['', 'z']]), ' '.repeat(12) + 'z\n');
});

test('tabulate: runc list header with one container', () => {
  const out = tabulate([
    ['ID', 'PID', 'STATUS', 'BUNDLE', 'CREATED', 'OWNER'],
    ['test', '4242', 'running', '/bundles/busybox', '2026-11-23T10:41:11.123456789Z', 'root'],
  ]);
  assert.equal(out,
    'ID          PID         STATUS      BUNDLE             CREATED                          OWNER\n' +
    'test        4242        running     /bundles/busybox   2026-11-23T10:41:11.123456789Z   root\n');
});

test('tabulate: no rows, one cell, trailing empty last cell', () => {
  assert.equal(tabulate([]), '');
  assert.equal(tabulate([['only']]), 'only\n');
  assert.equal(tabulate([['a', '']]), 'a' + ' '.repeat(11) + '\n');
});

// --- goRfc3339 ---

test('goRfc3339: second precision and "Z" under TZ=UTC', () => {
  process.env.TZ = 'UTC';
  assert.equal(goRfc3339(new Date(Date.UTC(2026, 10, 23, 10, 41, 11, 999))), '2026-11-23T10:41:11Z');
  assert.equal(goRfc3339(new Date(Date.UTC(2000, 0, 1, 0, 0, 0, 0))), '2000-01-01T00:00:00Z');
  assert.match(goRfc3339(new Date()), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
});

test('goRfc3339: local time with a ±hh:mm offset elsewhere', () => {
  const d = new Date(Date.UTC(2026, 10, 23, 10, 41, 11, 500));
  try {
    process.env.TZ = 'Asia/Kolkata';
    assert.equal(goRfc3339(d), '2026-11-23T16:11:11+05:30');
    process.env.TZ = 'America/New_York';
    assert.equal(goRfc3339(d), '2026-11-23T05:41:11-05:00');
    process.env.TZ = 'America/St_Johns';
    assert.equal(goRfc3339(d), '2026-11-23T07:11:11-03:30');
    process.env.TZ = 'Pacific/Kiritimati';
    assert.equal(goRfc3339(new Date(Date.UTC(2026, 10, 23, 23, 0, 0))), '2026-11-24T13:00:00+14:00');
  } finally {
    process.env.TZ = 'UTC';
  }
  assert.equal(goRfc3339(d), '2026-11-23T10:41:11Z');
});

// --- Logger ---

const TIME = String.raw`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ`;

test('Logger text: time, level and msg in logrus text format', () => {
  const before = Math.floor(Date.now() / 1000) * 1000;
  const lines = logged('text', false, (l) => l.error('container does not exist'));
  const after = Date.now();
  assert.equal(lines.length, 1);
  const m = new RegExp(`^time="(${TIME})" level=error msg="container does not exist"$`).exec(lines[0]);
  assert.ok(m, lines[0]);
  const t = Date.parse(m[1]);
  assert.ok(t >= before && t <= after, `${m[1]} is now`);
});

test('Logger text: logrus quoting rules', () => {
  const cases: [string, string][] = [
    ['simple', 'simple'],
    ['a-b.c_d/e@f^g+h09AZ', 'a-b.c_d/e@f^g+h09AZ'],
    ['two words', '"two words"'],
    ['say "hi"', '"say \\"hi\\""'],
    ['back\\slash', '"back\\\\slash"'],
    ['colon:', '"colon:"'],
    ['tab\there', '"tab\\there"'],
    ['line\nbreak', '"line\\nbreak"'],
    ['ünï', '"ünï"'],
    ['a=b', '"a=b"'],
  ];
  const lines = logged('text', false, (l) => { for (const [msg] of cases) l.error(msg); });
  assert.equal(lines.length, cases.length);
  cases.forEach(([msg, shown], i) => {
    const rest = lines[i].replace(new RegExp(`^time="${TIME}" `), '');
    assert.equal(rest, `level=error msg=${shown}`, JSON.stringify(msg));
  });
});

test('Logger text: an empty msg is left unquoted, as logrus does', () => {
  const [line] = logged('text', false, (l) => l.error(''));
  assert.match(line, new RegExp(`^time="${TIME}" level=error msg=$`));
});

test('Logger text: levels; debug lines only when enabled', () => {
  assert.deepEqual(
    logged('text', false, (l) => { l.debug('hidden'); l.warn('careful'); l.log('info', 'fyi'); l.error('bad'); })
      .map((s) => s.replace(/^time="[^"]+" /, '')),
    ['level=warning msg=careful', 'level=info msg=fyi', 'level=error msg=bad'],
  );
  assert.deepEqual(
    logged('text', true, (l) => { l.debug('shown'); l.error('bad'); }).map((s) => s.replace(/^time="[^"]+" /, '')),
    ['level=debug msg=shown', 'level=error msg=bad'],
  );
  assert.deepEqual(logged('text', false, (l) => l.log('debug', 'hidden too')), []);
});

test('Logger json: keys level, msg, time in that order', () => {
  const lines = logged('json', false, (l) => { l.error('container does not exist'); l.warn('say "hi"'); l.debug('x'); });
  assert.equal(lines.length, 2);
  assert.match(lines[0], new RegExp(`^\\{"level":"error","msg":"container does not exist","time":"${TIME}"\\}$`));
  const second = JSON.parse(lines[1]) as Record<string, string>;
  assert.deepEqual(Object.keys(second), ['level', 'msg', 'time']);
  assert.equal(second.level, 'warning');
  assert.equal(second.msg, 'say "hi"');
  assert.match(second.time, new RegExp(`^${TIME}$`));
  const [dbg] = logged('json', true, (l) => l.debug('dbg'));
  assert.equal((JSON.parse(dbg) as Record<string, string>).level, 'debug');
});

test('Logger appends to an existing log file', () => {
  const lines = logged('text', false, (l) => l.error('new'), 'old line\n');
  assert.equal(lines.length, 2);
  assert.equal(lines[0], 'old line');
  assert.match(lines[1], /level=error msg=new$/);
});

test('Logger without a file writes to stderr', () => {
  assert.equal(new Logger(undefined, 'text', false).toStderr, true);
});

// --- rfc3339NanoNow ---

test('rfc3339NanoNow: RFC 3339 with trimmed nanoseconds in UTC, close to Date.now()', () => {
  const seen = new Set<number>();
  for (let i = 0; i < 200; i++) {
    const before = Date.now();
    const s = rfc3339NanoNow();
    const after = Date.now();
    const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z$/.exec(s);
    assert.ok(m, s);
    if (m[2] !== undefined) {
      assert.ok(!m[2].endsWith('0'), `no trailing zero: ${s}`);
      seen.add(m[2].length);
    }
    const ms = Date.parse(`${m[1]}Z`) + Number(((m[2] ?? '') + '000000000').slice(0, 9)) / 1e6;
    assert.ok(ms >= before - 2 && ms <= after + 2, `${s} within [${before}, ${after}]`);
  }
  assert.ok(seen.size > 0, 'some timestamps have a fraction');
});

// --- parseSignal ---

test('parseSignal: numbers, names with or without SIG, any case', () => {
  const cases: [string, number][] = [
    ['9', 9], ['KILL', 9], ['SIGKILL', 9], ['kill', 9], ['sigkill', 9], ['SigKill', 9],
    ['15', 15], ['sigterm', 15], ['TERM', 15], ['term', 15],
    ['1', 1], ['HUP', 1], ['INT', 2], ['SIGUSR1', 10], ['usr2', 12], ['CHLD', 17], ['STOP', 19], ['CONT', 18],
    ['64', 64], ['34', 34],
  ];
  for (const [raw, n] of cases) assert.equal(parseSignal(raw), n, raw);
});

test('parseSignal: numbers pass through as runc passes them to kill(2); empty is SIGTERM', () => {
  assert.equal(parseSignal('0'), 0);
  assert.equal(parseSignal('65'), 65);
  assert.equal(parseSignal(''), 15);
});

test('parseSignal: unknown names and malformed numbers are "unknown signal"', () => {
  for (const raw of ['-1', '1.5', 'NOPE', 'SIGNOPE', 'SIG', ' 9', '9 ', 'KILL9']) {
    assert.throws(
      () => parseSignal(raw),
      (e: unknown) => e instanceof TsrunError && e.message === `unknown signal ${JSON.stringify(raw)}`,
      JSON.stringify(raw),
    );
  }
});
