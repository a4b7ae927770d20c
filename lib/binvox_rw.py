"""Read and write binvox voxel files (https://www.patrickmin.com/binvox/binvox.html).

Format: a text header (`#binvox 1`, `dim D H W`, `translate tx ty tz`, `scale s`, `data`), then
run-length pairs of bytes (value, count), count 1..255, over the grid in binvox's x-z-y order
(y varies fastest). Like the original loader, reading reorders x-z-y to x-y-z (transpose (0, 2, 1)),
so grid[i, j, k] is the voxel at model x = i, y = j (up), z = k; writing undoes it.
"""
import dataclasses

import numpy as np


class BinvoxError(ValueError):
    """A binvox file that cannot be read; the message names the file and the problem."""


@dataclasses.dataclass
class Voxels:
    data: np.ndarray                    # bool, (x, y, z) after the reorder
    translate: tuple = (0.0, 0.0, 0.0)  # `binvox -cb`: the mesh's bounding-box minimum
    scale: float = 1.0                  # side of the voxel cube in model units

    @property
    def dims(self):
        return tuple(self.data.shape)


def read_binvox(path, fix_coords=True):
    """Read a binvox file into Voxels; any problem is a BinvoxError naming the file."""
    try:
        with open(path, 'rb') as f:
            raw = f.read()
    except FileNotFoundError:
        raise BinvoxError(f'{path}: voxel file not found') from None
    except OSError as e:
        raise BinvoxError(f'{path}: cannot read ({e.strerror})') from None
    return parse_binvox(raw, path, fix_coords)


def parse_binvox(raw, path='<bytes>', fix_coords=True):
    header = {}
    pos = 0
    for expected in ('#binvox', 'dim', 'translate', 'scale', 'data'):
        end = raw.find(b'\n', pos)
        if end < 0:
            raise BinvoxError(f'{path}: truncated header (no {expected!r} line)')
        line = raw[pos:end].strip()
        pos = end + 1
        try:
            words = line.decode('ascii').split()
        except UnicodeDecodeError:
            words = []
        if not words or words[0] != expected:
            raise BinvoxError(f'{path}: not a binvox file (expected a {expected!r} line, '
                              f'got {line[:40]!r})')
        header[expected] = words[1:]
    try:
        dims = tuple(int(v) for v in header['dim'])
        translate = tuple(float(v) for v in header['translate'])
        scale = float(header['scale'][0])
    except (ValueError, IndexError):
        raise BinvoxError(f'{path}: malformed header') from None
    if len(dims) != 3 or min(dims) <= 0:
        raise BinvoxError(f'{path}: malformed header (dim {" ".join(header["dim"])})')
    if len(translate) != 3 or not all(np.isfinite(translate)):
        raise BinvoxError(f'{path}: malformed header (translate {" ".join(header["translate"])})')
    if not (np.isfinite(scale) and scale > 0):
        raise BinvoxError(f'{path}: malformed header (scale {" ".join(header["scale"])})')

    body = np.frombuffer(raw, dtype=np.uint8, offset=pos)
    if body.size % 2:
        raise BinvoxError(f'{path}: truncated data (odd number of run-length bytes)')
    values, counts = body[0::2], body[1::2]
    total = int(counts.sum(dtype=np.int64))
    n = dims[0] * dims[1] * dims[2]
    if total != n:
        raise BinvoxError(f'{path}: data holds {total} voxels, header says {dims[0]}x{dims[1]}x{dims[2]} = {n}'
                          + (' (truncated file)' if total < n else ''))
    if np.any(values > 1):
        raise BinvoxError(f'{path}: corrupt data (run value {int(values.max())}, expected 0 or 1)')
    data = np.repeat(values.astype(bool), counts).reshape(dims)
    if fix_coords:
        data = np.ascontiguousarray(data.transpose(0, 2, 1))
    return Voxels(data, translate, scale)


def encode_binvox(voxels, fix_coords=True):
    """The bytes of a binvox file for Voxels (or a bare boolean (x, y, z) grid)."""
    if not isinstance(voxels, Voxels):
        voxels = Voxels(np.asarray(voxels, dtype=bool))
    data = voxels.data.astype(bool)
    if data.ndim != 3:
        raise ValueError(f'a voxel grid has 3 axes, got shape {data.shape}')
    if fix_coords:
        data = data.transpose(0, 2, 1)
    dims = data.shape  # of the file, in x-z-y order
    flat = data.reshape(-1).astype(np.uint8)
    # run starts: position 0 and wherever the value changes; runs longer than 255 are split
    starts = np.flatnonzero(np.concatenate(([True], flat[1:] != flat[:-1])))
    lengths = np.diff(np.append(starts, flat.size))
    values, counts = [], []
    for start, length in zip(starts, lengths):
        full, rest = divmod(int(length), 255)
        values += [flat[start]] * (full + (rest > 0))
        counts += [255] * full + ([rest] if rest else [])
    body = np.empty(2 * len(values), dtype=np.uint8)
    body[0::2], body[1::2] = values, counts
    t = voxels.translate
    header = (f'#binvox 1\ndim {dims[0]} {dims[1]} {dims[2]}\n'
              f'translate {t[0]:g} {t[1]:g} {t[2]:g}\nscale {voxels.scale:g}\ndata\n')
    return header.encode('ascii') + body.tobytes()


def write_binvox(voxels, path, fix_coords=True):
    """Write a binvox file atomically (a temporary file renamed into place)."""
    from lib.output.atomic import atomic_write
    raw = encode_binvox(voxels, fix_coords)

    def write(tmp):
        with open(tmp, 'wb') as f:
            f.write(raw)
    atomic_write(path, write)
    return path
