"""binvox reading and writing: round trips, the axis reorder, and the real ShapeNet sample."""
import re

import numpy as np
import pytest

from lib.binvox_rw import BinvoxError, Voxels, encode_binvox, parse_binvox, read_binvox, write_binvox


@pytest.mark.parametrize('shape, density', [((32, 32, 32), 0.05), ((32, 32, 32), 0.5), ((5, 7, 9), 0.3),
                                            ((64, 64, 64), 0.9), ((1, 1, 1), 1.0)])
def test_round_trip_random_grids(shape, density, tmp_path):
    rng = np.random.default_rng(sum(shape))
    grid = rng.random(shape) < density
    voxels = Voxels(grid, translate=(-0.25, 0.125, 1.5), scale=0.75)
    path = write_binvox(voxels, tmp_path / 'model.binvox')
    back = read_binvox(path)
    assert back.data.dtype == bool and back.data.shape == shape
    assert np.array_equal(back.data, grid)
    assert back.translate == (-0.25, 0.125, 1.5) and back.scale == 0.75


@pytest.mark.parametrize('fill', [False, True])
def test_round_trip_all_empty_and_all_full(fill):
    # 32768 equal voxels: runs longer than 255 must be split and still add up
    grid = np.full((32, 32, 32), fill)
    raw = encode_binvox(grid)
    assert np.array_equal(parse_binvox(raw).data, grid)
    body = raw[raw.index(b'data\n') + 5:]
    assert len(body) == 2 * -(-32 ** 3 // 255)   # ceil(32768 / 255) runs of (value, count)


def test_read_reorders_xzy_to_xyz():
    grid = np.zeros((4, 5, 6), bool)
    grid[1, 2, 3] = True
    raw = encode_binvox(grid)
    assert raw.splitlines()[1] == b'dim 4 6 5'             # the file is in x-z-y order
    assert parse_binvox(raw, fix_coords=False).data[1, 3, 2]
    assert parse_binvox(raw).data[1, 2, 3]


def test_real_sample_reads_to_plausible_32_grids(shapenet_sample):
    paths = sorted(shapenet_sample.glob('ShapeNetVox32/*/*/model.binvox'))
    assert len(paths) == 3
    extents = {}
    for path in paths:
        voxels = read_binvox(path)
        assert voxels.data.shape == (32, 32, 32) and voxels.data.dtype == bool
        assert 0.005 < voxels.data.mean() < 0.4, path   # thin shells and legs, not empty, not solid
        # binvox -cb scales the longest side of the model to the whole cube
        occupied = [np.flatnonzero(voxels.data.any(axis=tuple(a for a in range(3) if a != i)))
                    for i in range(3)]
        extents[path.parts[-3]] = [int(o[-1] - o[0] + 1) for o in occupied]
        assert max(extents[path.parts[-3]]) >= 30
    # y is up after the reorder: an airplane is flattest along y, a chair is tallest along y
    assert np.argmin(extents['02691156']) == 1
    assert np.argmax(extents['03001627']) == 1


def test_real_sample_re_encodes_byte_identically(shapenet_sample):
    for path in sorted(shapenet_sample.glob('ShapeNetVox32/*/*/model.binvox')):
        assert encode_binvox(read_binvox(path)) == path.read_bytes(), path


def test_truncated_and_garbage_files_name_the_file(shapenet_sample, tmp_path):
    raw = next(shapenet_sample.glob('ShapeNetVox32/*/*/model.binvox')).read_bytes()
    truncated = tmp_path / 'truncated.binvox'
    truncated.write_bytes(raw[:len(raw) - 10])
    with pytest.raises(BinvoxError, match=rf"^{re.escape(str(truncated))}: .*truncated"):
        read_binvox(truncated)
    garbage = tmp_path / 'garbage.binvox'
    garbage.write_bytes(b'\x89PNG\r\n\x1a\n' + bytes(100))
    with pytest.raises(BinvoxError, match=rf"^{re.escape(str(garbage))}: not a binvox file"):
        read_binvox(garbage)


@pytest.mark.parametrize('line, name, message', [
    (b'dim 32 32', 'dim', r'malformed header \(dim 32 32\)'),
    (b'translate 0 0', 'translate', r'malformed header \(translate 0 0\)'),
    (b'translate 0 nan 0', 'translate', r'malformed header \(translate 0 nan 0\)'),
    (b'scale nan', 'scale', r'malformed header \(scale nan\)'),
    (b'scale -1', 'scale', r'malformed header \(scale -1\)'),
])
def test_malformed_headers_name_the_field(line, name, message):
    good = encode_binvox(Voxels(np.ones((4, 4, 4), bool)))
    lines = good.split(b'\n')
    at = next(i for i, l in enumerate(lines) if l.startswith(name.encode()))
    bad = b'\n'.join(lines[:at] + [line] + lines[at + 1:])
    with pytest.raises(BinvoxError, match='^x.binvox: ' + message):
        parse_binvox(bad, 'x.binvox')
