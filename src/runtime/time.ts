// Timestamps as Go's time.RFC3339Nano writes them in UTC (what runc stores):
// nanoseconds with trailing zeros trimmed, and a "Z".
const startNs = BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint();

export function rfc3339NanoNow(): string {
  const ns = startNs + process.hrtime.bigint();
  const secs = ns / 1_000_000_000n;
  const frac = (ns % 1_000_000_000n).toString().padStart(9, '0').replace(/0+$/, '');
  const base = new Date(Number(secs) * 1000).toISOString().slice(0, 19);
  return `${base}${frac ? '.' + frac : ''}Z`;
}
