// runc's edge rules on tsrun (docs/runc-compat.md): --log and --log-format.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { assertNothingLeft, makeBundle, uniqueId } from './harness.js';
import { edgeSuite, RFC3339 } from './edge-harness.js';

edgeSuite('--log and --log-format', ({ rt, scratch }) => {
  describe('--log and --log-format', () => {
    test('--log FILE --log-format json: one {level,msg,time} line in FILE, the bare message on stderr', () => {
      const file = path.join(scratch, `${uniqueId('log')}.json`);
      const r = rt.run(['--log', file, '--log-format', 'json', 'state', uniqueId('nosuch')]);
      assert.equal(r.code, 1);
      assert.equal(r.stdout, '');
      assert.equal(r.stderr, 'container does not exist\n');
      const text = fs.readFileSync(file, 'utf8');
      assert.ok(text.endsWith('\n'));
      const lines = text.trimEnd().split('\n');
      assert.equal(lines.length, 1);
      const obj = JSON.parse(lines[0]);
      assert.deepEqual(Object.keys(obj), ['level', 'msg', 'time']);
      assert.equal(obj.level, 'error');
      assert.equal(obj.msg, 'container does not exist');
      assert.match(obj.time, RFC3339);
      assert.ok(!Number.isNaN(Date.parse(obj.time)));
      assert.ok(Math.abs(Date.parse(obj.time) - Date.now()) < 60_000, 'time is now');
      assert.equal(lines[0], JSON.stringify({ level: 'error', msg: 'container does not exist', time: obj.time }), 'compact');
    });

    test('--log is appended to; a failing create logs its message with quotes escaped', () => {
      const file = path.join(scratch, `${uniqueId('log')}.json`);
      const bundle = makeBundle(['/bin/nope']);
      const ok = rt.run(['--log', file, '--log-format', 'json', 'list']);
      assert.equal(ok.code, 0);
      assert.equal(fs.readFileSync(file, 'utf8'), '', 'a successful command logs nothing, but the file is made');
      rt.run(['--log', file, '--log-format', 'json', 'state', uniqueId('nosuch')]);
      const id = uniqueId('lognope');
      const r = rt.run(['--log', file, '--log-format', 'json', 'create', '--bundle', bundle, id]);
      assert.equal(r.code, 1);
      const lines = fs.readFileSync(file, 'utf8').trimEnd().split('\n');
      assert.equal(lines.length, 2, 'appended');
      assert.ok(lines[1].includes(String.raw`exec: \"/bin/nope\"`), lines[1]);
      const msg = JSON.parse(lines[1]).msg as string;
      assert.ok(msg.includes('exec: "/bin/nope"') && msg.includes('no such file or directory'), msg);
      assert.equal(r.stderr, msg + '\n', 'stderr has the bare message');
      assertNothingLeft(rt, [bundle]);
    });

    test('--log-format text writes time="..." level=error msg="..."', () => {
      const file = path.join(scratch, `${uniqueId('log')}.txt`);
      const r = rt.run(['--log', file, '--log-format', 'text', 'state', uniqueId('nosuch')]);
      assert.equal(r.code, 1);
      assert.equal(r.stderr, 'container does not exist\n');
      const m = /^time="([^"]+)" level=error msg="container does not exist"\n$/.exec(fs.readFileSync(file, 'utf8'));
      assert.ok(m, 'one logrus text line');
      assert.match(m[1], RFC3339);
    });

    test('without --log, stderr gets the formatted line (text, or json with --log-format json)', () => {
      const text = rt.run(['state', uniqueId('nosuch')]);
      assert.equal(text.code, 1);
      const m = /^time="([^"]+)" level=error msg="container does not exist"\n$/.exec(text.stderr);
      assert.ok(m, text.stderr);
      assert.match(m[1], RFC3339);
      const json = rt.run(['--log-format', 'json', 'state', uniqueId('nosuch')]);
      assert.equal(json.code, 1);
      assert.ok(json.stderr.endsWith('\n') && json.stderr.trimEnd().split('\n').length === 1, json.stderr);
      const obj = JSON.parse(json.stderr);
      assert.deepEqual(Object.keys(obj), ['level', 'msg', 'time']);
      assert.equal(obj.msg, 'container does not exist');
      assert.match(obj.time, RFC3339);
    });
  });
});
