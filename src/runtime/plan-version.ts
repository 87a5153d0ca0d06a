// The plan's version, apart from plan-schema.ts so that the CLI can stamp it
// on a plan without loading the schema (TypeBox) at run time.

/** Bumped when the plan's shape changes: tsrun-init refuses a plan of another version. */
export const PLAN_VERSION = 1;
