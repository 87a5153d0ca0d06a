// The validator is compiled from the schema with its repeated parts hoisted
// into definitions (src/spec/schema-hoist.ts, scripts/build-validator.js):
// it must accept and reject exactly what the schema as written does, with
// the same errors, which validate.ts words for the user.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ErrorObject } from 'ajv';
import { ConfigSchema } from '../../../src/spec/schema.js';
import { defaultConfig } from '../../../src/spec/defaults.js';
import { hoistRepeated } from '../../../src/spec/schema-hoist.js';
import { makeCase, type Cfg, type FuzzContext } from '../../integration/config-mutations.js';

const options = { allErrors: true, verbose: true, strict: true, validateFormats: false };
const asWritten = new Ajv(options).compile(ConfigSchema);
const hoistedSchema = hoistRepeated(ConfigSchema);
const hoisted = new Ajv({ ...options, inlineRefs: false }).compile(hoistedSchema);

// What validate.ts reads of an error (of parentSchema, its description: the parent itself may now hold $refs).
const comparable = (errors: ErrorObject[] | null | undefined) =>
  (errors ?? []).map(({ instancePath, keyword, params, message, data, parentSchema }) => ({
    instancePath, keyword, params, message, data, description: (parentSchema as { description?: string } | undefined)?.description,
  }));

function agree(doc: unknown, name: string): boolean {
  const ok = asWritten(doc);
  assert.equal(hoisted(doc), ok, `${name}: valid as written ${ok}, hoisted not`);
  assert.deepEqual(comparable(hoisted.errors), comparable(asWritten.errors), name);
  return ok;
}

test('hoisting writes repeated parts once: definitions referred to, none left unused', () => {
  const defs = Object.keys(hoistedSchema.definitions as object);
  assert.ok(defs.length >= 5, `only ${defs.length} definitions`);
  const text = JSON.stringify(hoistedSchema);
  for (const d of defs) assert.ok(text.includes(`"#/definitions/${d}"`), `${d} is not referred to`);
  assert.ok(text.length < JSON.stringify(ConfigSchema).length);
});

test('the hoisted schema accepts and rejects what the schema as written does, with the same errors', () => {
  let valid = 0;
  let invalid = 0;
  const count = (ok: boolean) => (ok ? valid++ : invalid++);
  for (const rootless of [false, true]) count(agree(defaultConfig({ rootless }), `default config (rootless ${rootless})`));
  // The config fuzz's cases: its catalogue of mutations, each turned on in turn, over enriched configs.
  const ctx: FuzzContext = {
    token: 'hoist', caseDir: '/tmp/c', bundle: '/tmp/c/b', rootfs: '/tmp/c/r',
    scripts: { ok: '/s/ok', fail: '/s/fail', sleep: '/s/sleep', noisy: '/s/noisy', nulOutput: '/s/nul', notExecutable: '/s/nx' },
    leakedFd: 20, victimPid: 4242, hostIpForward: '1', hostHostname: 'host',
  };
  const base: Cfg = {
    ociVersion: '1.2.0',
    process: { terminal: false, user: { uid: 0, gid: 0 }, args: ['true'], env: ['PATH=/bin'], cwd: '/' },
    root: { path: '/r', readonly: true },
    mounts: [{ destination: '/proc', type: 'proc', source: 'proc' }],
    linux: { namespaces: [{ type: 'pid' }, { type: 'mount' }] },
  };
  for (let i = 0; i < 1500; i++) {
    let doc: unknown;
    try {
      doc = JSON.parse(makeCase(base, 7, i, ctx).text);
    } catch {
      continue; // a mutation of the JSON text itself
    }
    count(agree(doc, `fuzz case ${i}`));
  }
  // The runtime-spec's own good and bad configs, where the checkout has them.
  const fixtures = fileURLToPath(new URL('../../../../../shared/oci-runtime-spec/schema/test/config/', import.meta.url));
  if (existsSync(fixtures)) {
    for (const kind of ['good', 'bad']) {
      for (const f of readdirSync(join(fixtures, kind))) {
        let doc: unknown;
        try {
          doc = JSON.parse(readFileSync(join(fixtures, kind, f), 'utf8'));
        } catch {
          continue; // a bad fixture that is not JSON at all
        }
        count(agree(doc, `${kind}/${f}`));
      }
    }
  }
  assert.ok(valid > 50 && invalid > 300, `too few of each kind: ${valid} valid, ${invalid} invalid`);
});
