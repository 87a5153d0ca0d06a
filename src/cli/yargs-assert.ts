// The two assertions yargs' ESM platform shim imports from node's `assert`.
// The bundle maps `assert` here (scripts/bundle.js): loading node's assert
// also builds process.stderr and its colour support, ~6 ms of every tsrun
// start, for checks yargs only makes on its own arguments.
export function strictEqual(actual: unknown, expected: unknown, message?: string): void {
  if (actual !== expected) throw new Error(message ?? `expected ${String(expected)}, got ${String(actual)}`);
}

export function notStrictEqual(actual: unknown, expected: unknown, message?: string): void {
  if (actual === expected) throw new Error(message ?? `expected a value other than ${String(expected)}`);
}
