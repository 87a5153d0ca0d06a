// Unit tests for mount option parsing (src/runtime/mount-options.ts): flags, propagation, data and refused options.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseMountOptions, PROPAGATION_OPTIONS } from '../../../src/runtime/mount-options.js';
import { MOUNT_ATTR, MS } from '../../../src/runtime/linux.js';
import { UnsupportedError } from '../../../src/core/errors.js';

const parse = (...opts: string[]) => parseMountOptions(opts, '/mounts/0');
/** No recursive (mount_setattr) attributes. */
const NO_REC = { recAttrSet: 0, recAttrClr: 0 };

test('the MS_ numbers are the kernel ABI (<linux/mount.h>)', () => {
  assert.deepEqual(
    { ...MS },
    {
      RDONLY: 1, NOSUID: 2, NODEV: 4, NOEXEC: 8, SYNCHRONOUS: 16, REMOUNT: 32, MANDLOCK: 64, DIRSYNC: 128,
      NOSYMFOLLOW: 256, NOATIME: 1024, NODIRATIME: 2048, BIND: 4096, MOVE: 8192, REC: 16384, SILENT: 32768,
      UNBINDABLE: 1 << 17, PRIVATE: 1 << 18, SLAVE: 1 << 19, SHARED: 1 << 20, RELATIME: 1 << 21,
      STRICTATIME: 1 << 24, LAZYTIME: 1 << 25,
    },
  );
});

// [option that sets the flag, option that clears it (or undefined), the flag]
const FLAGS: [string, string | undefined, number][] = [
  ['ro', 'rw', MS.RDONLY],
  ['nosuid', 'suid', MS.NOSUID],
  ['nodev', 'dev', MS.NODEV],
  ['noexec', 'exec', MS.NOEXEC],
  ['sync', 'async', MS.SYNCHRONOUS],
  ['dirsync', undefined, MS.DIRSYNC],
  ['remount', undefined, MS.REMOUNT],
  ['mand', 'nomand', MS.MANDLOCK],
  ['noatime', 'atime', MS.NOATIME],
  ['nodiratime', 'diratime', MS.NODIRATIME],
  ['relatime', 'norelatime', MS.RELATIME],
  ['strictatime', 'nostrictatime', MS.STRICTATIME],
  ['lazytime', 'nolazytime', MS.LAZYTIME],
  ['nosymfollow', 'symfollow', MS.NOSYMFOLLOW],
  ['bind', undefined, MS.BIND],
];

test('each flag option sets exactly its MS_ bit, and its opposite clears it', () => {
  for (const [setter, clearer, flag] of FLAGS) {
    assert.deepEqual(parse(setter), { flags: flag, propagation: [], data: [], ...NO_REC }, setter);
    if (clearer) {
      assert.deepEqual(parse(clearer), { flags: 0, propagation: [], data: [], ...NO_REC }, clearer);
      assert.equal(parse(setter, clearer).flags, 0, `${setter},${clearer}`);
      assert.equal(parse(clearer, setter).flags, flag, `${clearer},${setter}`);
      // Clearing one bit leaves the others alone.
      assert.equal(parse('nosuid', 'nodev', 'noexec', 'ro', 'lazytime', setter, clearer).flags,
        (MS.NOSUID | MS.NODEV | MS.NOEXEC | MS.RDONLY | MS.LAZYTIME) & ~flag, `… ${setter},${clearer}`);
    }
  }
});

test('rbind is BIND|REC; defaults changes nothing', () => {
  assert.equal(parse('rbind').flags, MS.BIND | MS.REC);
  assert.equal(parse('defaults').flags, 0);
  assert.deepEqual(parse('defaults'), { flags: 0, propagation: [], data: [], ...NO_REC });
  assert.equal(parse('ro', 'defaults').flags, MS.RDONLY);
});

test('order matters: the last of ro/rw wins', () => {
  assert.equal(parse('ro', 'rw').flags & MS.RDONLY, 0);
  assert.equal(parse('rw', 'ro').flags & MS.RDONLY, MS.RDONLY);
  assert.equal(parse('ro', 'rw', 'ro', 'rw').flags, 0);
});

test('a typical set of options', () => {
  assert.deepEqual(parse('nosuid', 'strictatime', 'mode=755', 'size=65536k'), {
    flags: MS.NOSUID | MS.STRICTATIME,
    propagation: [],
    data: ['mode=755', 'size=65536k'],
    ...NO_REC,
  });
  assert.deepEqual(parse('nosuid', 'noexec', 'nodev', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'), {
    flags: MS.NOSUID | MS.NOEXEC | MS.NODEV,
    propagation: [],
    data: ['newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'],
    ...NO_REC,
  });
  assert.deepEqual(parse('rbind', 'rprivate', 'ro'), { flags: MS.BIND | MS.REC | MS.RDONLY, propagation: [MS.PRIVATE | MS.REC], data: [], ...NO_REC });
});

test('propagation options are collected in order, with their REC variants', () => {
  assert.deepEqual(PROPAGATION_OPTIONS, {
    private: MS.PRIVATE, rprivate: MS.PRIVATE | MS.REC,
    shared: MS.SHARED, rshared: MS.SHARED | MS.REC,
    slave: MS.SLAVE, rslave: MS.SLAVE | MS.REC,
    unbindable: MS.UNBINDABLE, runbindable: MS.UNBINDABLE | MS.REC,
  });
  const r = parse('rshared', 'private', 'rslave', 'unbindable', 'shared', 'slave', 'runbindable', 'rprivate');
  assert.deepEqual(r.propagation, [
    MS.SHARED | MS.REC, MS.PRIVATE, MS.SLAVE | MS.REC, MS.UNBINDABLE, MS.SHARED, MS.SLAVE, MS.UNBINDABLE | MS.REC, MS.PRIVATE | MS.REC,
  ]);
  assert.equal(r.flags, 0, 'propagation never goes into flags');
  assert.deepEqual(r.data, []);
  assert.deepEqual(parse('shared', 'shared').propagation, [MS.SHARED, MS.SHARED]);
});

test('unknown options go to data, in order, verbatim', () => {
  assert.deepEqual(parse('mode=755', 'size=65536k').data, ['mode=755', 'size=65536k']);
  assert.deepEqual(parse('size=65536k', 'ro', 'mode=755', 'uid=0,gid=0', 'x-systemd.automount', '').data,
    ['size=65536k', 'mode=755', 'uid=0,gid=0', 'x-systemd.automount', '']);
  assert.deepEqual(parse('RO').data, ['RO'], 'option names are case-sensitive');
});

test('no options: nothing set', () => {
  assert.deepEqual(parseMountOptions([], '/mounts/3'), { flags: 0, propagation: [], data: [], ...NO_REC });
});

const NOT_YET = ['tmpcopyup'];

test('tmpcopyup is refused, naming the option and its config path', () => {
  for (const opt of NOT_YET) {
    assert.throws(
      () => parseMountOptions(['nosuid', 'mode=755', opt, 'ro'], '/mounts/4'),
      (e: unknown) => {
        assert.ok(e instanceof UnsupportedError, `${opt}: ${String(e)}`);
        assert.equal(e.message, `config.json: /mounts/4/options/2: mount option "${opt}" is not supported by tsrun yet`);
        assert.equal(e.exitCode, 1);
        return true;
      },
      opt,
    );
  }
});

test('the MOUNT_ATTR_ numbers are the kernel ABI (<linux/mount.h>)', () => {
  assert.deepEqual({ ...MOUNT_ATTR }, {
    RDONLY: 1, NOSUID: 2, NODEV: 4, NOEXEC: 8, ATIME_MASK: 0x70, RELATIME: 0, NOATIME: 0x10, STRICTATIME: 0x20,
    NODIRATIME: 0x80, NOSYMFOLLOW: 0x200000,
  });
});

test('recursive options become mount_setattr set/clear masks; the last word wins; atime modes clear the whole field', () => {
  const rec = (...opts: string[]) => {
    const p = parse(...opts);
    return [p.recAttrSet, p.recAttrClr];
  };
  assert.deepEqual(rec('rro', 'rnosuid', 'rnodev', 'rnoexec'), [1 | 2 | 4 | 8, 0]);
  assert.deepEqual(rec('rrw', 'rsuid', 'rdev', 'rexec'), [0, 1 | 2 | 4 | 8]);
  assert.deepEqual(rec('rro', 'rrw'), [0, 1]);
  assert.deepEqual(rec('rrw', 'rro'), [1, 0]);
  assert.deepEqual(rec('rnoatime'), [0x10, 0x70]);
  assert.deepEqual(rec('rstrictatime', 'rnodiratime'), [0x20 | 0x80, 0x70]);
  assert.deepEqual(rec('rnoatime', 'rrelatime'), [0, 0x70]);
  assert.deepEqual(rec('rnosymfollow'), [0x200000, 0]);
  // They are not flags for mount(2) and not filesystem data.
  const p = parse('rro', 'ro');
  assert.equal(p.flags, MS.RDONLY);
  assert.deepEqual(p.data, []);
});

test('near-misses of the refused options are filesystem data, not refusals', () => {
  assert.deepEqual(parse('idmapped', 'rro2', 'xtmpcopyup', 'r').data, ['idmapped', 'rro2', 'xtmpcopyup', 'r']);
});

test('names of Object.prototype members are data, not flags or propagation', () => {
  for (const opt of ['constructor', 'toString', 'hasOwnProperty', '__proto__']) {
    assert.deepEqual(parse(opt), { flags: 0, propagation: [], data: [opt], ...NO_REC }, opt);
  }
});
