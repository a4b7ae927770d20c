"""The one progress bar of every long command (training, evaluation, dataset generation, rendering,
photo tests).

Ours rather than Keras' Progbar: Progbar redraws with carriage returns and backspaces, which fill a log
file with one huge line; this one redraws in place on a terminal and, in a log file, writes one whole
line per tenth of the work (or per `every` items), so `tail -f` and `grep` read it.
"""
import sys
import time


class Progress:
    """A one-line progress bar on stderr (a line per 10 % when stderr is not a terminal).

    start: items already done before this run (a resumed training run); the rate and the time left
    count only this run's. every: in a log file, a line per `every` items instead of per tenth.
    """

    def __init__(self, total, label, stream=None, enabled=True, start=0, every=None):
        self.total, self.label, self.done = total, label, start
        self.start_count = start
        self.stream = stream or sys.stderr
        self.enabled = enabled and total > 0
        self.tty = hasattr(self.stream, 'isatty') and self.stream.isatty()
        self.every = every
        self.start = time.monotonic()
        self.last_step = -1

    def update(self, n=1, note=''):
        """Count n more items done; note (a loss, a count of skips) is shown after the bar."""
        self.done += n
        if not self.enabled:
            return
        elapsed = time.monotonic() - self.start
        rate = (self.done - self.start_count) / elapsed if elapsed > 0 else 0.0
        eta = (self.total - self.done) / rate if rate > 0 else 0.0
        width = 30
        filled = int(width * self.done / self.total)
        speed = f'{rate:.1f}/s' if rate >= 1 or rate == 0 else f'{1 / rate:.1f} s each'   # slow work: s per item
        line = (f'{self.label} [{"#" * filled}{"." * (width - filled)}] {self.done}/{self.total} '
                f'{speed}, {int(elapsed)}s elapsed, ~{int(eta)}s left' + (f'  {note}' if note else ''))
        if self.tty:
            self.stream.write('\r' + line + ('\n' if self.done >= self.total else ''))
            self.stream.flush()
        else:
            step = self.done // self.every if self.every else 10 * self.done // self.total
            if step != self.last_step or self.done >= self.total:
                self.last_step = step
                print(line, file=self.stream, flush=True)
