"""One training run per output folder: the kernel's lock (flock) on `<out>/.train.lock`, held while a
run writes the folder. Light (no Keras), so a command can refuse a held folder before loading it."""
import contextlib
import fcntl
import os

LOCK = '.train.lock'


class RunLocked(RuntimeError):
    """Another training run is writing the same output folder."""


def _refusal(out_dir, f):
    f.seek(0)
    holder = f.read().strip() or 'unknown'
    return RunLocked(f'{out_dir} is in use by another training run (process {holder}); wait for it to '
                     f'end or use another --out')


@contextlib.contextmanager
def run_lock(out_dir):
    """Hold the run folder for this process: a second run into it (which would interleave its logs
    and checkpoints with ours) is refused at once, naming the process that holds it. The lock is
    the kernel's, so it is gone when the process dies, even by kill -9."""
    os.makedirs(out_dir, exist_ok=True)
    f = open(os.path.join(out_dir, LOCK), 'a+')
    try:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        error = _refusal(out_dir, f)
        f.close()
        raise error from None
    try:
        f.seek(0)
        f.truncate()
        f.write(f'{os.getpid()}\n')
        f.flush()
        yield
    finally:
        f.close()   # closing releases the lock


def check_not_locked(out_dir):
    """Refuse now if another run holds out_dir (a quick error, before minutes of loading and data);
    creates nothing. run_lock still decides: a run may start between this check and the lock."""
    try:
        f = open(os.path.join(out_dir, LOCK))
    except (FileNotFoundError, NotADirectoryError):
        return
    with f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise _refusal(out_dir, f) from None
        fcntl.flock(f, fcntl.LOCK_UN)
