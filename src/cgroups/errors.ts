// Errors about linux.resources: each names the field, the controller and what
// would be right. The prefix says where the field came from: config.json for
// create, the --resources file or a flag for update.
import { TsrunError } from '../core/errors.js';

export class CgroupError extends TsrunError {
  constructor(
    /** The field under linux.resources, e.g. '/memory/kernel'; '' for the cgroup as a whole. */
    readonly field: string,
    readonly controller: string,
    readonly reason: string,
    source = 'config.json: /linux/resources',
  ) {
    super('');
    this.relabel(source);
  }

  /** Rewrites the message for another source: `update`'s file (the field follows it) or a flag (which names the field itself). */
  relabel(source: string, appendField = true): this {
    const where = appendField && this.field ? `${source}${this.field}` : source;
    this.message = `${where}: ${this.controller ? `the ${this.controller} controller: ` : ''}${this.reason}`;
    return this;
  }
}

/** A cgroup operation (not a field) failed: creating, joining, freezing, removing. */
export class CgroupOpError extends TsrunError {}
