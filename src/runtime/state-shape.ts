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
const isCount = (v: unknown, min: number) => typeof v === 'number' && Number.isInteger(v) && v >= min;
const isStrings = (v: unknown) => Array.isArray(v) && v.every((s) => typeof s === 'string');

/** The first problem found ("/pid is missing", "/pid must be a positive integer"), or undefined if the shape is right. */
type Check = (v: unknown) => string | undefined;

function fields(spec: Record<string, [required: boolean, ok: (v: unknown) => boolean, want: string]>): Check {
  return (v) => {
    if (!isObject(v)) return `must be a JSON object, not ${v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v}`;
    for (const [name, [required, ok, want]] of Object.entries(spec)) {
      if (!(name in v) || v[name] === undefined) {
        if (required) return `/${name} is missing`;
        continue;
      }
      if (!ok(v[name])) return `/${name} must be ${want}`;
    }
    return undefined;
  };
}

const str: [boolean, (v: unknown) => boolean, string] = [true, (v) => typeof v === 'string', 'a string'];

export const initRecordProblem: Check = fields({
  pid: [true, (v) => isCount(v, 1), 'a positive integer'],
  initStartTime: [true, (v) => isCount(v, 0), 'a non-negative integer'],
});

export const cgroupRecordProblem: Check = fields({
  mode: [true, (m) => m === 'v1' || m === 'hybrid' || m === 'v2', '"v1", "hybrid" or "v2"'],
  path: str,
  ownedFrom: str,
  v1: [true, (a) => Array.isArray(a) && a.every((h) => isObject(h) && typeof h.mount === 'string' && typeof h.dir === 'string' && isStrings(h.controllers)), 'a list of {mount, controllers, dir}'],
  unified: [false, (u) => isObject(u) && typeof u.mount === 'string' && typeof u.dir === 'string', 'an object {mount, dir}'],
  created: [true, isStrings, 'a list of strings'],
  // The systemd driver's scope: without it, a delete would take the scope's cgroup for a cgroupfs one.
  systemd: [false, (u) => isObject(u) && typeof u.unit === 'string' && typeof u.slice === 'string' && typeof u.id === 'string', 'an object {unit, slice, id}'],
});

const stateFields = fields({
  version: [false, (v) => isCount(v, 1), 'a positive integer'],
  ociVersion: str,
  id: str,
  pid: [true, (v) => isCount(v, 1), 'a positive integer'],
  bundle: str,
  rootfs: str,
  created: str,
  owner: str,
  initStartTime: [true, (v) => isCount(v, 0), 'a non-negative integer'],
  config: [true, isObject, 'an object (the validated config.json)'],
  annotations: [false, (a) => isObject(a) && Object.values(a).every((s) => typeof s === 'string'), 'an object of strings'],
  noNewKeyring: [false, (b) => typeof b === 'boolean', 'true or false'],
});

/** What is wrong with a parsed state.json of container id, if anything. */
export function stateProblem(v: unknown, id: string): string | undefined {
  const problem = stateFields(v);
  if (problem) return problem;
  const s = v as Obj;
  const version = (s.version as number | undefined) ?? 1;
  if (version > STATE_VERSION) return `/version is ${version}: a newer tsrun wrote it (this one reads versions 1 to ${STATE_VERSION}); use that tsrun for this container`;
  if (s.id !== id) return `/id is ${JSON.stringify(s.id)}, but the file is container ${id}'s`;
  const cg = s.cgroup === undefined ? undefined : cgroupRecordProblem(s.cgroup);
  return cg && (cg.startsWith('/') ? `/cgroup${cg}` : `/cgroup ${cg}`);
}
