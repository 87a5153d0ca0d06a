// What `tsrun --version` prints (the whole CLI, main.ts, and the lean entries, lean-entry.ts).
import { OCI_VERSION } from '../spec/version.js';

export const VERSION = '0.1.0';
export const VERSION_TEXT = `tsrun version ${VERSION}\nspec: ${OCI_VERSION}`;
