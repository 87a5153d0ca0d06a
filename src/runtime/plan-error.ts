import { ConfigPathError } from './errors.js';

/** A config that is valid JSON Schema-wise but that a Linux runtime must refuse. */
export class PlanError extends ConfigPathError {}
