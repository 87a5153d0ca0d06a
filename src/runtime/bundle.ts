// A bundle as create and restore take it: its directory, config.json read
// and validated, and the rootfs the config names, each checked to exist.
import fs from 'node:fs';
import path from 'node:path';
import { readConfigFile, validateConfig } from '../spec/validate.js';
import type { Config } from '../spec/types.js';
import { ConfigPathError, TsrunError } from '../core/errors.js';
import { rootfsPath } from './plan.js';

export interface Bundle {
  /** The bundle directory, absolute. */
  bundle: string;
  config: Config;
  /** The rootfs directory, absolute. */
  rootfs: string;
}

export function readBundle(bundleArg: string): Bundle {
  const bundle = path.resolve(bundleArg);
  if (!fs.existsSync(bundle) || !fs.statSync(bundle).isDirectory()) {
    throw new TsrunError(`bundle ${bundle} does not exist or is not a directory`);
  }
  const config = readConfigFile(path.join(bundle, 'config.json'));
  const rootfs = rootfsPath(config, bundle);
  if (!fs.existsSync(rootfs) || !fs.statSync(rootfs).isDirectory()) {
    throw new ConfigPathError('/root/path', `rootfs ${rootfs} does not exist or is not a directory`);
  }
  return { bundle, config, rootfs };
}

/**
 * A bundle given in code (the library's create(id, { config, rootfs })):
 * the config validated as a config.json would be, its root.path set to
 * rootfs; the bundle directory is rootfs's parent, as in a bundle on disk.
 */
export function bundleFromConfig(doc: Config, rootfsArg: string): Bundle {
  const rootfs = path.resolve(rootfsArg);
  const config = validateConfig({ ...doc, root: { ...(doc.root ?? {}), path: rootfs } });
  if (!fs.existsSync(rootfs) || !fs.statSync(rootfs).isDirectory()) {
    throw new ConfigPathError('/root/path', `rootfs ${rootfs} does not exist or is not a directory`);
  }
  return { bundle: path.dirname(rootfs), config, rootfs };
}
