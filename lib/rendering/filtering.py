"""From supersampled samples to the 137 px RGBA renderings: the tent filter and the window it needs.

A rendering is drawn at s x s samples per pixel (lib/rendering/render.py) and filtered down with a
tent of radius one output pixel. Every array here is channel-first, (C, H, W): the filter runs along
the two image axes, whose rows are long, rather than along a last axis of 4 channels, and all of it
is plain strided arithmetic (no BLAS), so results are the same bit for bit on any machine.

Most of a rendering is background. An output pixel's tent reaches one block of s samples beyond its
own on each side, so outside the blocks holding covered samples plus one block around them the
filtered image is exactly zero: only that window is filtered. Where the window is cut inside the
image its edge block is empty, so the edge samples that padding repeats are zeros, like the
neighbours they stand for: the window gives the same bits as the whole image.
"""
import numpy as np


def tent_taps(supersample):
    """Offsets and weights of a tent filter of radius one output pixel over the samples of a pixel.

    Partly transparent edge pixels are 0.23 of the foreground of the real renderings (Blender filters
    over 1.5 px); a box filter over each pixel gives 0.12 on the same silhouettes, the tent 0.19 with
    3x3 samples and 0.23 with 4x4.
    """
    s = supersample
    k = np.arange(-s, 2 * s)
    w = np.clip(1.0 - np.abs((k + 0.5) / s - 0.5), 0.0, None)
    keep = w > 0
    return k[keep], w[keep] / w[keep].sum()


def downsample(image, supersample, axes=(0, 1)):
    """Filter a supersampled image down by s along two axes (rows first, then columns) with the tent
    filter; the image is extended by s samples at each end of an axis by repeating its edge samples.
    axes: the (row, column) axes, (0, 1) for (H*s, W*s[, C]) images, (1, 2) for (C, H*s, W*s)."""
    s = supersample
    if s == 1:
        return image
    offsets, weights = tent_taps(s)
    for axis in axes:
        n = image.shape[axis] // s
        shape = list(image.shape)
        shape[axis] = n
        out, term = np.empty(shape), np.empty(shape)
        for j, (k, w) in enumerate(zip(offsets, weights)):
            _weighted_tap(image, axis, s, k, w, out if j == 0 else term)
            if j:
                out += term
        image = out
    return image


def _weighted_tap(image, axis, s, k, w, into):
    """into[i] = w * image[k + s i] along axis, the index held inside the image (its edge samples
    repeated, as np.pad(mode='edge') would): the tap of every output sample without a padded copy."""
    length, n = image.shape[axis], into.shape[axis]
    lo = max(0, -(k // s))                               # first i with k + s i >= 0
    hi = max(lo, min(n, (length - 1 - k) // s + 1))      # past the last i with k + s i <= length - 1
    index = [slice(None)] * image.ndim

    def at(part):
        index[axis] = part
        return tuple(index)
    if hi > lo:
        np.multiply(w, image[at(slice(k + s * lo, k + s * (hi - 1) + 1, s))], out=into[at(slice(lo, hi))])
    if lo > 0:
        np.multiply(w, image[at(slice(0, 1))], out=into[at(slice(0, lo))])
    if hi < n:
        np.multiply(w, image[at(slice(length - 1, length))], out=into[at(slice(hi, n))])


def window(hit, s):
    """The sample rows and columns (y0, y1, x0, x1), whole output pixels, outside which the filtered
    rendering of the covered samples `hit` (H*s, W*s) is exactly zero; None when nothing is covered."""
    rows, cols = np.flatnonzero(hit.any(axis=1)), np.flatnonzero(hit.any(axis=0))
    if rows.size == 0:
        return None
    return _window_of(int(rows[0]), int(rows[-1]), int(cols[0]), int(cols[-1]), hit.shape, s)


def _window_of(first_row, last_row, first_col, last_col, shape, s):
    """window() from the first and last covered sample rows and columns of an (H*s, W*s) image."""
    h, w = shape[0] // s, shape[1] // s
    return (s * max(first_row // s - 1, 0), s * min(last_row // s + 2, h),
            s * max(first_col // s - 1, 0), s * min(last_col // s + 2, w))


class Samples:
    """The covered samples of a rendering's window: where they are and the values they get.

    values: (C + 1, h, w) zeros for the window, the last channel coverage (1 at covered samples);
    colour channels are written at `flat` (row-major indices of the covered samples in the window,
    in np.nonzero's order), with `tri` their triangles and `rows`, `cols` their place in the window
    (box: its sample rows and columns (y0, y1, x0, x1) in the whole supersampled image).
    """

    def __init__(self, ids, s, channels):
        """From an (H*s, W*s) image of triangle ids, -1 where nothing is covered."""
        self.s = s
        self.box = window(ids >= 0, s)
        if self.box is None:
            self.flat = self.tri = self.rows = self.cols = np.zeros(0, dtype=np.int64)
            return
        y0, y1, x0, x1 = self.box
        sub = ids[y0:y1, x0:x1].ravel()
        self.flat = np.flatnonzero(sub >= 0)
        self.tri = sub[self.flat]
        self._zero_values(channels)
        self.rows, self.cols = np.divmod(self.flat, x1 - x0)

    @classmethod
    def covering(cls, at_row, at_col, tri, shape, s, channels):
        """The Samples of the ids image of shape (H*s, W*s) whose covered samples are at (at_row,
        at_col) (int64, row-major order) with triangles tri (render.covered_pixels's result), without
        that image to fill and search."""
        if at_row.size == 0:
            return cls(np.full((s, s), -1, dtype=np.int64), s, channels)
        self = cls.__new__(cls)
        self.s = s
        # row-major: the first and last samples hold the first and last rows
        self.box = _window_of(int(at_row[0]), int(at_row[-1]), int(at_col.min()), int(at_col.max()), shape, s)
        y0, y1, x0, x1 = self.box
        self.rows, self.cols = at_row - y0, at_col - x0
        self.flat = self.rows * (x1 - x0)
        self.flat += self.cols
        self.tri = tri
        self._zero_values(channels)
        return self

    def _zero_values(self, channels):
        y0, y1, x0, x1 = self.box
        self.values = np.zeros((channels + 1, y1 - y0, x1 - x0))
        self.values[-1].reshape(-1)[self.flat] = 1.0

    def set_colour(self, colour):
        """Colour channels of the covered samples: (N, C) (or (N,) for one channel)."""
        if self.box is None:
            return
        colour = np.asarray(colour).reshape(len(self.flat), -1)
        for c in range(colour.shape[1]):
            self.values[c].reshape(-1)[self.flat] = colour[:, c]

    def set_colour_rows(self, rows, sel=None):
        """Colour channels of the covered samples sel (indices into them, None: all) from (C, n) rows."""
        at = self.flat if sel is None else self.flat[sel]
        for c, row in enumerate(rows):
            self.values[c].reshape(-1)[at] = row

    def rgba(self, size):
        """(size, size, 4) uint8 RGBA: the colour of a partly covered pixel is the mean over its
        covered samples (straight alpha); one colour channel is grey; RGB is 0 where alpha is 0."""
        rgba = np.zeros((size, size, 4), dtype=np.uint8)
        if self.box is None:
            return rgba
        y0, y1, x0, x1 = (v // self.s for v in self.box)
        filtered = downsample(self.values, self.s, axes=(1, 2))
        summed, coverage = filtered[:-1], filtered[-1:]
        colour = np.divide(summed, coverage, out=np.zeros_like(summed), where=coverage > 0)
        part = rgba[y0:y1, x0:x1]
        part[..., :3] = np.moveaxis(np.round(np.clip(colour, 0, 1) * 255.0).astype(np.uint8), 0, -1)
        part[..., 3] = np.round(np.clip(coverage[0], 0, 1) * 255.0).astype(np.uint8)
        part[part[..., 3] == 0, :3] = 0
        return rgba
