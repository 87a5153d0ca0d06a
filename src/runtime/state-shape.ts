// The shape of what the state store reads back: state.json, the init record
// and the cgroup record. A file that parses but lacks a field (`{}`, a
// hand edit, a newer or older tsrun) is reported as damaged here, by field,
// instead of failing later where the field is used.
/** The init as create saw it: enough for `delete -f` to find it when state.json is damaged. */
export interface InitRecord {
  pid: number;
  /** /proc/<pid>/stat start time: a reused pid is never taken for the init. */
  initStartTime: number;
}

/**
 * The shape of state.json this tsrun writes. 1: before the field existed
 * (issue 15), read as it is; 2: the same fields, and `version`. A tsrun
 * upgraded while containers run goes on with the ones the previous one made;
 * a file from a newer tsrun is refused by name, never misread.
 */
export const STATE_VERSION = 2;

type Obj = Record<string, unknown>;
const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The first problem found ("/pid is missing", "/pid must be a positive integer"), or undefined if the shape is right. */
type Check = (v: unknown) => string | undefined;

// What a field's value must be. Kinds are data, checked by one function
// (isKind), not a closure each: every command reads state.json once, and
// V8 compiles each function at its first call, about 30 us apiece here.
type Kind = 'string' | 'count0' | 'count1' | 'boolean' | 'config' | 'stringMap' | 'strings' | 'cgroupMode' | 'v1' | 'unified' | 'systemd';

const WANT: Record<Kind, string> = {
  string: 'a string',
  count0: 'a non-negative integer',
  count1: 'a positive integer',
  boolean: 'true or false',
  config: 'an object (the validated config.json)',
  stringMap: 'an object of strings',
  strings: 'a list of strings',
  cgroupMode: '"v1", "hybrid" or "v2"',
  v1: 'a list of {mount, controllers, dir}',
  unified: 'an object {mount, dir}',
  // The systemd driver's scope: without it, a delete would take the scope's cgroup for a cgroupfs one.
  systemd: 'an object {unit, slice, id}',
};

function isStrings(v: unknown): boolean {
  if (!Array.isArray(v)) return false;
  for (const s of v) if (typeof s !== 'string') return false;
  return true;
}

function isKind(kind: Kind, v: unknown): boolean {
  switch (kind) {
    case 'string':
      return typeof v === 'string';
    case 'count0':
    case 'count1':
      return typeof v === 'number' && Number.isInteger(v) && v >= (kind === 'count1' ? 1 : 0);
    case 'boolean':
      return typeof v === 'boolean';
    case 'config':
      return isObject(v);
    case 'stringMap':
      if (!isObject(v)) return false;
      for (const k in v) if (typeof v[k] !== 'string') return false;
      return true;
    case 'strings':
      return isStrings(v);
    case 'cgroupMode':
      return v === 'v1' || v === 'hybrid' || v === 'v2';
    case 'v1':
      if (!Array.isArray(v)) return false;
      for (const h of v) if (!isObject(h) || typeof h.mount !== 'string' || typeof h.dir !== 'string' || !isStrings(h.controllers)) return false;
      return true;
    case 'unified':
      return isObject(v) && typeof v.mount === 'string' && typeof v.dir === 'string';
    case 'systemd':
      return isObject(v) && typeof v.unit === 'string' && typeof v.slice === 'string' && typeof v.id === 'string';
  }
}

/** A record's fields, in the order they are checked: [name, required, kind]. */
type Fields = readonly (readonly [name: string, required: boolean, kind: Kind])[];

function fieldsProblem(fields: Fields, v: unknown): string | undefined {
  if (!isObject(v)) return `must be a JSON object, not ${v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v}`;
  for (const [name, required, kind] of fields) {
    const value = v[name];
    if (value === undefined) {
      if (required) return `/${name} is missing`;
    } else if (!isKind(kind, value)) return `/${name} must be ${WANT[kind]}`;
  }
  return undefined;
}

const INIT_RECORD: Fields = [
  ['pid', true, 'count1'],
  ['initStartTime', true, 'count0'],
];

const CGROUP_RECORD: Fields = [
  ['mode', true, 'cgroupMode'],
  ['path', true, 'string'],
  ['ownedFrom', true, 'string'],
  ['v1', true, 'v1'],
  ['unified', false, 'unified'],
  ['created', true, 'strings'],
  ['systemd', false, 'systemd'],
];

const STATE: Fields = [
  ['version', false, 'count1'],
  ['ociVersion', true, 'string'],
  ['id', true, 'string'],
  ['pid', true, 'count1'],
  ['bundle', true, 'string'],
  ['rootfs', true, 'string'],
  ['created', true, 'string'],
  ['owner', true, 'string'],
  ['initStartTime', true, 'count0'],
  ['config', true, 'config'],
  ['annotations', false, 'stringMap'],
  ['noNewKeyring', false, 'boolean'],
];

export const initRecordProblem: Check = (v) => fieldsProblem(INIT_RECORD, v);

export const cgroupRecordProblem: Check = (v) => fieldsProblem(CGROUP_RECORD, v);

/** What is wrong with a parsed state.json of container id, if anything. */
export function stateProblem(v: unknown, id: string): string | undefined {
  const problem = fieldsProblem(STATE, v);
  if (problem) return problem;
  const s = v as Obj;
  const version = (s.version as number | undefined) ?? 1;
  if (version > STATE_VERSION) return `/version is ${version}: a newer tsrun wrote it (this one reads versions 1 to ${STATE_VERSION}); use that tsrun for this container`;
  if (s.id !== id) return `/id is ${JSON.stringify(s.id)}, but the file is container ${id}'s`;
  const cg = s.cgroup === undefined ? undefined : cgroupRecordProblem(s.cgroup);
  return cg && (cg.startsWith('/') ? `/cgroup${cg}` : `/cgroup ${cg}`);
}
