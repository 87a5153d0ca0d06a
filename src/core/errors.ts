// The error base every module shares (a leaf: it imports nothing of tsrun).
// Errors the runtime raises on purpose. The CLI prints their message and exits
// with exitCode; anything else is a bug and is printed with its stack under --debug.

export class TsrunError extends Error {
  exitCode = 1;
}

/** The container id names no container. */
export class ContainerNotFoundError extends TsrunError {
  constructor(readonly id: string) {
    super(`container does not exist`);
  }
}

/** A command that the container's current status does not allow. */
export class StatusError extends TsrunError {}

/**
 * Where a config path is read from: the bundle's config.json; for exec, the
 * container's saved config.json, a --process file (whose paths are those
 * below /process) or a command-line flag that set the field ('' for the
 * command's own arguments, which speak for themselves); for update, the
 * linux.resources it was given: a --resources file (whose paths are those
 * below /linux/resources), or flags or a program's object (no file).
 */
export type ConfigSource =
  | { kind: 'config' }
  | { kind: 'saved-config' }
  | { kind: 'process-file'; file: string }
  | { kind: 'flag'; flag: string }
  | { kind: 'update'; file?: string };

const CONFIG_JSON: ConfigSource = { kind: 'config' };

/** The fields of a problem at a config path, as ConfigPathError carries them. */
export interface ConfigProblem {
  source: ConfigSource;
  /** A JSON pointer into the config ("/mounts/3/options/1"); '' when the problem has no place in it. */
  path: string;
  /** What is wrong. */
  reason: string;
  /** What would be right, when that is not already part of reason. */
  hint?: string;
}

/**
 * The one wording of a config problem, for CLI text, log lines and library
 * errors alike: "config.json: /process/cwd: must be absolute".
 */
export function describeConfigProblem(p: ConfigProblem): string {
  const text = p.hint ? `${p.reason}; ${p.hint}` : p.reason;
  if (!p.path) return text;
  switch (p.source.kind) {
    case 'config':
      return `config.json: ${p.path}: ${text}`;
    case 'saved-config':
      return `the container's saved config.json: ${p.path}: ${text}`;
    case 'process-file': {
      const inFile = p.path.startsWith('/process') ? p.path.slice('/process'.length) : p.path;
      return `${p.source.file}: ${inFile ? `${inFile}: ` : ''}${text}`;
    }
    case 'flag':
      return p.source.flag ? `${p.source.flag}: ${text}` : text;
    case 'update': {
      const inResources = p.path.startsWith('/linux/resources') ? p.path.slice('/linux/resources'.length) : p.path;
      return p.source.file ? `${p.source.file}: ${inResources || '/'}: ${text}` : `update: linux.resources${inResources}: ${text}`;
    }
  }
}

/** A warning about a config path, worded as describeConfigProblem words errors. */
export function configWarning(path: string, reason: string): string {
  return describeConfigProblem({ source: CONFIG_JSON, path, reason });
}

/** Is path the field at `field` or below it? */
export function isUnder(path: string, field: string): boolean {
  return path === field || path.startsWith(`${field}/`);
}

/**
 * A problem at a config path: the path, what is wrong and what would be
 * right, as data. message is rendered from them (describeConfigProblem), and
 * again when the source changes (exec tells a --process file or a flag).
 */
export class ConfigPathError extends TsrunError implements ConfigProblem {
  source: ConfigSource = CONFIG_JSON;

  constructor(
    readonly path: string,
    readonly reason: string,
    readonly hint?: string,
  ) {
    super();
    this.message = describeConfigProblem(this);
  }

  /** The same problem, read from another source: renders the message again. */
  from(source: ConfigSource): this {
    this.source = source;
    this.message = describeConfigProblem(this);
    return this;
  }
}

/** The user asked for something tsrun does not implement (yet): say so, never ignore it. A config field names its path. */
export class UnsupportedError extends ConfigPathError {
  constructor(reason: string, configPath = '') {
    super(configPath, reason);
  }
}

/** tsrun-init failed a step: which, on which config path, with which errno. */
export class InitError extends ConfigPathError {
  constructor(
    readonly step: string,
    readonly errno: number,
    readonly configPath: string,
    reason: string,
  ) {
    super(configPath, reason);
  }
}

/**
 * A container's state file exists but cannot be used (truncated, not JSON,
 * the wrong shape). Only `delete -f` can act on such a container: it finds
 * the init and the cgroup through the recovery records instead.
 */
export class DamagedStateError extends TsrunError {
  constructor(
    readonly id: string,
    readonly file: string,
    readonly reason: string,
  ) {
    super(`container ${id}: its state file ${file} is damaged (${reason}); \`tsrun delete -f ${id}\` kills what is left of it and removes it`);
  }
}

/** What an errno error says, without node's "ECODE: " prefix and ", syscall 'path'" suffix. */
export function errnoText(e: NodeJS.ErrnoException): string {
  return e.message.replace(/^E[A-Z0-9]+: /, '').replace(/, [a-z_0-9]+(?: '.*')?$/, '');
}

/** A config that is valid JSON Schema-wise but that a Linux runtime must refuse. */
export class PlanError extends ConfigPathError {
  get configPath(): string {
    return this.path;
  }
}
