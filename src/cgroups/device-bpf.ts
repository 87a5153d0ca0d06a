// The cgroup v2 device controller is a BPF_PROG_TYPE_CGROUP_DEVICE program.
// This builds it from the emulated rules (device-rules.ts), instruction by
// instruction; native/cgroup_bpf.cc only loads and attaches it. The program
// reads struct bpf_cgroup_dev_ctx { u32 access_type; u32 major; u32 minor; }
// (access_type: access << 16 | device type) and returns 1 to allow.
import type { DeviceRule, DeviceState } from './device-rules.js';

// linux/bpf.h
const BPF_DEVCG_ACC_MKNOD = 1;
const BPF_DEVCG_ACC_READ = 2;
const BPF_DEVCG_ACC_WRITE = 4;
const BPF_DEVCG_DEV_BLOCK = 1;
const BPF_DEVCG_DEV_CHAR = 2;

// Opcodes: class | op | source.
const LDX_MEM_W = 0x61; // BPF_LDX | BPF_MEM | BPF_W
const ALU32_AND_K = 0x54;
const ALU32_RSH_K = 0x74;
const ALU32_MOV_K = 0xb4;
const ALU32_MOV_X = 0xbc;
const JMP32_JNE_K = 0x56; // 32-bit compares: majors and minors are u32
const JMP32_JNE_X = 0x5e;
const JMP32_JEQ_K = 0x16;
const JMP_EXIT = 0x95;

const R0 = 0, R1 = 1, R2 = 2, R3 = 3, R4 = 4, R5 = 5;

interface Insn {
  code: number;
  dst: number;
  src: number;
  off: number;
  imm: number;
  /** A jump to the start of the next rule's block, resolved at the end. */
  toNext?: boolean;
}

const insn = (code: number, dst: number, src: number, off: number, imm: number): Insn => ({ code, dst, src, off, imm });

function accessBits(access: string): number {
  let bits = 0;
  if (access.includes('r')) bits |= BPF_DEVCG_ACC_READ;
  if (access.includes('w')) bits |= BPF_DEVCG_ACC_WRITE;
  if (access.includes('m')) bits |= BPF_DEVCG_ACC_MKNOD;
  return bits;
}

/** One exception: if the request matches, return its verdict; otherwise fall to the next block. */
function block(r: DeviceRule): Insn[] {
  const out: Insn[] = [];
  const next = (i: Insn) => out.push({ ...i, toNext: true });
  next(insn(JMP32_JNE_K, R2, 0, 0, r.type === 'c' ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK));
  const bits = accessBits(r.access);
  if (bits !== 7) {
    out.push(insn(ALU32_MOV_X, R1, R3, 0, 0), insn(ALU32_AND_K, R1, 0, 0, bits));
    // The kernel's semantics: an allowed access must be wholly covered by
    // the exception; a denied one is refused if any part of it is listed.
    if (r.allow) next(insn(JMP32_JNE_X, R1, R3, 0, 0));
    else next(insn(JMP32_JEQ_K, R1, 0, 0, 0));
  }
  if (r.major >= 0) next(insn(JMP32_JNE_K, R4, 0, 0, r.major | 0));
  if (r.minor >= 0) next(insn(JMP32_JNE_K, R5, 0, 0, r.minor | 0));
  out.push(insn(ALU32_MOV_K, R0, 0, 0, r.allow ? 1 : 0), insn(JMP_EXIT, 0, 0, 0, 0));
  return out;
}

/** The program as the kernel takes it: 8 bytes per instruction, little-endian. */
export function deviceProgram(state: DeviceState): Buffer {
  const insns: Insn[] = [
    insn(LDX_MEM_W, R2, R1, 0, 0),
    insn(ALU32_AND_K, R2, 0, 0, 0xffff),
    insn(LDX_MEM_W, R3, R1, 0, 0),
    insn(ALU32_RSH_K, R3, 0, 0, 16),
    insn(LDX_MEM_W, R4, R1, 4, 0),
    insn(LDX_MEM_W, R5, R1, 8, 0),
  ];
  for (const r of state.exceptions) {
    const b = block(r);
    const end = b.length;
    b.forEach((i, k) => {
      if (i.toNext) i.off = end - k - 1;
    });
    insns.push(...b);
  }
  insns.push(insn(ALU32_MOV_K, R0, 0, 0, state.defaultAllow ? 1 : 0), insn(JMP_EXIT, 0, 0, 0, 0));
  const buf = Buffer.alloc(insns.length * 8);
  insns.forEach((i, k) => {
    buf.writeUInt8(i.code, k * 8);
    buf.writeUInt8((i.src << 4) | i.dst, k * 8 + 1);
    buf.writeInt16LE(i.off, k * 8 + 2);
    buf.writeInt32LE(i.imm | 0, k * 8 + 4);
  });
  return buf;
}

/** What a program built by deviceProgram decides, interpreted (unit tests check programs this way). */
export function runDeviceProgram(program: Buffer, type: 'c' | 'b', major: number, minor: number, access: string): boolean {
  const regs = new Array<number>(11).fill(0);
  const ctx = [((accessBits(access) << 16) | (type === 'c' ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK)) >>> 0, major >>> 0, minor >>> 0];
  for (let pc = 0; pc < program.length / 8; pc++) {
    const code = program.readUInt8(pc * 8);
    const dst = program.readUInt8(pc * 8 + 1) & 0xf;
    const src = program.readUInt8(pc * 8 + 1) >> 4;
    const off = program.readInt16LE(pc * 8 + 2);
    const imm = program.readInt32LE(pc * 8 + 4) >>> 0;
    switch (code) {
      case LDX_MEM_W: regs[dst] = ctx[off / 4]; break;
      case ALU32_AND_K: regs[dst] = (regs[dst] & imm) >>> 0; break;
      case ALU32_RSH_K: regs[dst] = regs[dst] >>> imm; break;
      case ALU32_MOV_K: regs[dst] = imm; break;
      case ALU32_MOV_X: regs[dst] = regs[src]; break;
      case JMP32_JNE_K: if (regs[dst] !== imm) pc += off; break;
      case JMP32_JNE_X: if (regs[dst] !== regs[src]) pc += off; break;
      case JMP32_JEQ_K: if (regs[dst] === imm) pc += off; break;
      case JMP_EXIT: return regs[R0] === 1;
      default: throw new Error(`unknown opcode 0x${code.toString(16)} at ${pc}`);
    }
  }
  throw new Error('the program ran off its end');
}
