// A lean entry that meets what it holds no code for (the read-only entry, a
// directory a create killed midway left) throws this to have the command line
// run again by an entry that has it. Thrown before the command has written or
// changed anything.
export class HandOverError extends Error {
  constructor(readonly why: string) {
    super(`handed over: ${why}`);
  }
}
