// The worker thread behind systemd-bus.ts: it holds the D-Bus connection to
// systemd (@homebridge/dbus-native speaks the wire protocol) and runs one
// request at a time for the main thread, which waits on `signal` meanwhile.
// Bundled on its own (dist/systemd-bus-worker.cjs), so only the systemd
// driver ever loads the D-Bus library.
import fs from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import dbus from '@homebridge/dbus-native';
import type { BusRequest, BusResponse } from './systemd-bus.js';

const SYSTEMD = 'org.freedesktop.systemd1';
const MANAGER_PATH = '/org/freedesktop/systemd1';
const MANAGER = 'org.freedesktop.systemd1.Manager';
const PRIVATE_SOCKET = '/run/systemd/private';
/** runc waits 30 s for a unit's job. */
const JOB_TIMEOUT_MS = 30_000;

interface DbusMessage {
  type: number;
  member?: string;
  path?: string;
  interface?: string;
  body?: unknown[];
}
interface Bus {
  connection: NodeJS.EventEmitter & { end(): void };
  invoke(msg: object, cb: (err: { name: string; message: string } | null | undefined, ...values: unknown[]) => void): void;
}
const client = dbus as unknown as { createClient(opts: object): Bus };

const { port, signal } = workerData as { port: MessagePort; signal: Int32Array };

let bus: Bus | undefined;
let via = '';
/** JobRemoved results by job path, from every signal since we subscribed. */
const finishedJobs = new Map<string, string>();
const jobWaiters = new Map<string, (result: string) => void>();

function open(opts: object): Promise<Bus> {
  return new Promise((resolve, reject) => {
    let b: Bus;
    try {
      b = client.createClient(opts);
    } catch (e) {
      reject(e as Error);
      return;
    }
    b.connection.once('connect', () => resolve(b));
    b.connection.once('error', (e: Error) => reject(e));
  });
}

function call(member: string, signature: string, body: unknown[], iface = MANAGER, path = MANAGER_PATH): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    bus!.invoke({ destination: SYSTEMD, path, interface: iface, member, signature, body }, (err, ...values) => {
      if (err) reject(Object.assign(new Error(`${err.name}: ${err.message}`), { dbusName: err.name }));
      else resolve(values);
    });
  });
}

/** The system bus, or (as root, as runc) systemd's private socket when no bus is up. */
async function connect(): Promise<void> {
  if (bus) return;
  const address = process.env.DBUS_SYSTEM_BUS_ADDRESS || 'unix:path=/run/dbus/system_bus_socket';
  let busError: Error | undefined;
  try {
    bus = await open({ busAddress: address });
    via = `the system bus (${address})`;
    // Signals reach a bus client only through a match rule.
    await new Promise<void>((resolve, reject) =>
      bus!.invoke(
        {
          destination: 'org.freedesktop.DBus', path: '/org/freedesktop/DBus', interface: 'org.freedesktop.DBus', member: 'AddMatch', signature: 's',
          body: [`type='signal',sender='${SYSTEMD}',interface='${MANAGER}',member='JobRemoved',path='${MANAGER_PATH}'`],
        },
        (err) => (err ? reject(new Error(`${err.name}: ${err.message}`)) : resolve()),
      ),
    );
  } catch (e) {
    busError = e as Error;
    bus = undefined;
  }
  if (!bus) {
    if (process.getuid?.() !== 0 || !fs.existsSync(PRIVATE_SOCKET)) {
      throw new Error(`cannot reach systemd: the system bus (${address}): ${busError?.message}; ${process.getuid?.() === 0 ? `no ${PRIVATE_SOCKET}` : `only root may use ${PRIVATE_SOCKET}`}`);
    }
    // A direct connection: systemd itself answers, and no Hello is sent.
    bus = await open({ socket: PRIVATE_SOCKET, direct: true });
    via = `systemd's private socket (${PRIVATE_SOCKET}; the system bus: ${busError?.message})`;
  }
  bus.connection.on('message', (m: DbusMessage) => {
    if (m.type !== 4 || m.member !== 'JobRemoved' || m.interface !== MANAGER) return;
    const [, job, , result] = (m.body ?? []) as [number, string, string, string];
    const waiter = jobWaiters.get(job);
    if (waiter) waiter(result);
    else finishedJobs.set(job, result);
  });
  // Jobs' end is signalled only to subscribers (a direct connection gets it anyway).
  await call('Subscribe', '', []).catch(() => undefined);
}

function waitJob(job: string): Promise<string> {
  const done = finishedJobs.get(job);
  if (done !== undefined) {
    finishedJobs.delete(job);
    return Promise.resolve(done);
  }
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      jobWaiters.delete(job);
      resolve('timeout');
    }, JOB_TIMEOUT_MS);
    jobWaiters.set(job, (result) => {
      clearTimeout(timer);
      jobWaiters.delete(job);
      resolve(result);
    });
  });
}

const noSuchUnit = (e: unknown) => /NoSuchUnit|not loaded/.test((e as { dbusName?: string }).dbusName ?? '') || /not loaded/.test((e as Error).message);

async function handle(req: BusRequest): Promise<BusResponse> {
  await connect();
  switch (req.op) {
    case 'start': {
      const [job] = (await call('StartTransientUnit', 'ssa(sv)a(sa(sv))', [req.unit, 'replace', req.properties, []])) as [string];
      return { ok: true, result: await waitJob(job), via };
    }
    case 'set':
      await call('SetUnitProperties', 'sba(sv)', [req.unit, true, req.properties]);
      return { ok: true, result: 'done', via };
    case 'stop': {
      let result = 'done';
      try {
        const [job] = (await call('StopUnit', 'ss', [req.unit, 'replace'])) as [string];
        result = await waitJob(job);
      } catch (e) {
        if (!noSuchUnit(e)) throw e;
        result = 'gone';
      }
      // A scope that failed would stay listed as failed: it goes too.
      await call('ResetFailedUnit', 's', [req.unit]).catch(() => undefined);
      return { ok: true, result, via };
    }
    case 'state': {
      try {
        const [unitPath] = (await call('GetUnit', 's', [req.unit])) as [string];
        const [v] = (await call('Get', 'ss', ['org.freedesktop.systemd1.Unit', 'ActiveState'], 'org.freedesktop.DBus.Properties', unitPath)) as [[unknown, [string]]];
        return { ok: true, result: v[1][0], via };
      } catch (e) {
        if (noSuchUnit(e)) return { ok: true, result: 'none', via };
        throw e;
      }
    }
  }
}

port.on('message', (req: BusRequest) => {
  handle(req)
    .catch((e: Error): BusResponse => ({ ok: false, error: e.message, via }))
    .then((res) => {
      port.postMessage(res);
      Atomics.store(signal, 0, 1);
      Atomics.notify(signal, 0);
    });
});
parentPort?.once('close', () => bus?.connection.end());
