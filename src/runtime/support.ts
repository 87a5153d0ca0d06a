// What tsrun does not implement yet. A config that uses one of these fails
// create with a message naming the field: a container must never run with a
// setting silently dropped. `features` will read the same list.
import type { Config } from '../spec/types.js';
import { UnsupportedError } from '../core/errors.js';
import { intelRdtRefusal, readRdtFacts, type RdtFacts } from './intel-rdt.js';

interface Gap {
  path: string;
  present(c: Config): boolean;
  /** Why this host cannot have it, where that is more than tsrun's own gap. */
  why?(host: UnsupportedHost): string;
}

/** What the refusals read from the host, only when a config asks for the field (tests pass their own). */
export interface UnsupportedHost {
  rdt(): RdtFacts;
}

const realHost: UnsupportedHost = { rdt: readRdtFacts };

const has = (v: unknown) =>
  v !== undefined && v !== null && !(Array.isArray(v) && v.length === 0) &&
  !(typeof v === 'object' && !Array.isArray(v) && Object.keys(v as object).length === 0);

const GAPS: Gap[] = [
  { path: '/linux/mountLabel', present: (c) => has(c.linux?.mountLabel) },
  { path: '/linux/intelRdt', present: (c) => has(c.linux?.intelRdt), why: (h) => intelRdtRefusal(h.rdt()) },
  { path: '/windows', present: (c) => c.windows !== undefined },
  { path: '/solaris', present: (c) => c.solaris !== undefined },
  { path: '/vm', present: (c) => c.vm !== undefined },
  { path: '/zos', present: (c) => c.zos !== undefined },
  { path: '/freebsd', present: (c) => c.freebsd !== undefined },
];

/** The config paths refused below, for `features`. */
export const REFUSED_FIELDS: readonly string[] = GAPS.map((g) => g.path);

/** Throws UnsupportedError for the first field of config that tsrun cannot honour yet. */
export function refuseUnsupported(config: Config, host: UnsupportedHost = realHost): void {
  for (const gap of GAPS) {
    if (gap.present(config)) {
      const why = gap.why ? `${gap.why(host)}; ` : 'tsrun does not support this field yet; ';
      throw new UnsupportedError(`${why}remove it to run this container`, gap.path);
    }
  }
}
