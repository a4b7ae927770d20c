"""The one progress bar of every long command (dataset generation, rendering, evaluation, photo tests).

Ours rather than Keras' Progbar: Progbar redraws with carriage returns and backspaces, which fill a log
file with one huge line; this one redraws in place on a terminal and, in a log file, writes one whole
line per tenth of the work, so `tail -f` and `grep` read it.
"""
import sys
import time


class Progress:
    """A one-line progress bar on stderr (a line per 10 % when stderr is not a terminal)."""

    def __init__(self, total, label, stream=None, enabled=True):
        self.total, self.label, self.done = total, label, 0
        self.stream = stream or sys.stderr
        self.enabled = enabled and total > 0
        self.tty = hasattr(self.stream, 'isatty') and self.stream.isatty()
        self.start = time.monotonic()
        self.last_tenth = -1

    def update(self, n=1, note=''):
        """Count n more items done; note (a loss, a count of skips) is shown after the bar."""
        self.done += n
        if not self.enabled:
            return
        elapsed = time.monotonic() - self.start
        rate = self.done / elapsed if elapsed > 0 else 0.0
        eta = (self.total - self.done) / rate if rate > 0 else 0.0
        width = 30
        filled = int(width * self.done / self.total)
        line = (f'{self.label} [{"#" * filled}{"." * (width - filled)}] {self.done}/{self.total} '
                f'{rate:.1f}/s, {int(elapsed)}s elapsed, ~{int(eta)}s left' + (f'  {note}' if note else ''))
        if self.tty:
            self.stream.write('\r' + line + ('\n' if self.done >= self.total else ''))
            self.stream.flush()
        else:
            tenth = 10 * self.done // self.total
            if tenth != self.last_tenth:
                self.last_tenth = tenth
                print(line, file=self.stream, flush=True)
