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

/** The user asked for something tsrun does not implement (yet): say so, never ignore it. */
export class UnsupportedError extends TsrunError {}

/** tsrun-init failed a step: which, on which config path, with which errno. */
export class InitError extends TsrunError {
  constructor(
    readonly step: string,
    readonly errno: number,
    readonly configPath: string,
    message: string,
  ) {
    super(configPath ? `config.json: ${configPath}: ${message}` : message);
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
export class PlanError extends TsrunError {
  constructor(
    readonly configPath: string,
    readonly reason: string,
  ) {
    super(`config.json: ${configPath}: ${reason}`);
  }
}
