// What `tsrun --version` prints (both entries: main.ts, fast-main.ts).
import { OCI_VERSION } from '../spec/version.js';

export const VERSION = '0.1.0';
export const VERSION_TEXT = `tsrun version ${VERSION}\nspec: ${OCI_VERSION}`;
