// runtime-spec features.md "Features Document" (and features-linux.md): the
// JSON `tsrun features` prints validates against the official schema
// (schema/features-schema.json, draft-04) and keeps to the spec's rules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { officialValidator as officialValidatorFor, skipUnlessOfficialSchema } from './official-schema.js';
import { tsrunBin } from '../test/integration/harness.js';
import { idmappedMountsWork } from '../src/runtime/host.js';


const skip = skipUnlessOfficialSchema('features-schema.json');
const officialValidator = () => officialValidatorFor('features-schema.json', /^features-linux\.json$/);

function runFeatures(): { text: string; doc: Record<string, any> } {
  const r = spawnSync(tsrunBin, ['features'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, '');
  return { text: r.stdout, doc: JSON.parse(r.stdout) };
}

test('features.md: `tsrun features` prints a features document the official schema accepts', { skip }, () => {
  const { doc } = runFeatures();
  const validate = officialValidator();
  assert.ok(validate(doc), JSON.stringify(validate.errors, null, 2));
  // The schema's own check, made to fail: it is really checking.
  assert.equal(validate({ ...doc, linux: { ...doc.linux, namespaces: ['nonesuch'] } }), false);
  assert.equal(validate({ ociVersionMax: doc.ociVersionMax }), false);
});

test('features.md: required versions, min not above max; JSON indented as runc prints it', () => {
  const { text, doc } = runFeatures();
  assert.equal(doc.ociVersionMin, '1.0.0');
  assert.match(doc.ociVersionMax, /^1\.\d+\.\d+/);
  const v = (s: string) => s.split(/[.-]/).slice(0, 3).map(Number);
  const [min, max] = [v(doc.ociVersionMin), v(doc.ociVersionMax)];
  assert.ok(min[0] < max[0] || (min[0] === max[0] && (min[1] < max[1] || (min[1] === max[1] && min[2] <= max[2]))));
  assert.equal(text, `${JSON.stringify(doc, null, 4)}\n`);
});

test('features.md: hooks and mount options the runtime recognises; no refused or filesystem-data options', () => {
  const { doc } = runFeatures();
  assert.deepEqual(doc.hooks, ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop']);
  for (const o of ['tmpcopyup', 'mode=755', 'size=65536k']) assert.ok(!doc.mountOptions.includes(o), o);
  for (const o of ['bind', 'rbind', 'ro', 'rro', 'rprivate', 'nosuid', 'idmap', 'ridmap']) assert.ok(doc.mountOptions.includes(o), o);
});

test('features-linux.md: what tsrun does not implement is not reported as supported', () => {
  const { doc } = runFeatures();
  const l = doc.linux;
  assert.deepEqual([l.cgroup.systemd, l.cgroup.systemdUser], [false, false]);
  assert.notEqual(l.intelRdt?.enabled, true);
  assert.equal(l.netDevices?.enabled, true);
  // Idmapped bind mounts work on this kernel (spec-tests/idmapped-mounts.test.ts shows it): reported so.
  assert.equal(l.mountExtensions?.idmap?.enabled, idmappedMountsWork());
  assert.equal(l.seccomp.enabled, true);
  for (const f of l.seccomp.supportedFlags) assert.ok(l.seccomp.knownFlags.includes(f), f);
  assert.ok(l.capabilities.includes('CAP_CHECKPOINT_RESTORE'));
  assert.match(doc.annotations['io.github.seccomp.libseccomp.version'], /^\d+\.\d+\.\d+$/);
});
