// runc's edge rules on tsrun (docs/runc-compat.md): --pid-file.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { makeBundle, uniqueId } from './harness.js';
import { edgeSuite } from './edge-harness.js';

edgeSuite('--pid-file', ({ rt, scratch }) => {
  describe('--pid-file', () => {
    test("create --pid-file: the init pid, no newline, mode 0644; a relative path is resolved against tsrun's cwd", () => {
      const bundle = makeBundle(['sleep', '30']);
      const id = uniqueId('pidfile');
      const cwd = fs.mkdtempSync(path.join(scratch, 'cwd-'));
      const r = rt.run(['create', '--pid-file', 'sub.pid', '--bundle', bundle, id], { cwd });
      assert.deepEqual(r, { code: 0, stdout: '', stderr: '' });
      const file = path.join(cwd, 'sub.pid');
      const text = fs.readFileSync(file, 'utf8');
      assert.match(text, /^\d+$/, 'digits only, no trailing newline');
      assert.equal(Number(text), rt.state(id).pid);
      assert.equal(fs.statSync(file).mode & 0o777, 0o644);
      assert.ok(!fs.existsSync(path.join(bundle, 'sub.pid')), 'not written into the bundle');
      assert.equal(rt.run(['delete', id]).code, 0);
    });

    test('run -d --pid-file writes it too', () => {
      const bundle = makeBundle(['sleep', '30']);
      const id = uniqueId('runpid');
      const file = path.join(scratch, `${id}.pid`);
      const r = rt.run(['run', '-d', '--pid-file', file, '--bundle', bundle, id]);
      assert.deepEqual(r, { code: 0, stdout: '', stderr: '' });
      const s = rt.state(id);
      assert.equal(s.status, 'running');
      assert.equal(fs.readFileSync(file, 'utf8'), String(s.pid));
      assert.equal(rt.run(['delete', '--force', id]).code, 0);
    });
  });
});
