// The order tsrun-init enters a container's namespaces in, decided here for
// create and exec alike: init follows the plan's list as it is.
import type { NamespacePlan } from './plan-schema.js';

/** The user namespace first (joined, or made by unshare), so that it owns every other one; the rest as the config lists them. */
export function joinOrder(namespaces: NamespacePlan[]): NamespacePlan[] {
  return [...namespaces.filter((n) => n.type === 'user'), ...namespaces.filter((n) => n.type !== 'user')];
}
