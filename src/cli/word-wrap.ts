/**
 * Breaks text into lines of at most width characters at spaces; a word longer
 * than a line is cut. Existing line breaks stay.
 */
export function wordWrap(text: string, width: number): string {
  if (!(width > 0)) return text;
  return text
    .split('\n')
    .map((line) => {
      const out: string[] = [];
      let cur = '';
      for (const word of line.split(' ')) {
        const candidate = cur === '' ? word : `${cur} ${word}`;
        if ([...candidate].length <= width) {
          cur = candidate;
          continue;
        }
        if (cur !== '') out.push(cur);
        cur = word;
        while ([...cur].length > width) {
          out.push([...cur].slice(0, width).join(''));
          cur = [...cur].slice(width).join('');
        }
      }
      out.push(cur);
      return out.join('\n');
    })
    .join('\n');
}
