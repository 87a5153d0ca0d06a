// Validation of config.json (runtime-spec config.md) with the validator precompiled by
// scripts/build-validator.js, turning ajv's errors into one readable message.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { requireCached } from '../code-cache.js';
import { packageRoot } from '../core/package-root.js';
import type { ErrorObject } from 'ajv';
import type { Config, Process } from './types.js';

export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(
    /** The file the document came from, as given by the caller. */
    readonly file: string,
    /** JSON pointer into the document ('' = the document itself). */
    readonly path: string,
    /** The problem, without the file/path prefix. */
    readonly reason: string,
  ) {
    super(`${file}: ${path ? `${path}: ` : ''}${reason}`);
  }
}

interface CompiledValidator {
  (data: unknown): boolean;
  errors?: ErrorObject[] | null;
}

/** The generated validator (scripts/build-validator.js). */
export function validatorPath(): string {
  return path.join(packageRoot, 'dist', 'src', 'spec', 'config-validator.cjs');
}

let compiled: CompiledValidator | undefined;
function validator(): CompiledValidator {
  if (!compiled) {
    try {
      // By the package root, so the path also holds inside the bundle (dist/tsrun.cjs).
      compiled = requireCached(validatorPath()) as CompiledValidator;
    } catch (err) {
      throw new Error(`config validator not built (run "node scripts/build-validator.js" after tsc): ${(err as Error).message}`);
    }
  }
  return compiled;
}

/** Checks `doc` against the config schema only (no semantic checks). */
export function validateSchema(doc: unknown, file = 'config.json'): Config {
  checkDepth(doc, file);
  const validate = validator();
  if (validate(doc)) return doc as Config;
  throw toConfigError(validate.errors ?? [], file);
}

/**
 * Every schema problem of doc, one per config path (the most telling at
 * each), for `tsrun check`; none when it matches the schema.
 */
export function schemaProblems(doc: unknown, file = 'config.json'): ConfigError[] {
  try {
    checkDepth(doc, file);
  } catch (e) {
    return [e as ConfigError];
  }
  const validate = validator();
  if (validate(doc)) return [];
  const best = new Map<string, Problem>();
  for (const e of (validate.errors ?? []).filter((e) => e.keyword !== 'propertyNames' && !COMPOSITE.has(e.keyword))) {
    const p = toProblem(e);
    const had = best.get(p.path);
    if (!had || p.rank < had.rank) best.set(p.path, p);
  }
  if (!best.size) return [toConfigError(validate.errors ?? [], file)];
  return [...best.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)).map((p) => new ConfigError(file, p.path, p.reason));
}

/** Validates a parsed config.json: schema, then the ociVersion major version. */
export function validateConfig(doc: unknown, file = 'config.json'): Config {
  const config = validateSchema(doc, file);
  const major = /^(\d+)\./.exec(config.ociVersion)?.[1];
  // The schema guarantees SemVer; this runtime implements 1.x, and 1.x minors are backward compatible.
  if (major !== '1') {
    throw new ConfigError(file, '/ociVersion',
      `unsupported version ${JSON.stringify(config.ociVersion)} (this runtime supports runtime-spec 1.x)`);
  }
  return config;
}

/** Reads, parses and validates a config.json file. */
export function readConfigFile(path: string): Config {
  return validateConfig(readJsonFile(path), path);
}

/**
 * Validates a runtime-spec process object on its own (`exec --process`): the
 * config schema's "process", with paths reported relative to the document.
 */
export function validateProcess(doc: unknown, file: string): Process {
  try {
    // Any 1.x version will do: it only gets past the schema's required ociVersion.
    return validateSchema({ ociVersion: '1.0.0', process: doc }, file).process!;
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    throw new ConfigError(file, e.path.replace(/^\/process/, ''), e.reason);
  }
}

/** Reads, parses and validates a process.json file (`exec --process`). */
export function readProcessFile(path: string): Process {
  return validateProcess(readJsonFile(path), path);
}

function readJsonFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file'
      : code === 'EACCES' ? 'permission denied'
      : code === 'EISDIR' ? 'is a directory, not a file'
      : `cannot read: ${(err as Error).message}`;
    throw new ConfigError(path, '', why);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw jsonSyntaxError(path, text, err as Error);
  }
}

// --- nesting depth ------------------------------------------------------------------

/**
 * How deeply arrays and objects may nest in a config. A runtime-spec config
 * needs fewer than 10 levels; only unknown properties (which the spec says to
 * ignore) can go deeper. JSON.parse copes with any depth, but node's own
 * recursive functions (JSON.stringify of the saved state, structuredClone)
 * overflow the stack at about 3,500 levels. runc's Go decoder stops at 10,000.
 */
export const MAX_JSON_DEPTH = 1000;

/** Refuses documents nested deeper than MAX_JSON_DEPTH, walking them without recursion. */
function checkDepth(doc: unknown, file: string): void {
  // [value, its depth, the top-level member it is under (for the message)]
  const stack: [unknown, number, string][] = [[doc, 0, '']];
  while (stack.length) {
    const [value, depth, top] = stack.pop()!;
    if (value === null || typeof value !== 'object') continue;
    if (depth >= MAX_JSON_DEPTH) {
      throw new ConfigError(file, top,
        `arrays and objects are nested more than ${MAX_JSON_DEPTH} levels deep; tsrun allows at most ${MAX_JSON_DEPTH} (a runtime-spec config needs fewer than 10)`);
    }
    for (const [k, v] of Object.entries(value)) stack.push([v, depth + 1, depth === 0 ? `/${escapePointer(k)}` : top]);
  }
}

// --- JSON syntax errors ------------------------------------------------------------

function jsonSyntaxError(file: string, text: string, err: Error): ConfigError {
  // V8 says "... in JSON at position N" for some errors only (and Node 22+ appends
  // "(line L column C)"); otherwise find the offset ourselves.
  const reason = err.message
    .replace(/\s*\(line \d+ column \d+\)$/, '')
    .replace(/\s*(?:in JSON )?at position \d+$/, '')
    .replace(/, ".*" is not valid JSON$/s, '') || 'syntax error';
  const pos = /at position (\d+)/.exec(err.message);
  const offset = pos ? Number(pos[1]) : jsonErrorOffset(text);
  const before = text.slice(0, offset).split('\n');
  const column = before[before.length - 1]!.length + 1;
  return new ConfigError(file, '', `invalid JSON at line ${before.length}, column ${column}: ${reason}`);
}

/** Offset of the first JSON syntax error in `s` (s.length if it only ends early). */
function jsonErrorOffset(s: string): number {
  let i = 0;
  const fail = (): never => {
    throw i;
  };
  const ws = () => {
    while (i < s.length && ' \t\n\r'.includes(s[i]!)) i++;
  };
  const token = (re: RegExp) => {
    re.lastIndex = i;
    if (!re.test(s)) fail();
    i = re.lastIndex;
  };
  const str = () => {
    i++;
    for (;;) {
      const c = s[i];
      if (c === undefined || c < ' ') fail();
      if (c === '"') return void i++;
      if (c === '\\') token(/\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4})/y);
      else i++;
    }
  };
  const list = (close: string, item: () => void) => {
    i++;
    ws();
    if (s[i] === close) return void i++;
    for (;;) {
      item();
      ws();
      if (s[i] === close) return void i++;
      if (s[i] !== ',') fail();
      i++;
    }
  };
  const value = (): void => {
    ws();
    const c = s[i];
    if (c === '{') {
      list('}', () => {
        ws();
        if (s[i] !== '"') fail();
        str();
        ws();
        if (s[i] !== ':') fail();
        i++;
        value();
      });
    } else if (c === '[') list(']', value);
    else if (c === '"') str();
    else if (c === 't' || c === 'f' || c === 'n') {
      for (const k of c === 't' ? 'true' : c === 'f' ? 'false' : 'null') {
        if (s[i] !== k) fail();
        i++;
      }
    } else token(/-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y);
  };
  try {
    value();
    ws();
    if (i < s.length) fail();
  } catch (e) {
    if (typeof e === 'number') return e;
    // e.g. stack overflow on absurd nesting: fall through
  }
  return s.length;
}

// --- schema errors ------------------------------------------------------------------

interface Problem {
  path: string;
  rank: number; // lower is more useful among problems at the same depth
  reason: string;
}

const COMPOSITE = new Set(['anyOf', 'oneOf', 'allOf', 'not', 'if', 'then', 'else']);
const RANK: Record<string, number> = {
  enum: 0, const: 0, required: 1, pattern: 2, minimum: 2, maximum: 2, minItems: 2, minLength: 2, type: 3,
};

function toConfigError(all: ErrorObject[], file: string): ConfigError {
  // propertyNames only sums up the error its pattern gave for the key.
  const errors = all.filter((e) => e.keyword !== 'propertyNames');
  const specific = errors.filter((e) => !COMPOSITE.has(e.keyword));
  // The schema has no anyOf/oneOf today; if one appears, its summary error only wins
  // when no branch got further into the value than the composite itself.
  const candidates = specific.map(toProblem);
  for (const e of errors) {
    if (!COMPOSITE.has(e.keyword)) continue;
    const deeper = specific.some((s) => s.instancePath.startsWith(`${e.instancePath}/`) || (s.keyword === 'required' && s.instancePath === e.instancePath));
    if (!deeper) candidates.push({ ...toProblem(e), rank: -1 });
  }
  const depth = (p: Problem) => (p.path ? p.path.split('/').length : 0);
  candidates.sort((a, b) => depth(b) - depth(a) || a.rank - b.rank);
  const best = candidates[0];
  if (!best) return new ConfigError(file, '', 'does not match the config schema');
  const others = new Set(specific.map((e) => toProblem(e).path));
  others.delete(best.path);
  const more = others.size ? ` (and ${others.size} more problem${others.size > 1 ? 's' : ''})` : '';
  return new ConfigError(file, best.path, best.reason + more);
}

function toProblem(e: ErrorObject): Problem {
  const rank = RANK[e.keyword] ?? 4;
  const p = e.params as Record<string, unknown>;
  const parent = (e.parentSchema ?? {}) as { description?: string };
  const found = describe(e.data);
  // A key that failed propertyNames: named in the reason, as a pointer to it would hold the NUL.
  if (e.propertyName !== undefined) {
    const key = e.propertyName;
    return { path: e.instancePath, rank, reason: key.includes('\0') ? `the key ${nulReason(key)}` : `the key ${describe(key)} is not allowed` };
  }
  if (e.keyword === 'pattern' && typeof e.data === 'string' && e.data.includes('\0')) {
    return { path: e.instancePath, rank, reason: nulReason(e.data) };
  }
  switch (e.keyword) {
    case 'required':
      return { path: `${e.instancePath}/${escapePointer(String(p.missingProperty))}`, rank, reason: 'required property is missing' };
    case 'type':
      return { path: e.instancePath, rank, reason: `must be ${typeName(String(p.type))} (found ${found})` };
    case 'enum':
      return { path: e.instancePath, rank, reason: `${found} is not one of ${(p.allowedValues as unknown[]).map(String).join(', ')}` };
    case 'const':
      return { path: e.instancePath, rank, reason: `must be ${JSON.stringify(p.allowedValue)} (found ${found})` };
    case 'minItems':
      return {
        path: e.instancePath, rank,
        reason: p.limit === 1 ? 'must be a non-empty array' : `must have at least ${String(p.limit)} items (found ${(e.data as unknown[]).length})`,
      };
    case 'minLength':
      return { path: e.instancePath, rank, reason: p.limit === 1 ? 'must not be empty' : `must have at least ${String(p.limit)} characters (found ${found})` };
    case 'pattern':
      return {
        path: e.instancePath, rank,
        reason: `must be ${parent.description ?? `a string matching /${String(p.pattern)}/`} (found ${found})`,
      };
    case 'minimum':
    case 'maximum':
      return {
        path: e.instancePath, rank,
        reason: `must be ${parent.description ?? `${String(p.comparison)} ${String(p.limit)}`} (found ${String(e.data)})`,
      };
    case 'additionalProperties':
      return { path: `${e.instancePath}/${escapePointer(String(p.additionalProperty))}`, rank, reason: 'property is not allowed' };
    case 'anyOf':
    case 'oneOf':
      return { path: e.instancePath, rank, reason: `does not match any of the allowed forms (found ${found})` };
    default:
      return { path: e.instancePath, rank, reason: `${e.message ?? 'is invalid'} (found ${found})` };
  }
}

/**
 * A NUL byte ends a string wherever the kernel or C reads it, so the rest
 * would be silently cut: say where it is and what would be left.
 */
function nulReason(s: string): string {
  const at = s.indexOf('\0');
  return `${describe(s)} holds a NUL byte (\\u0000) at offset ${at}: the kernel would read only ${describe(s.slice(0, at))}; remove it`;
}

function typeName(type: string): string {
  return type.split(',').map((t) => (t === 'null' ? 'null' : /^[aeiou]/.test(t) ? `an ${t}` : `a ${t}`)).join(' or ');
}

/** A short description of a JSON value for "found ..." (strings quoted, containers summarized). */
function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return v.length ? `an array of ${v.length} item${v.length > 1 ? 's' : ''}` : 'an empty array';
  switch (typeof v) {
    case 'string': return JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}...` : v);
    case 'number': return `number ${v}`;
    case 'boolean': return `boolean ${v}`;
    case 'object': return 'an object';
    default: return typeof v;
  }
}

function escapePointer(s: string): string {
  return s.replace(/~/g, '~0').replace(/\//g, '~1');
}
