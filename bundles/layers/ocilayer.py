"""ocilayer: OCI image layers <-> overlayfs layer directories.

extract(): unpacks a layer tarball into a directory of its own, the image
spec's whiteouts turned into overlayfs' (".wh.NAME" -> a 0:0 char device
NAME, ".wh..wh..opq" -> the trusted.overlay.opaque xattr on its directory).
Extraction is confined to the directory: a name that is absolute or has a
".." component is refused, and every path is walked one component at a time
with O_NOFOLLOW from the layer directory's fd, so nothing is ever written
through a symlink (not one the archive made either: umoci's CVE-2021-29136).

commit(): the reverse, for an overlay upperdir: a layer tarball whose
whiteouts are the image spec's ".wh." entries.
"""
import errno
import hashlib
import os
import stat
import tarfile

WH = '.wh.'
OPAQUE = '.wh..wh..opq'
OPAQUE_XATTR = 'trusted.overlay.opaque'


class LayerError(Exception):
    pass


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, 'rb') as f:
        for chunk in iter(lambda: f.read(1 << 20), b''):
            h.update(chunk)
    return h.hexdigest()


def split_name(name, what='entry'):
    """The components of a tar entry name; refuses absolute names and '..'."""
    if name.startswith('/'):
        raise LayerError(f'{what} {name!r}: absolute paths are refused')
    parts = [p for p in name.split('/') if p not in ('', '.')]
    if '..' in parts:
        raise LayerError(f'{what} {name!r}: ".." is refused')
    return parts


def open_dir(root_fd, parts, create):
    """An fd of the directory root/parts..., walked with O_NOFOLLOW: a symlink
    on the way is refused, never followed. Missing directories are made when
    create is set."""
    fd = os.dup(root_fd)
    try:
        for i, p in enumerate(parts):
            try:
                nfd = os.open(p, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
            except FileNotFoundError:
                if not create:
                    raise
                os.mkdir(p, 0o755, dir_fd=fd)
                nfd = os.open(p, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
            except OSError as e:
                if e.errno in (errno.ELOOP, errno.ENOTDIR):
                    raise LayerError(f'{"/".join(parts[:i + 1])} is not a directory (a symlink?): refusing to write through it')
                raise
            os.close(fd)
            fd = nfd
        return fd
    except BaseException:
        os.close(fd)
        raise


def remove_entry(dir_fd, name):
    """Removes dir/name (a whole tree if a directory), without following symlinks."""
    try:
        st = os.lstat(name, dir_fd=dir_fd)
    except FileNotFoundError:
        return
    if stat.S_ISDIR(st.st_mode):
        sub = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=dir_fd)
        try:
            for child in os.listdir(sub):
                remove_entry(sub, child)
        finally:
            os.close(sub)
        os.rmdir(name, dir_fd=dir_fd)
    else:
        os.unlink(name, dir_fd=dir_fd)


def extract(tar_path, dest):
    """Unpacks the layer at tar_path into dest (made; must not exist)."""
    os.mkdir(dest, 0o755)
    root_fd = os.open(dest, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    try:
        with tarfile.open(tar_path, 'r:*') as tar:
            for m in tar:
                extract_member(tar, m, root_fd)
    finally:
        os.close(root_fd)


def extract_member(tar, m, root_fd):
    parts = split_name(m.name)
    if not parts:
        return  # the layer's root itself
    base = parts[-1]
    dfd = open_dir(root_fd, parts[:-1], create=True)
    try:
        if base == OPAQUE:
            os.setxattr(dfd, OPAQUE_XATTR, b'y')
            return
        if base.startswith(WH):
            target = base[len(WH):]
            if target in ('', '.', '..'):
                raise LayerError(f'entry {m.name!r}: a whiteout of nothing')
            remove_entry(dfd, target)
            os.mknod(target, stat.S_IFCHR | 0o000, os.makedev(0, 0), dir_fd=dfd)
            return
        if m.isdir():
            try:
                st = os.lstat(base, dir_fd=dfd)
                if not stat.S_ISDIR(st.st_mode):
                    remove_entry(dfd, base)
                    os.mkdir(base, 0o755, dir_fd=dfd)
            except FileNotFoundError:
                os.mkdir(base, 0o755, dir_fd=dfd)
        else:
            remove_entry(dfd, base)  # replace, never write through what is there
            if m.isreg():
                fd = os.open(base, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600, dir_fd=dfd)
                with os.fdopen(fd, 'wb') as out, tar.extractfile(m) as src:
                    while chunk := src.read(1 << 20):
                        out.write(chunk)
            elif m.issym():
                os.symlink(m.linkname, base, dir_fd=dfd)
            elif m.islnk():
                lparts = split_name(m.linkname, 'hard link target')
                if not lparts:
                    raise LayerError(f'entry {m.name!r}: a hard link to the layer root')
                sfd = open_dir(root_fd, lparts[:-1], create=False)
                try:
                    os.link(lparts[-1], base, src_dir_fd=sfd, dst_dir_fd=dfd, follow_symlinks=False)
                finally:
                    os.close(sfd)
                return  # the link shares the target's inode: its owner and mode stay
            elif m.ischr() or m.isblk():
                kind = stat.S_IFCHR if m.ischr() else stat.S_IFBLK
                os.mknod(base, kind | 0o600, os.makedev(m.devmajor, m.devminor), dir_fd=dfd)
            elif m.isfifo():
                os.mkfifo(base, 0o600, dir_fd=dfd)
            else:
                raise LayerError(f'entry {m.name!r}: unsupported type {m.type!r}')
        os.chown(base, m.uid, m.gid, dir_fd=dfd, follow_symlinks=False)
        if not m.issym():
            os.chmod(base, m.mode, dir_fd=dfd)  # base is ours, just made: not a symlink
        os.utime(base, (m.mtime, m.mtime), dir_fd=dfd, follow_symlinks=False)
    finally:
        os.close(dfd)


def normalize(info, mtime=None):
    """Owner by number only; a fixed mtime where given (reproducible layers)."""
    info.uname = info.gname = ''
    if mtime is not None:
        info.mtime = mtime
    return info


def add_tree(tar, root, mtime=None, upper=False):
    """Adds the tree under root to tar, sorted, names relative to root. With
    upper, root is an overlay upperdir: its whiteouts become ".wh." entries."""
    def walk(rel):
        path = os.path.join(root, rel) if rel else root
        for name in sorted(os.listdir(path)):
            r = f'{rel}/{name}' if rel else name
            full = os.path.join(root, r)
            st = os.lstat(full)
            if upper:
                if stat.S_ISCHR(st.st_mode) and st.st_rdev == os.makedev(0, 0):
                    wh = tarfile.TarInfo(f'{rel}/{WH}{name}' if rel else f'{WH}{name}')
                    wh.mtime = st.st_mtime if mtime is None else mtime
                    tar.addfile(wh)
                    continue
                for x in os.listxattr(full, follow_symlinks=False):
                    if x in ('trusted.overlay.redirect', 'trusted.overlay.metacopy'):
                        raise LayerError(f'{full} has {x}: mount the overlay with redirect_dir=off and metacopy=off')
            info = normalize(tar.gettarinfo(full, arcname=r), mtime)
            if info.isreg():
                with open(full, 'rb') as f:
                    tar.addfile(info, f)
            else:
                tar.addfile(info)
            if stat.S_ISDIR(st.st_mode):
                if upper and xattr(full, OPAQUE_XATTR) == b'y':
                    opq = tarfile.TarInfo(f'{r}/{OPAQUE}')
                    opq.mtime = info.mtime
                    tar.addfile(opq)
                walk(r)
    walk('')


def xattr(path, name):
    try:
        return os.getxattr(path, name, follow_symlinks=False)
    except OSError as e:
        if e.errno in (errno.ENODATA, errno.ENOTSUP):
            return None
        raise


def commit(upperdir, out_path):
    """Writes upperdir as a layer tarball at out_path; returns its sha256."""
    tmp = out_path + '.tmp'
    with tarfile.open(tmp, 'w', format=tarfile.PAX_FORMAT) as tar:
        add_tree(tar, upperdir, upper=True)
    os.rename(tmp, out_path)
    return sha256_file(out_path)
