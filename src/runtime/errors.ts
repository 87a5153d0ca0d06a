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
