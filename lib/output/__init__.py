"""How the port writes what people read, used by every room: files written whole or not at all
(atomic.py), progress bars (progress.py), plots drawn off-screen (figures.py), one training run per
output folder (run_lock.py)."""
