// The official runtime-spec JSON Schemas (draft-04) in ../shared/oci-runtime-spec,
// compiled with ajv-draft-04: used by tests only, to check tsrun against them.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export type Validate = ((data: unknown) => boolean) & { errors?: unknown[] | null };

// Tests run from dist/spec-tests/; shared/ is a sibling of the repository.
const specDir = process.env.OCI_RUNTIME_SPEC_DIR ?? fileURLToPath(new URL('../../../shared/oci-runtime-spec/', import.meta.url));
export const officialSchemaDir = join(specDir, 'schema');

/** false when main (e.g. "config-schema.json") is there, else the reason to skip. */
export function skipUnlessOfficialSchema(main: string): string | false {
  return existsSync(join(officialSchemaDir, main)) ? false : `official schema not found in ${officialSchemaDir}`;
}

/** A validator for main, with every defs*.json and the given companion files (matched by name) loaded for its $refs. */
export function officialValidator(main: string, companions: RegExp): Validate {
  // ajv-draft-04 is CommonJS; require() gives the constructor without default-import interop issues.
  const Ajv04 = createRequire(import.meta.url)('ajv-draft-04') as new (opts: object) => {
    addSchema(schema: object, key: string): unknown;
    compile(schema: object): Validate;
  };
  const ajv = new Ajv04({ allErrors: true, strict: false });
  const load = (f: string) => JSON.parse(readFileSync(join(officialSchemaDir, f), 'utf8')) as Record<string, any>;
  for (const f of readdirSync(officialSchemaDir)) {
    if (f === main || !(/^defs.*\.json$/.test(f) || companions.test(f))) continue;
    const schema = load(f);
    // Upstream bug: "#definitions/uint32" (missing "/") is unresolvable and ajv refuses to compile.
    const items = schema.definitions?.ArrayOfUint32?.items;
    if (items?.$ref === '#definitions/uint32') items.$ref = '#/definitions/uint32';
    ajv.addSchema(schema, f);
  }
  return ajv.compile(load(main));
}
