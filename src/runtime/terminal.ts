// process.terminal on the parent's side: runc's rules for when a console
// socket is needed, the socket the pty master goes out on, and, for a
// foreground `run`/`exec` without one, relaying the master to our own stdio.
import fs from 'node:fs';
import type tty from 'node:tty';
import { TsrunError } from '../core/errors.js';
import type { NativeCore } from '../core/native.js';

/** Where init sends the pty master: passFd goes to init; we read it on receiveOn, if we keep the terminal. */
export interface ConsoleChannel {
  passFd: number;
  receiveOn?: number;
}

/**
 * runc's checks: a detached container with a terminal needs someone to take
 * the master; a console socket without a detached terminal has nothing to do.
 * Returns the channel to use, or undefined when there is no terminal.
 */
export function openConsole(
  terminal: boolean,
  detach: boolean,
  consoleSocket: string | undefined,
  core: Pick<NativeCore, 'connectUnix' | 'socketPair'>,
): ConsoleChannel | undefined {
  if (detach && terminal && consoleSocket === undefined) {
    throw new TsrunError('cannot allocate tty if tsrun will detach without setting console socket');
  }
  if ((!detach || !terminal) && consoleSocket !== undefined) {
    throw new TsrunError('cannot use console socket if tsrun will not detach or allocate tty');
  }
  if (!terminal) return undefined;
  if (consoleSocket !== undefined) return { passFd: core.connectUnix(consoleSocket) };
  const [ours, theirs] = core.socketPair();
  return { passFd: theirs, receiveOn: ours };
}

/** Closes what the parent holds of a channel (init has its own copy of passFd). */
export function closeConsole(channel: ConsoleChannel | undefined, keepReceiver = false): void {
  if (!channel) return;
  fs.closeSync(channel.passFd);
  if (channel.receiveOn !== undefined && !keepReceiver) fs.closeSync(channel.receiveOn);
}

/**
 * Copies the container's terminal to our stdout and our stdin to it, with
 * our terminal (if stdin is one) in raw mode and its size kept in step.
 * Resolves when the container side closes (every slave fd is gone).
 */
export function relayTerminal(receiveOn: number, core: Pick<NativeCore, 'recvFd' | 'setWinsize'>): Promise<void> {
  const master = core.recvFd(receiveOn);
  fs.closeSync(receiveOn);
  const stdin = process.stdin;
  const raw = stdin.isTTY ? (stdin as tty.ReadStream) : undefined;
  const resize = () => {
    // A terminal of unknown size (0x0) says nothing: keep process.consoleSize then.
    const { rows, columns } = process.stdout;
    if (process.stdout.isTTY && rows > 0 && columns > 0) core.setWinsize(master, rows, columns);
  };
  resize();
  raw?.setRawMode(true);
  process.on('SIGWINCH', resize);
  const toContainer = (chunk: Buffer) => {
    try {
      fs.writeSync(master, chunk);
    } catch {
      // the container is gone; its side of the relay ends us
    }
  };
  stdin.on('data', toContainer);
  // node's tty module is loaded here, not at every tsrun start-up.
  const fromContainer = new (process.getBuiltinModule('node:tty').ReadStream)(master);
  return new Promise<void>((resolve) => {
    const done = () => {
      process.off('SIGWINCH', resize);
      stdin.off('data', toContainer);
      stdin.pause();
      raw?.setRawMode(false);
      fromContainer.destroy();
      resolve();
    };
    fromContainer.on('data', (chunk: Buffer) => process.stdout.write(chunk));
    // EIO once the last slave fd closes: the container's end of the terminal is gone.
    fromContainer.on('error', done);
    fromContainer.on('end', done);
  });
}
