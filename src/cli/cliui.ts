// cliui as yargs' help uses it in the bundle, with a wrap at word boundaries.
// The ESM cliui that esbuild picks wraps every `width` characters, mid-word
// ("An OCI runtime-spec container runtim / e"); the CommonJS one would load
// wrap-ansi and its dependencies. scripts/bundle.js aliases `cliui` here and
// `cliui-core` to cliui's own layout code.
// @ts-expect-error: cliui's layout core has no types; only the bundle resolves it.
import { cliui } from 'cliui-core';
import { wordWrap } from './word-wrap.js';

const ESC = '\u001b';
const ANSI = new RegExp(`${ESC}\\[[0-9;]*[A-Za-z]`, 'g');
const stripAnsi = (s: string) => s.replace(ANSI, '');

export default function ui(opts: { width?: number; wrap?: boolean }): unknown {
  return cliui(opts, { stringWidth: (s: string) => [...stripAnsi(s)].length, stripAnsi, wrap: wordWrap });
}
