// runc-compatible logging. Engines read the log file (containerd, conmon) and
// show its last error line, so the formats match logrus as runc uses it:
//   text: time="2026-11-23T10:41:11Z" level=error msg="container does not exist"
//   json: {"level":"error","msg":"container does not exist","time":"2026-11-23T10:41:11Z"}
// Without --log the lines go to stderr; with --log, an error also goes to
// stderr as the bare message, as runc does.
import fs from 'node:fs';

export type LogFormat = 'text' | 'json';
export type Level = 'debug' | 'info' | 'warning' | 'error';

export class Logger {
  private fd: number;

  constructor(
    readonly file: string | undefined,
    readonly format: LogFormat,
    readonly debugEnabled: boolean,
  ) {
    this.fd = file ? fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_CREAT, 0o644) : 2;
  }

  get toStderr(): boolean {
    return this.fd === 2;
  }

  log(level: Level, msg: string): void {
    if (level === 'debug' && !this.debugEnabled) return;
    const time = goRfc3339(new Date());
    const line =
      this.format === 'json'
        ? JSON.stringify({ level, msg, time })
        : `time=${quote(time)} level=${level} msg=${quote(msg)}`;
    fs.writeSync(this.fd, line + '\n');
  }

  debug(msg: string): void { this.log('debug', msg); }
  warn(msg: string): void { this.log('warning', msg); }
  error(msg: string): void { this.log('error', msg); }
}

// logrus quotes a value unless it is made only of these characters.
function quote(s: string): string {
  return /^[A-Za-z0-9\-._/@^+]*$/.test(s) ? s : JSON.stringify(s);
}

/** Go's time.RFC3339 in local time: second precision, "Z" or a ±hh:mm offset. */
export function goRfc3339(d: Date): string {
  const offMin = -d.getTimezoneOffset();
  const local = new Date(d.getTime() + offMin * 60_000).toISOString().slice(0, 19);
  if (offMin === 0) return `${local}Z`;
  const sign = offMin > 0 ? '+' : '-';
  const abs = Math.abs(offMin);
  return `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}
