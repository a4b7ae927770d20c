"""Writing a file in one step: a reader sees the old file or the whole new one, never half of it.

Every output of the project (weights, checkpoints, reports, pictures, datasets' files) goes through
atomic_write; an OS-level failure becomes one OutputError line naming the file.
"""
import errno
import os
import tempfile


class OutputError(OSError):
    """An output that could not be written (full disk, read-only folder, a folder in the way): one line."""


def _write_failure(path, e):
    """Why writing path failed, in words: 'no space left on the device', 'permission denied', ..."""
    text = f'{getattr(e, "strerror", None) or e}'
    # h5py reports the C library's errno inside its own message
    if getattr(e, 'errno', None) == errno.ENOSPC or 'errno = 28' in text or 'No space left' in text:
        return 'no space left on the device'
    return text[:1].lower() + text[1:].splitlines()[0] if text else type(e).__name__


def _temporary_beside(path):
    """A new empty temporary file in path's folder (made if missing), keeping path's suffix."""
    if os.path.isdir(path):
        raise IsADirectoryError(errno.EISDIR, 'a folder is in the way', path)
    folder, base = os.path.split(path)
    os.makedirs(folder, exist_ok=True)
    # keep the suffix: Keras checks that weights files end with .weights.h5
    suffix = '.weights.h5' if base.endswith('.weights.h5') else os.path.splitext(base)[1]
    fd, tmp = tempfile.mkstemp(prefix=f'.{base}.', suffix=suffix, dir=folder)
    os.close(fd)
    return tmp


def check_writable(path):
    """Raise the OutputError atomic_write would (a folder in the way, a file where a folder should be,
    no permission) before a long computation, so a command fails at once. A full disk still shows
    only when writing."""
    try:
        os.remove(_temporary_beside(os.path.abspath(path)))
    except OSError as e:
        raise OutputError(f'cannot write {os.path.abspath(path)}: {_write_failure(path, e)}') from None


def atomic_write(path, write):
    """Call write(tmp_path) and move the result to path in one step: never a half-written file.

    On any failure the temporary file is removed; an OS-level failure (no space, no permission, a
    folder in the way) becomes an OutputError naming path, for a one-line message.
    """
    path = os.path.abspath(path)
    tmp = None
    try:
        tmp = _temporary_beside(path)
        write(tmp)
        with open(tmp, 'rb') as f:
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_umask())   # mkstemp makes 0600; give the file the usual mode
        os.replace(tmp, path)
    except BaseException as e:
        if tmp is not None and os.path.exists(tmp):
            os.remove(tmp)
        if isinstance(e, OSError) and not isinstance(e, OutputError):
            raise OutputError(f'cannot write {path}: {_write_failure(path, e)}') from None
        raise


def atomic_write_text(path, text):
    """Write a text file atomically."""
    def write(tmp):
        with open(tmp, 'w') as f:
            f.write(text)
    atomic_write(path, write)
    return path


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask
