// Unit tests for linux.seccomp planning (src/runtime/seccomp.ts): validation
// with config paths, and the compiled BPF itself, run through a small cBPF
// interpreter so the decisions (errno, args, -ENOSYS prologue) are checked
// without loading anything into the kernel. Needs the built addon, not root.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Seccomp } from '../../../src/spec/types.js';
import { native, type NativeCore } from '../../../src/core/native.js';
import { planSeccomp, type SeccompPlan } from '../../../src/runtime/seccomp.js';
import { containerProcessState } from '../../../src/runtime/seccomp-listener.js';
import { PlanError } from '../../../src/core/errors.js';
import { decode, encode, type WireValue } from '../../../src/runtime/wire.js';
import { runCreateProtocol } from '../../../src/runtime/init-session.js';
import { MessageType } from '../../../src/runtime/init-protocol.js';
import type { CreatePlan } from '../../../src/runtime/plan.js';
import { fstatSync, openSync } from 'node:fs';

const x86_64 = process.arch === 'x64';
const skipUnlessX86 = x86_64 ? false : 'syscall numbers and audit arches below are x86_64 ones';

// x86_64 syscall numbers used below.
const NR = { read: 0, write: 1, getpid: 39, socket: 41, mkdir: 83, personality: 135, openat: 257, clone3: 435 };
const AUDIT_X86_64 = 0xc000003e;
const AUDIT_I386 = 0x40000003;
const X32_BIT = 0x40000000;

const RET = {
  KILL_PROCESS: 0x80000000, KILL_THREAD: 0, TRAP: 0x00030000, ERRNO: 0x00050000, TRACE: 0x7ff00000,
  LOG: 0x7ffc0000, ALLOW: 0x7fff0000, NOTIFY: 0x7fc00000,
};
const EPERM = 1;
const ENOSPC = 28;
const ENOSYS = 38;

/** Runs a classic BPF program over a seccomp_data, as the kernel would. */
function runFilter(bpf: Buffer, nr: number, opts: { arch?: number; args?: (number | bigint)[] } = {}): number {
  const data = Buffer.alloc(64);
  data.writeUInt32LE(nr >>> 0, 0);
  data.writeUInt32LE(opts.arch ?? AUDIT_X86_64, 4);
  (opts.args ?? []).forEach((a, i) => data.writeBigUInt64LE(BigInt(a), 16 + 8 * i));
  const mem = new Array<number>(16).fill(0);
  let A = 0;
  let X = 0;
  const n = bpf.length / 8;
  for (let pc = 0, steps = 0; pc < n; steps++) {
    assert.ok(steps < 100_000, 'the program loops');
    const code = bpf.readUInt16LE(pc * 8);
    const jt = bpf[pc * 8 + 2];
    const jf = bpf[pc * 8 + 3];
    const k = bpf.readUInt32LE(pc * 8 + 4);
    const src = code & 0x08 ? X : k;
    pc++;
    switch (code & 0x07) {
      case 0x00: // LD
        if ((code & 0xe0) === 0x20) A = data.readUInt32LE(k);
        else if ((code & 0xe0) === 0x60) A = mem[k];
        else if ((code & 0xe0) === 0x00) A = k;
        else assert.fail(`unsupported ld ${code.toString(16)}`);
        break;
      case 0x01: // LDX
        X = (code & 0xe0) === 0x60 ? mem[k] : k;
        break;
      case 0x02: mem[k] = A; break;
      case 0x03: mem[k] = X; break;
      case 0x04: { // ALU
        const op = code & 0xf0;
        const r = op === 0x00 ? A + src : op === 0x10 ? A - src : op === 0x40 ? A | src : op === 0x50 ? A & src
          : op === 0xa0 ? A ^ src : op === 0x60 ? A << src : op === 0x70 ? A >>> src : NaN;
        assert.ok(!Number.isNaN(r), `unsupported alu ${code.toString(16)}`);
        A = r >>> 0;
        break;
      }
      case 0x05: { // JMP
        const op = code & 0xf0;
        if (op === 0x00) { pc += k; break; }
        const cond = op === 0x10 ? A === src : op === 0x20 ? A > src : op === 0x30 ? A >= src : (A & src) !== 0;
        pc += cond ? jt : jf;
        break;
      }
      case 0x06: return ((code & 0x18) === 0x10 ? A : k) >>> 0;
      case 0x07: if (code & 0x80) A = X; else X = A; break;
    }
  }
  assert.fail('the program ran off its end');
}

const real = (): NativeCore => native();
const noWarn = (m: string): void => assert.fail(`unexpected warning: ${m}`);
const plan = (s: Seccomp, warn: (m: string) => void = noWarn, core = real()): SeccompPlan => planSeccomp(s, warn, core)!;
const planError = (s: Seccomp, path: string, message: RegExp, core = real()) =>
  assert.throws(() => planSeccomp(s, noWarn, core), (e: unknown) => {
    assert.ok(e instanceof PlanError, `a PlanError, not ${e}`);
    assert.ok(e.message.startsWith(`config.json: ${path}: `), `names ${path}: ${e.message}`);
    assert.match(e.message, message);
    return true;
  });
/** The real addon, with what the kernel supports replaced. */
const withSupport = (over: Partial<ReturnType<NativeCore['seccompSupport']>>): NativeCore => {
  const core = real();
  return { ...core, compileSeccomp: core.compileSeccomp, seccompSupport: () => ({ ...core.seccompSupport(), ...over }) };
};
/** The real addon, as if its libseccomp (of the given version) did not resolve the names in missing. */
const withoutArchs = (missing: string[], libseccomp: string): NativeCore => {
  const core = real();
  return {
    ...core,
    compileSeccomp: core.compileSeccomp,
    seccompSupport: () => ({ ...core.seccompSupport(), libseccomp }),
    seccompKnownArchs: (names: string[]) => core.seccompKnownArchs(names).filter((n) => !missing.includes(n)),
  };
};

describe('config-linux.md "Seccomp" planning', { skip: skipUnlessX86 }, () => {
  test('no seccomp section: no plan', () => {
    assert.equal(planSeccomp(undefined, noWarn, real()), undefined);
  });

  test('SCMP_ACT_ERRNO uses errnoRet, and EPERM without it', () => {
    const p = plan({
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [
        { names: ['mkdir'], action: 'SCMP_ACT_ERRNO', errnoRet: ENOSPC },
        { names: ['socket'], action: 'SCMP_ACT_ERRNO' },
      ],
    });
    assert.equal(runFilter(p.bpf, NR.mkdir), RET.ERRNO | ENOSPC);
    assert.equal(runFilter(p.bpf, NR.socket), RET.ERRNO | EPERM);
    assert.equal(runFilter(p.bpf, NR.getpid), RET.ALLOW);
    assert.deepEqual([p.flags, p.notify], [0, false]);
  });

  test('defaultErrnoRet sets the default action\'s errno; SCMP_ACT_TRACE carries it too', () => {
    const p = plan({ defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: ENOSPC, syscalls: [{ names: ['openat'], action: 'SCMP_ACT_ALLOW' }] });
    assert.equal(runFilter(p.bpf, NR.mkdir), RET.ERRNO | ENOSPC);
    assert.equal(runFilter(p.bpf, NR.openat), RET.ALLOW);
    const t = plan({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_TRACE', errnoRet: 7 }] });
    assert.equal(runFilter(t.bpf, NR.mkdir), (RET.TRACE | 7) >>> 0);
  });

  test('every action becomes its SECCOMP_RET value; SCMP_ACT_KILL is KILL_THREAD', () => {
    const cases: [Seccomp['defaultAction'], number][] = [
      ['SCMP_ACT_KILL', RET.KILL_THREAD], ['SCMP_ACT_KILL_THREAD', RET.KILL_THREAD], ['SCMP_ACT_KILL_PROCESS', RET.KILL_PROCESS],
      ['SCMP_ACT_TRAP', RET.TRAP], ['SCMP_ACT_ERRNO', RET.ERRNO | EPERM], ['SCMP_ACT_TRACE', RET.TRACE | EPERM], ['SCMP_ACT_LOG', RET.LOG],
    ];
    for (const [action, ret] of cases) {
      const p = plan({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action }] });
      assert.equal(runFilter(p.bpf, NR.mkdir), ret >>> 0, action);
      const d = plan({ defaultAction: action, syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ALLOW' }] });
      assert.equal(runFilter(d.bpf, NR.getpid), ret >>> 0, `default ${action}`);
      assert.equal(runFilter(d.bpf, NR.mkdir), RET.ALLOW, `default ${action}`);
    }
  });

  test('errnoRet on an action that returns no errno is an error (config-linux.md: MUST fail)', () => {
    planError({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_KILL', errnoRet: 1 }] },
      '/linux/seccomp/syscalls/0/errnoRet', /SCMP_ACT_KILL returns no errno/);
    planError({ defaultAction: 'SCMP_ACT_ALLOW', defaultErrnoRet: 1 }, '/linux/seccomp/defaultErrnoRet', /SCMP_ACT_ALLOW returns no errno/);
    planError({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO', errnoRet: 70000 }] },
      '/linux/seccomp/syscalls/0/errnoRet', /from 0 to 65535/);
  });

  test('unknown action, operator, architecture and flag name the path and what would be right', () => {
    planError({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['a'], action: 'SCMP_ACT_ALLOW' }, { names: ['b'], action: 'SCMP_ACT_FOO' as never }] },
      '/linux/seccomp/syscalls/1/action', /unknown action "SCMP_ACT_FOO"; use one of SCMP_ACT_KILL, /);
    planError({ defaultAction: 'SCMP_ACT_NOPE' as never }, '/linux/seccomp/defaultAction', /use one of/);
    planError({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['personality'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 1, op: 'SCMP_CMP_XX' as never }] }] },
      '/linux/seccomp/syscalls/0/args/0/op', /unknown operator "SCMP_CMP_XX"; use one of SCMP_CMP_NE/);
    planError({ defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_Z80' as never] },
      '/linux/seccomp/architectures/1', /unknown architecture "SCMP_ARCH_Z80"/);
    planError({ defaultAction: 'SCMP_ACT_ALLOW', flags: ['SECCOMP_FILTER_FLAG_BOGUS' as never] },
      '/linux/seccomp/flags/0', /unknown flag "SECCOMP_FILTER_FLAG_BOGUS"; use one of SECCOMP_FILTER_FLAG_TSYNC/);
  });

  test('an empty syscall name, and an argument index past 5, are errors', () => {
    planError({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read', ''], action: 'SCMP_ACT_ERRNO' }] },
      '/linux/seccomp/syscalls/0/names/1', /cannot be empty/);
    planError({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ERRNO', args: [{ index: 6, value: 0, op: 'SCMP_CMP_EQ' }] }] },
      '/linux/seccomp/syscalls/0/args/0/index', /arguments 0 to 5/);
  });

  test('a syscall libseccomp does not know is skipped, the rest of its rule applies', () => {
    const p = plan({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['no_such_syscall_xyz', 'mkdir'], action: 'SCMP_ACT_ERRNO' }] });
    assert.equal(runFilter(p.bpf, NR.mkdir), RET.ERRNO | EPERM);
    assert.equal(runFilter(p.bpf, NR.getpid), RET.ALLOW);
  });

  test('a rule with the default action is skipped (libseccomp would refuse it)', () => {
    const p = plan({
      defaultAction: 'SCMP_ACT_ERRNO',
      syscalls: [{ names: ['getpid'], action: 'SCMP_ACT_ALLOW' }, { names: ['mkdir'], action: 'SCMP_ACT_ERRNO' }],
    });
    assert.equal(runFilter(p.bpf, NR.mkdir), RET.ERRNO | EPERM);
    // The same action with another errno is a different action: it stays.
    const q = plan({ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO', errnoRet: ENOSPC }] });
    assert.equal(runFilter(q.bpf, NR.mkdir), RET.ERRNO | ENOSPC);
  });

  test('args: an operator on one argument', () => {
    const p = plan({
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [{ names: ['personality'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 0xffffffff, op: 'SCMP_CMP_NE' }] }],
    });
    assert.equal(runFilter(p.bpf, NR.personality, { args: [0xffffffff] }), RET.ALLOW);
    assert.equal(runFilter(p.bpf, NR.personality, { args: [8] }), RET.ERRNO | EPERM);
    const ops: [string, number, number[], number[]][] = [
      ['SCMP_CMP_LT', 5, [4, 0], [5, 6]], ['SCMP_CMP_LE', 5, [5, 4], [6]], ['SCMP_CMP_GE', 5, [5, 9], [4]],
      ['SCMP_CMP_GT', 5, [6], [5, 0]], ['SCMP_CMP_EQ', 5, [5], [4, 6]],
    ];
    for (const [op, value, hit, miss] of ops) {
      const q = plan({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['socket'], action: 'SCMP_ACT_ERRNO', args: [{ index: 1, value, op: op as never }] }] });
      for (const v of hit) assert.equal(runFilter(q.bpf, NR.socket, { args: [0, v] }), RET.ERRNO | EPERM, `${op} ${value}: ${v}`);
      for (const v of miss) assert.equal(runFilter(q.bpf, NR.socket, { args: [0, v] }), RET.ALLOW, `${op} ${value}: ${v}`);
    }
  });

  test('args: SCMP_CMP_MASKED_EQ compares (arg & value) with valueTwo; 64-bit values keep their high word', () => {
    const p = plan({
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [{ names: ['socket'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 0xff00, valueTwo: 0x1200, op: 'SCMP_CMP_MASKED_EQ' }] }],
    });
    assert.equal(runFilter(p.bpf, NR.socket, { args: [0x12ab] }), RET.ERRNO | EPERM);
    assert.equal(runFilter(p.bpf, NR.socket, { args: [0x13ab] }), RET.ALLOW);
    const q = plan({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['socket'], action: 'SCMP_ACT_ERRNO', args: [{ index: 2, value: 2 ** 32 + 5, op: 'SCMP_CMP_EQ' }] }] });
    assert.equal(runFilter(q.bpf, NR.socket, { args: [0, 0, 2n ** 32n + 5n] }), RET.ERRNO | EPERM);
    assert.equal(runFilter(q.bpf, NR.socket, { args: [0, 0, 5] }), RET.ALLOW);
  });

  test('args: different arguments are ANDed; several on the same argument become ORed rules (as runc)', () => {
    const and = plan({
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [{ names: ['socket'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 1, op: 'SCMP_CMP_EQ' }, { index: 1, value: 2, op: 'SCMP_CMP_EQ' }] }],
    });
    assert.equal(runFilter(and.bpf, NR.socket, { args: [1, 2] }), RET.ERRNO | EPERM);
    assert.equal(runFilter(and.bpf, NR.socket, { args: [1, 3] }), RET.ALLOW);
    assert.equal(runFilter(and.bpf, NR.socket, { args: [0, 2] }), RET.ALLOW);
    const or = plan({
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [{ names: ['personality'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 8, op: 'SCMP_CMP_EQ' }, { index: 0, value: 0x20000, op: 'SCMP_CMP_EQ' }] }],
    });
    assert.equal(runFilter(or.bpf, NR.personality, { args: [8] }), RET.ERRNO | EPERM);
    assert.equal(runFilter(or.bpf, NR.personality, { args: [0x20000] }), RET.ERRNO | EPERM);
    assert.equal(runFilter(or.bpf, NR.personality, { args: [0] }), RET.ALLOW);
  });

  test('a JSON number above 2^53 is warned about; 2^64 reads as 2^64-1', () => {
    const warnings: string[] = [];
    const p = plan({
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [{ names: ['socket'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 18446744073709551615, op: 'SCMP_CMP_EQ' }] }],
    }, (m) => warnings.push(m));
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /^config\.json: \/linux\/seccomp\/syscalls\/0\/args\/0\/value: .*0xffffffffffffffff/);
    assert.equal(runFilter(p.bpf, NR.socket, { args: [0xffffffffffffffffn] }), RET.ERRNO | EPERM);
  });

  describe('-ENOSYS for syscalls newer than the profile', () => {
    const allowlist = (over: Partial<Seccomp> = {}): Seccomp => ({
      defaultAction: 'SCMP_ACT_ERRNO',
      syscalls: [{ names: ['read', 'write', 'openat', 'getpid'], action: 'SCMP_ACT_ALLOW' }],
      ...over,
    });

    test('above the largest syscall named, ENOSYS; at or below it, the default action', () => {
      const p = plan(allowlist());
      assert.equal(runFilter(p.bpf, NR.clone3), RET.ERRNO | ENOSYS);
      assert.equal(runFilter(p.bpf, NR.openat + 1), RET.ERRNO | ENOSYS);
      assert.equal(runFilter(p.bpf, NR.openat), RET.ALLOW);
      assert.equal(runFilter(p.bpf, NR.mkdir), RET.ERRNO | EPERM);
    });

    test('the prologue changes no decision at or below the largest syscall', () => {
      const core = real();
      const p = plan(allowlist({ syscalls: [
        { names: ['read', 'write', 'openat', 'getpid'], action: 'SCMP_ACT_ALLOW' },
        { names: ['personality'], action: 'SCMP_ACT_ERRNO', errnoRet: 5, args: [{ index: 0, value: 8, op: 'SCMP_CMP_EQ' }] },
      ] }));
      const bare = core.compileSeccomp({
        defaultAction: RET.ERRNO | EPERM, architectures: [], enosys: false, enosysNames: [], optimize: false,
        rules: [
          { source: 0, action: RET.ALLOW, names: ['read', 'write', 'openat', 'getpid'], args: [] },
          { source: 1, action: RET.ERRNO | 5, names: ['personality'], args: [{ index: 0, op: 4, value: 8n, valueTwo: 0n }] },
        ],
      }).bpf;
      assert.ok(p.bpf.length > bare.length, 'a prologue was added');
      for (let nr = 0; nr <= NR.openat; nr++) {
        for (const args of [[0], [8]]) assert.equal(runFilter(p.bpf, nr, { args }), runFilter(bare, nr, { args }), `syscall ${nr}`);
      }
      assert.equal(runFilter(bare, NR.clone3), RET.ERRNO | EPERM);
    });

    test('per architecture: i386 has its own largest number, x32 numbers carry bit 30', () => {
      const p = plan(allowlist({ architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'] }));
      // i386: openat is 295; 296 is above it.
      assert.equal(runFilter(p.bpf, 296, { arch: AUDIT_I386 }), RET.ERRNO | ENOSYS);
      assert.equal(runFilter(p.bpf, 295, { arch: AUDIT_I386 }), RET.ALLOW);
      assert.equal(runFilter(p.bpf, 20 /* i386 getpid */, { arch: AUDIT_I386 }), RET.ALLOW);
      // x32: the same x86_64 numbers with bit 30 set.
      assert.equal(runFilter(p.bpf, (X32_BIT | NR.openat) >>> 0), RET.ALLOW);
      assert.equal(runFilter(p.bpf, (X32_BIT | (NR.openat + 1)) >>> 0), RET.ERRNO | ENOSYS);
      assert.equal(runFilter(p.bpf, (X32_BIT | NR.mkdir) >>> 0), RET.ERRNO | EPERM);
      assert.equal(runFilter(p.bpf, NR.clone3), RET.ERRNO | ENOSYS);
    });

    test('an x32 syscall with x32 not in the filter still gets the bad-arch action, not ENOSYS', () => {
      const p = plan(allowlist());
      assert.equal(runFilter(p.bpf, (X32_BIT | 1000) >>> 0), RET.KILL_THREAD);
    });

    test('no prologue when the default lets syscalls through (ALLOW, LOG, TRACE) or is ERRNO(ENOSYS)', () => {
      for (const defaultAction of ['SCMP_ACT_ALLOW', 'SCMP_ACT_LOG', 'SCMP_ACT_TRACE'] as const) {
        const p = plan({ defaultAction, syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_KILL_PROCESS' }] });
        assert.notEqual(runFilter(p.bpf, NR.clone3) & 0xffff0000, RET.ERRNO, defaultAction);
      }
      const n = plan(allowlist({ defaultErrnoRet: ENOSYS }));
      assert.equal(runFilter(n.bpf, NR.clone3), RET.ERRNO | ENOSYS);
      assert.equal(runFilter(n.bpf, NR.mkdir), RET.ERRNO | ENOSYS);
    });

    test('killing defaults get the prologue too', () => {
      for (const defaultAction of ['SCMP_ACT_KILL', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_TRAP'] as const) {
        const p = plan(allowlist({ defaultAction }));
        assert.equal(runFilter(p.bpf, NR.clone3), RET.ERRNO | ENOSYS, defaultAction);
      }
    });
  });

  test('flags: LOG and SPEC_ALLOW become seccomp(2) bits; TSYNC needs none', () => {
    const p = plan({ defaultAction: 'SCMP_ACT_ALLOW', flags: ['SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW', 'SECCOMP_FILTER_FLAG_TSYNC'] });
    assert.equal(p.flags, 2 | 4);
  });

  test('flags: one the kernel cannot do is refused with the path and the kernel it needs', () => {
    const core = withSupport({ flags: 0 });
    planError({ defaultAction: 'SCMP_ACT_ALLOW', flags: ['SECCOMP_FILTER_FLAG_LOG'] }, '/linux/seccomp/flags/0', /this kernel does not support SECCOMP_FILTER_FLAG_LOG \(it needs Linux 4\.14/, core);
  });

  test('an action the kernel cannot do is refused', () => {
    const core = withSupport({ actions: [RET.ALLOW, RET.ERRNO] });
    planError({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_LOG' }] },
      '/linux/seccomp/syscalls/0/action', /this kernel does not support SCMP_ACT_LOG/, core);
  });

  describe('SCMP_ACT_NOTIFY', () => {
    const notify = (over: Partial<Seccomp> = {}): Seccomp => ({
      defaultAction: 'SCMP_ACT_ALLOW',
      listenerPath: '/run/agent.sock',
      syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_NOTIFY' }],
      ...over,
    });

    test('sets notify and carries listenerPath and listenerMetadata', () => {
      const p = plan(notify({ listenerMetadata: 'hello' }));
      assert.equal(p.notify, true);
      assert.equal(p.listenerPath, '/run/agent.sock');
      assert.equal(p.listenerMetadata, 'hello');
      assert.equal(runFilter(p.bpf, NR.mkdir), RET.NOTIFY);
    });

    test('needs listenerPath; listenerMetadata needs it too', () => {
      planError(notify({ listenerPath: undefined }), '/linux/seccomp/listenerPath', /SCMP_ACT_NOTIFY needs a listenerPath/);
      planError({ defaultAction: 'SCMP_ACT_ALLOW', listenerMetadata: 'x' }, '/linux/seccomp/listenerMetadata', /without listenerPath/);
      planError(notify({ listenerPath: `/${'x'.repeat(120)}` }), '/linux/seccomp/listenerPath', /at most 107 bytes/);
    });

    test('listenerPath without a notify rule is ignored', () => {
      const p = plan({ defaultAction: 'SCMP_ACT_ALLOW', listenerPath: '/run/agent.sock' });
      assert.equal(p.notify, false);
      assert.equal(p.listenerPath, undefined);
    });

    test('cannot be the default action, nor notify sendmsg (init hands the fd over with it)', () => {
      planError(notify({ defaultAction: 'SCMP_ACT_NOTIFY' }), '/linux/seccomp/defaultAction', /cannot be the default action/);
      planError(notify({ syscalls: [{ names: ['mkdir', 'sendmsg'], action: 'SCMP_ACT_NOTIFY' }] }), '/linux/seccomp/syscalls/0/names/1', /cannot be used for sendmsg/);
    });

    test('WAIT_KILLABLE_RECV goes with a listener; without one it is ignored with a warning', () => {
      const core = withSupport({ flags: 0x2f });
      const p = plan(notify({ flags: ['SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV'] }), noWarn, core);
      assert.equal(p.flags, 32);
      const warnings: string[] = [];
      const q = plan({ defaultAction: 'SCMP_ACT_ALLOW', flags: ['SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV'] }, (m) => warnings.push(m), core);
      assert.equal(q.flags, 0);
      assert.match(warnings.join(), /flags\/0: SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV has no effect without an SCMP_ACT_NOTIFY rule/);
    });
  });

  test('an architecture libseccomp does not resolve is an error naming it, whatever its version', () => {
    // Asked of libseccomp (seccomp_arch_resolve_name), not read off a version table: a "2.6.0" without riscv64 refuses it.
    const core = withoutArchs(['riscv64'], '2.6.0');
    planError({ defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_RISCV64'] },
      '/linux/seccomp/architectures/1', /libseccomp 2\.6\.0 cannot filter SCMP_ARCH_RISCV64: it does not know the architecture "riscv64"; remove it/, core);
    // The architectures it does resolve still plan.
    assert.ok(plan({ defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X32', 'SCMP_ARCH_AARCH64'] }, noWarn, core).bpf.length > 0);
  });

  test('the real libseccomp: what it resolves plans (one byte order per filter), what it does not is refused by path', () => {
    const spec = ['x86', 'x86_64', 'x32', 'arm', 'aarch64', 'loongarch64', 'm68k', 'mips', 'mips64', 'mips64n32', 'mipsel',
      'mipsel64', 'mipsel64n32', 'ppc', 'ppc64', 'ppc64le', 's390', 's390x', 'sh', 'sheb', 'parisc', 'parisc64', 'riscv64'];
    const known = real().seccompKnownArchs(spec);
    // Every libseccomp since 2.5 has these; none has a name outside its table, nor an upper-case one.
    for (const a of ['x86', 'x86_64', 'x32', 'aarch64', 'riscv64']) assert.ok(known.includes(a), a);
    assert.deepEqual(real().seccompKnownArchs(['z80', 'X86_64', '']), []);
    const scmp = (a: string) => `SCMP_ARCH_${a.toUpperCase()}` as NonNullable<Seccomp['architectures']>[number];
    // A filter holds one byte order, and always the host's own (little-endian x86_64) ABI.
    const little = ['x86', 'x86_64', 'x32', 'arm', 'aarch64', 'loongarch64', 'mipsel', 'mipsel64', 'mipsel64n32', 'ppc64le', 'sh', 'riscv64'];
    assert.ok(plan({ defaultAction: 'SCMP_ACT_ALLOW', architectures: known.filter((a) => little.includes(a)).map(scmp) }).bpf.length > 0);
    for (const a of known.filter((a) => !little.includes(a))) {
      planError({ defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64', scmp(a)] }, '/linux/seccomp/architectures/1',
        new RegExp(`${scmp(a)} cannot share a filter with this host's own architecture \\(x64, little-endian\\): libseccomp puts only architectures of one byte order`));
    }
    spec.filter((a) => !known.includes(a)).forEach((a) => {
      planError({ defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64', scmp(a)] },
        '/linux/seccomp/architectures/1', new RegExp(`cannot filter ${scmp(a)}: it does not know the architecture "${a}"`));
    });
  });

  test('a filter longer than BPF_MAXINSNS is refused with the count', () => {
    const syscalls = Array.from({ length: 4200 }, (_, i) => ({
      names: ['personality'], action: 'SCMP_ACT_ERRNO' as const, args: [{ index: 0, value: i * 7, op: 'SCMP_CMP_EQ' as const }],
    }));
    planError({ defaultAction: 'SCMP_ACT_ALLOW', syscalls }, '/linux/seccomp', /BPF instructions; the kernel takes at most 4096/);
  });

  test('the plan crosses the wire format: bpf as a byte string, flags and notify as values', () => {
    const p = plan({ defaultAction: 'SCMP_ACT_ALLOW', flags: ['SECCOMP_FILTER_FLAG_LOG'], syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO' }] });
    const wire = encode(p as unknown as WireValue);
    const back = decode(wire) as Record<string, unknown>;
    assert.equal(back.flags, 2);
    assert.equal(back.notify, false);
    assert.equal(p.bpf.length % 8, 0);
    // 's', a u32 length, then the program byte for byte (init reads Value.str/len).
    const len = Buffer.alloc(4);
    len.writeUInt32LE(p.bpf.length);
    assert.ok(wire.includes(Buffer.concat([Buffer.from('s'), len, p.bpf])), 'the program is carried as raw bytes');
  });
});

describe('config-linux.md "The Container Process State"', () => {
  test('has ociVersion, fds ["seccompFd"], pid, metadata and the state with status creating', () => {
    const s = containerProcessState({ ociVersion: '1.3.0', id: 'c1', pid: 42, bundle: '/b', annotations: { k: 'v' } }, 'meta');
    assert.deepEqual(s, {
      ociVersion: '1.3.0', fds: ['seccompFd'], pid: 42, metadata: 'meta',
      state: { ociVersion: '1.3.0', id: 'c1', status: 'creating', pid: 42, bundle: '/b', annotations: { k: 'v' } },
    });
    const bare = containerProcessState({ ociVersion: '1.3.0', id: 'c1', pid: 42, bundle: '/b' }, undefined);
    assert.equal('metadata' in bare, false);
    assert.equal('annotations' in (bare.state as object), false);
  });
});

describe('init protocol: SECCOMP_LISTENER', () => {
  /** A fake init that sends the given messages and records what the parent sends back. */
  function fakeCore(script: { type: number; payload?: Buffer; fd?: number }[]) {
    const sent: number[] = [];
    const core = {
      spawnInit: () => ({ pid: 0, fd: openSync('/dev/null', 'r') }),
      channelSend: (_fd: number, type: number) => void sent.push(type),
      channelRecv: () => {
        const m = script.shift();
        return m ? { type: m.type, payload: m.payload ?? encode({}), ...(m.fd !== undefined ? { fd: m.fd } : {}) } : null;
      },
      waitPid: () => ({ exited: true, code: 0, signal: 0 }),
    } as unknown as NativeCore;
    return { core, sent };
  }
  const createPlan = { process: { preserveFds: 0 } } as unknown as CreatePlan;
  const isOpen = (fd: number) => {
    try {
      fstatSync(fd);
      return true;
    } catch {
      return false;
    }
  };

  test('the handler gets the fd and the pid, the fd is closed after, and init gets its ACK', () => {
    const fd = openSync('/dev/null', 'r');
    const { core, sent } = fakeCore([
      { type: MessageType.CHILD_PID, payload: encode({ pid: 77 }) },
      { type: MessageType.SECCOMP_LISTENER, fd },
      { type: MessageType.CREATED },
    ]);
    const seen: [number, number][] = [];
    runCreateProtocol(createPlan, { onSeccompListener: (f, pid) => void seen.push([f, pid]), onCreated: () => {} }, core);
    assert.deepEqual(seen, [[fd, 77]]);
    assert.equal(isOpen(fd), false, 'the listener fd is closed');
    assert.deepEqual(sent, [MessageType.PLAN, MessageType.ACK, MessageType.ACK]);
  });

  test('a failing handler fails create and still closes the fd', () => {
    const fd = openSync('/dev/null', 'r');
    const { core } = fakeCore([{ type: MessageType.SECCOMP_LISTENER, fd }]);
    assert.throws(
      () => runCreateProtocol(createPlan, { onSeccompListener: () => { throw new Error('agent gone'); }, onCreated: () => {} }, core),
      /agent gone/,
    );
    assert.equal(isOpen(fd), false);
  });

  test('an fd on any other message is closed, not leaked', () => {
    const fd = openSync('/dev/null', 'r');
    const { core } = fakeCore([{ type: MessageType.CREATED, fd }]);
    runCreateProtocol(createPlan, { onCreated: () => {} }, core);
    assert.equal(isOpen(fd), false);
  });
});
