// podman as the podman tests run it: all its storage in one Workspace, runc
// and tsrun configured by name, the busybox image imported once.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import type { Result } from '../integration/harness.js';
import { Workspace, imageRootfs, rootfsTar, run, runtimes, which } from './engine-harness.js';

export class Podman {
  readonly ws: Workspace;
  /** ws named for engine; cgroupParent (podman's --cgroup-parent) is removed at cleanup. */
  constructor(engine: string, cgroupParent: string) {
    this.ws = new Workspace(engine);
    this.ws.cgroupParents.push(cgroupParent);
  }

  run(runtime: string, args: string[], env: NodeJS.ProcessEnv = process.env, timeout?: number): Result {
    const ws = this.ws;
    return run(
      which('podman')!,
      [
        '--root', ws.path('storage'),
        '--runroot', ws.path('runroot'),
        '--tmpdir', ws.path('libpod'),
        '--storage-driver', 'overlay',
        '--cgroup-manager', 'cgroupfs',
        '--events-backend', 'file',
        '--runtime', runtime,
        ...args,
      ],
      { env: { ...env, CONTAINERS_CONF: ws.path('containers.conf') }, ...(timeout ? { timeout } : {}) },
    );
  }

  /**
   * Runtimes by name, as a podman user configures them; runtime_supports_json
   * makes podman pass --log-format=json --log FILE and show that file's last
   * error, as it does for runc. Then image is imported from the busybox rootfs.
   */
  setUp(image: string): void {
    fs.writeFileSync(
      this.ws.path('containers.conf'),
      [
        '[engine]',
        'runtime_supports_json = ["runc", "tsrun"]',
        '[engine.runtimes]',
        ...runtimes().map((rt) => `${rt.name} = [${JSON.stringify(rt.bin)}]`),
        '',
      ].join('\n'),
    );
    const r = this.run('runc', ['import', rootfsTar(this.ws, imageRootfs(this.ws)), image]);
    assert.equal(r.code, 0, `podman import: ${r.stderr}`);
  }

  /** Removes every container and podman's storage, then the workspace; fails on anything left. */
  async cleanup(): Promise<void> {
    this.run('runc', ['rm', '--all', '--force', '--time', '0']);
    this.run('runc', ['system', 'reset', '--force']);
    const problems = await this.ws.cleanup();
    assert.deepEqual(problems, [], 'podman left things behind');
  }
}
