// Shared by the cgroup spec tests (v1 and v2): knowing when `tsrun events`
// is ready to see an OOM, so a test can trigger one only then. Its OOM watch
// is set up before its first stats event, so that first line is the signal.
import type { ChildProcess } from 'node:child_process';

export function firstLine(child: ChildProcess, timeoutMs = 120_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('`events` printed nothing')), timeoutMs);
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    child.stdout!.once('data', done);
    child.once('exit', done);
  });
}
