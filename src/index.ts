// tsrun as a Node library: `import { Runtime } from 'tsrun'`. The CLI is a
// thin layer over the same Runtime (src/cli), so both take one code path.
// docs/library.md shows it in use; its examples are run by the tests.
export { Runtime } from './runtime/runtime.js';
export type {
  ContainerSource,
  CreateContainerOptions,
  ExecProcessOptions,
  RunContainerOptions,
  RuntimeLog,
  RuntimeOptions,
} from './runtime/runtime.js';
export type { OciState, Status } from './runtime/status.js';
export type { ContainerProcess, PipedContainerProcess, ProcessExit, StdioOption, StdioOptions } from './runtime/stdio.js';
export type { ContainerEvent, EventsOptions } from './runtime/events.js';
export type { CheckProblem, CheckReport } from './runtime/check.js';
export type { ExecFlags } from './runtime/exec-plan.js';
export type { Stats } from './cgroups/index.js';

// A config built in code, with the schema's types, checked as config.json is.
export { ConfigError, validateConfig } from './spec/validate.js';
export type * from './spec/types.js';

// What the runtime throws on purpose; anything else is a bug.
export {
  ConfigPathError, ContainerNotFoundError, DamagedStateError, describeConfigProblem, InitError, PlanError, StatusError, TsrunError, UnsupportedError,
} from './core/errors.js';
export type { ConfigProblem, ConfigSource } from './core/errors.js';
export { HookError } from './runtime/hooks.js';
export { InvalidIdError } from './runtime/state.js';
export { CgroupError, CgroupOpError } from './cgroups/errors.js';
