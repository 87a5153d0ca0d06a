// Errors about linux.resources: each names the field, the controller and what
// would be right. They are ConfigPathErrors (path /linux/resources<field>),
// worded by describeConfigProblem alone: config.json for create; for update,
// the --resources file or a flag (ConfigError.from).
import { ConfigPathError, TsrunError } from '../core/errors.js';

/** Where linux.resources is in a config. */
export const RESOURCES_PATH = '/linux/resources';

export class CgroupError extends ConfigPathError {
  constructor(
    /** The field under linux.resources, e.g. '/memory/kernel'; '' for the resources as a whole. */
    readonly field: string,
    readonly controller: string,
    /** What is wrong, without the controller (reason has it in front). */
    readonly problem: string,
  ) {
    super(`${RESOURCES_PATH}${field}`, `${controller ? `the ${controller} controller: ` : ''}${problem}`);
  }
}

/** A cgroup operation (not a field) failed: creating, joining, freezing, removing. */
export class CgroupOpError extends TsrunError {}
