// Aligns columns as Go's text/tabwriter does with runc's settings (minwidth
// 12, padding 3): every cell but the last in a row is padded to its column's
// widest cell plus 3, and to at least 12.
export function tabulate(rows: string[][]): string {
  const widths: number[] = [];
  for (const row of rows) {
    row.slice(0, -1).forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, Math.max(cell.length + 3, 12));
    });
  }
  return rows.map((row) => row.map((cell, i) => (i < row.length - 1 ? cell.padEnd(widths[i]) : cell)).join('') + '\n').join('');
}
