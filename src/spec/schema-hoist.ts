// Build time only (scripts/build-validator.js). TypeBox writes every use of a
// type out in full (the hooks' Hook six times, the id mappings four times,
// the throttle devices, every ranged integer), and ajv writes code for each
// copy: the validator was ~490 kB, several ms of each create to read and load
// on the test VM. Each sub-schema written out more than once is hoisted into
// `definitions` and referred to, so ajv writes one function for it. What
// validate.ts reads of ajv's errors does not change: instancePath, keyword,
// params, data and the parent schema's description do not depend on where a
// schema is written (test/unit/spec/schema-hoist.test.ts).

type Json = Record<string, unknown>;

/** schema (as JSON: TypeBox's symbol keys dropped) with each repeated object sub-schema of at least minLength characters in `definitions`. */
export function hoistRepeated(root: object, minLength = 50): Json {
  const schema = JSON.parse(JSON.stringify(root)) as Json;
  const definitions: Record<string, Json> = {};
  for (let n = 0; ; n++) {
    // Each object sub-schema, as JSON, and how often it occurs (the root and the definitions' own tops not counted).
    const counts = new Map<string, number>();
    const count = (node: unknown, top: boolean): void => {
      if (!node || typeof node !== 'object') return;
      if (!top && !Array.isArray(node)) {
        const key = JSON.stringify(node);
        if (key.length >= minLength) counts.set(key, (counts.get(key) ?? 0) + 1);
      }
      for (const v of Object.values(node)) count(v, false);
    };
    count(schema, true);
    for (const d of Object.values(definitions)) count(d, true);
    // The one whose copies weigh most goes first; its own repeated parts follow in later turns.
    let best: string | undefined;
    let bestWeight = 0;
    for (const [key, times] of counts) {
      if (times > 1 && key.length * (times - 1) > bestWeight) [best, bestWeight] = [key, key.length * (times - 1)];
    }
    if (best === undefined) return { ...schema, definitions };
    const name = `repeated${n}`;
    const replace = (node: Json | unknown[]): void => {
      for (const [k, v] of Object.entries(node)) {
        if (!v || typeof v !== 'object') continue;
        if (!Array.isArray(v) && JSON.stringify(v) === best) (node as Json)[k] = { $ref: `#/definitions/${name}` };
        else replace(v as Json);
      }
    };
    replace(schema);
    for (const d of Object.values(definitions)) replace(d);
    definitions[name] = JSON.parse(best) as Json;
  }
}
