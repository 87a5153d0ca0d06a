// systemd's D-Bus API, called synchronously: create, delete and update are
// synchronous steps, and D-Bus is a socket protocol. A worker thread
// (systemd-bus-worker.ts) holds the connection and does each call; this
// thread blocks on Atomics.wait until the answer is posted. The worker, and
// the D-Bus library it loads, start only when the systemd driver is used.
import path from 'node:path';
import type { MessagePort, Worker } from 'node:worker_threads';
import { packageRoot } from '../core/package-root.js';
import { CgroupOpError } from './errors.js';
import type { UnitProperty } from './systemd-unit.js';

export type BusRequest =
  | { op: 'start'; unit: string; properties: UnitProperty[] }
  | { op: 'set'; unit: string; properties: UnitProperty[] }
  | { op: 'stop'; unit: string }
  | { op: 'state'; unit: string };
export type BusResponse = { ok: true; result: string; via: string } | { ok: false; error: string; via: string };

/** The calls the driver makes; a unit test passes a recording fake. */
export interface SystemdBus {
  /** StartTransientUnit, then waits for its job; throws unless the job is done. */
  startUnit(unit: string, properties: UnitProperty[]): void;
  /** SetUnitProperties (runtime). */
  setProperties(unit: string, properties: UnitProperty[]): void;
  /** StopUnit, waits for its job, then ResetFailedUnit; a unit already gone is fine. */
  stopUnit(unit: string): void;
  /** ActiveState ("active", "failed", ...), or "none" when systemd has no such unit loaded. */
  unitState(unit: string): string;
}

/** The worker's request time limit: its own job wait (30 s) and a margin. */
const REQUEST_TIMEOUT_MS = 40_000;

class WorkerBus implements SystemdBus {
  private worker?: Worker;
  private port?: MessagePort;
  private readonly signal = new Int32Array(new SharedArrayBuffer(4));

  private request(req: BusRequest): string {
    // worker_threads at first use: only the systemd driver needs it.
    const { MessageChannel, Worker, receiveMessageOnPort } = process.getBuiltinModule('node:worker_threads');
    if (!this.worker) {
      const { port1, port2 } = new MessageChannel();
      this.port = port1;
      this.worker = new Worker(path.join(packageRoot, 'dist', 'systemd-bus-worker.cjs'), {
        workerData: { port: port2, signal: this.signal },
        transferList: [port2],
        // The worker must not keep a finished command alive.
        stdout: false,
      });
      this.worker.unref();
      this.port.unref();
    }
    Atomics.store(this.signal, 0, 0);
    this.port!.postMessage(req);
    if (Atomics.wait(this.signal, 0, 0, REQUEST_TIMEOUT_MS) === 'timed-out') {
      throw new CgroupOpError(`systemd did not answer ${req.op} of ${req.unit} within ${REQUEST_TIMEOUT_MS / 1000} s`);
    }
    const res = receiveMessageOnPort(this.port!)?.message as BusResponse | undefined;
    if (!res) throw new CgroupOpError(`the D-Bus worker gave no answer to ${req.op} of ${req.unit}`);
    if (!res.ok) throw new CgroupOpError(`systemd: ${req.op} ${req.unit}: ${res.error}${res.via ? ` (via ${res.via})` : ''}`);
    return res.result;
  }

  startUnit(unit: string, properties: UnitProperty[]): void {
    const result = this.request({ op: 'start', unit, properties });
    if (result !== 'done') throw new CgroupOpError(`systemd's job to start ${unit} ended "${result}" (see journalctl -u ${unit})`);
  }

  setProperties(unit: string, properties: UnitProperty[]): void {
    this.request({ op: 'set', unit, properties });
  }

  stopUnit(unit: string): void {
    const result = this.request({ op: 'stop', unit });
    if (result !== 'done' && result !== 'gone') throw new CgroupOpError(`systemd's job to stop ${unit} ended "${result}"`);
  }

  unitState(unit: string): string {
    return this.request({ op: 'state', unit });
  }
}

let shared: SystemdBus | undefined;

/** The process's one connection to systemd, made on first use. */
export function systemdBus(): SystemdBus {
  shared ??= new WorkerBus();
  return shared;
}
