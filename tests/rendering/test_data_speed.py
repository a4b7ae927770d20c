"""Issue 27's faster data making keeps the bytes: the embedded dataset version 2 revision 3 as the
generator that made data/embedded_v2 wrote it, and each exact rewrite of the renderer checked against
the plain formula it replaces. Speed itself is measured by ./run.sh bench (lib/bench/data_speed.py),
never by a test."""
import hashlib

import numpy as np
import pytest

from datasets.embedded.generator import REVISIONS, SYNSETS, build_object, model_id, model_rng
from datasets.embedded.voxels import convex_part_surface, voxelise
from lib.bench.data_speed import bumpy_sphere, data_ratios
from lib.rendering.filtering import Samples, downsample, tent_taps
from lib.rendering.hits import dot_rows, unit_columns
from lib.rendering.render import Camera, _cross3, corner_max, corner_min, covered_pixels, rasterize, unit_rows
from lib.rendering.shading import _diffuse, value_noise

# sha256 (first 16 hex digits) over the names and bytes of every file of model 0 of each category, seed
# 0, version 2 revision 3: recorded from the generator before issue 27 (commit f1dc2e2); the same
# digests hold for the files of data/embedded_v2 that generator wrote.
REVISION_3_DIGESTS = {
    '02691156': '2ec5e882e0ab1f38', '02828884': '1d452054870c4a4e', '02933112': 'b970ef2d115c522a',
    '02958343': '9d27b566e1ddb79d', '03001627': 'ec615d6c79dd8455', '03211117': 'dbf55650f2ebeec8',
    '03636649': 'b1ccbcfaf1eb0ff8', '03691459': '2595ade5dfa838d2', '04090263': '2435bd423950fe59',
    '04256520': '370f2e79f18000c7', '04379243': '3ca9943077d13c33', '04401088': 'b7b5011d3cca2715',
    '04530566': '8a0eced98be9744b',
}


def _digest(root, synset):
    """The digest of model 0 of a category as the generator wrote it under root (the dataset the
    tests share, tests/conftest.py: seed 0, version 2), names taken relative to root."""
    mid = model_id(0, synset, 0, version=2)
    files = {str(p.relative_to(root)): p for part in ('ShapeNetRendering', 'ShapeNetVox32')
             for p in (root / part / synset / mid).rglob('*') if p.is_file()}
    assert files, f'model 0 of {synset} is missing under {root}'
    h = hashlib.sha256()
    for name in sorted(files):
        h.update(name.encode())
        h.update(files[name].read_bytes())
    return h.hexdigest()[:16]


def test_version_2_revision_3_bytes_of_a_chair_and_an_airplane(embedded_one_per_category):
    assert REVISIONS[2] == 3, 'a new revision needs new digests here'
    for synset in ('03001627', '02691156'):
        assert _digest(embedded_one_per_category, synset) == REVISION_3_DIGESTS[synset], synset


@pytest.mark.slow   # reads every category (generated once for the session)
def test_version_2_revision_3_bytes_of_every_category(embedded_one_per_category):
    for synset, want in REVISION_3_DIGESTS.items():
        assert _digest(embedded_one_per_category, synset) == want, synset


def test_unit_rows_is_the_linalg_norm_division_bit_for_bit():
    rng = np.random.default_rng(0)
    d = rng.normal(size=(5000, 3)) * np.exp(rng.normal(size=(5000, 3)) * 3)
    assert np.array_equal(unit_rows(d), d / np.linalg.norm(d, axis=-1, keepdims=True))


def test_corner_min_and_max_are_the_reductions_over_the_corners():
    rng = np.random.default_rng(9)
    a = rng.normal(size=(3000, 3)) * 300
    a[rng.random(a.shape) < 0.2] = 7.0   # ties
    a[:10] = [[np.nan, 1, 2], [1, np.nan, 2], [1, 2, np.nan], [np.inf, 1, -np.inf], [-0.0, 0.0, 5],
              [0.0, -0.0, -5], [3, 3, 3], [-np.inf, -np.inf, 1], [2, 1, 0], [0, 1, 2]]
    assert np.array_equal(corner_min(a), a.min(1), equal_nan=True)
    assert np.array_equal(corner_max(a), a.max(1), equal_nan=True)


def test_cross3_is_np_cross_bit_for_bit():
    rng = np.random.default_rng(7)
    for _ in range(2000):
        a, b = rng.normal(size=3) * np.exp(rng.normal(size=3) * 3), rng.normal(size=3)
        assert np.array_equal(_cross3(a, b), np.cross(a, b))


def test_dot_rows_is_einsum_bit_for_bit():
    rng = np.random.default_rng(4)
    for n in (1, 2, 3, 7, 30001):
        a, b = (rng.normal(size=(n, 3)) * np.exp(rng.normal(size=(n, 3)) * 3) for _ in range(2))
        assert np.array_equal(dot_rows(a.T.copy(), b.T.copy()), np.einsum('nk,nk->n', a, b)), n


def test_unit_columns_and_dot_rows_into_buffers_keep_the_bits():
    """The highlights and the rays normalise and dot into reused buffers: unit_rows's and einsum's bits."""
    rng = np.random.default_rng(8)
    a, b = (rng.normal(size=(4001, 3)) * np.exp(rng.normal(size=(4001, 3)) * 3) for _ in range(2))
    length, square = np.full(4001, np.nan), np.full(4001, np.nan)
    assert np.array_equal(unit_columns(a.T.copy(), length, square), unit_rows(a).T)
    out = dot_rows(a.T.copy(), b.T.copy(), out=length, scratch=square)
    assert out is length and np.array_equal(out, np.einsum('nk,nk->n', a, b))


def test_diffuse_looked_up_per_face_and_side_is_the_per_sample_diffuse():
    """shading.shade_surface looks the diffuse term up per face and side; it was computed per sample
    from the sample's normal turned towards the camera (BLAS's n @ l on (N, 3) rows either way)."""
    rng = np.random.default_rng(5)
    normals = unit_rows(rng.normal(size=(300, 3)))
    lights = (unit_rows(rng.normal(size=3)), unit_rows(rng.normal(size=3)))
    tri = rng.integers(0, len(normals), 40000)
    away = rng.random(len(tri)) < 0.4
    sided = _diffuse(np.concatenate([normals, -normals]), lights, 1.1)
    per_sample = _diffuse(normals[tri] * np.where(away, -1.0, 1.0)[:, None], lights, 1.1)
    assert np.array_equal(sided[tri + len(normals) * away], per_sample)


def _objects(per_category):
    return [build_object(synset, model_rng(3, synset, i), version)
            for version in (1, 2) for synset in SYNSETS for i in range(per_category)]


def test_voxelise_tests_only_the_voxel_centres_inside_a_parts_bounds_and_gets_the_same_grid():
    for parts in _objects(2):
        grid, _ = voxelise(parts)
        n = grid.shape[0]
        vertices = np.concatenate([p.vertices for p in parts])
        side = float(np.ptp(vertices, axis=0).max())
        centres = (np.arange(n) + 0.5) / n * side - side / 2
        points = np.stack(np.meshgrid(centres, centres, centres, indexing='ij'), axis=-1).reshape(-1, 3)
        plain = np.zeros(len(points), dtype=bool)
        for part in parts:
            inside = part.inside(points)
            box = part.bounds()
            assert box is not None
            assert np.all((points[inside] >= box[0]) & (points[inside] <= box[1]))
            plain |= inside
        plain = plain.reshape(grid.shape)
        for part in parts:
            plain |= convex_part_surface(part.vertices, part.faces, n, side, inset=0.25 * side / n)
        assert np.array_equal(grid, plain)


def test_part_bounds_hold_every_point_inside_the_part():
    rng = np.random.default_rng(6)
    for parts in _objects(1):
        for part in parts:
            lo, hi = part.bounds()
            centre, half = (lo + hi) / 2, (hi - lo) / 2
            points = centre + rng.uniform(-1.5, 1.5, (4000, 3)) * half
            inside = part.inside(points)
            assert inside.any()
            assert np.all((points[inside] >= lo) & (points[inside] <= hi))


def _plain_value_noise(points, seed):
    """value_noise as first written: one corner at a time, hashed from its lattice point."""
    def hash01(ix, iy, iz):
        h = (ix * 73856093) ^ (iy * 19349663) ^ (iz * 83492791) ^ (seed * 2654435761)
        h = (h ^ (h >> 13)) * 1274126177
        h = h ^ (h >> 16)
        return (h & 0xFFFFFF).astype(np.float64) / float(1 << 24)
    base = np.floor(points)
    f = points - base
    w = f * f * (3.0 - 2.0 * f)
    i = base.astype(np.int64)
    out = np.zeros(len(points))
    for dx in (0, 1):
        for dy in (0, 1):
            for dz in (0, 1):
                weight = ((w[:, 0] if dx else 1 - w[:, 0]) * (w[:, 1] if dy else 1 - w[:, 1])
                          * (w[:, 2] if dz else 1 - w[:, 2]))
                out += weight * hash01(i[:, 0] + dx, i[:, 1] + dy, i[:, 2] + dz)
    return 2.0 * out - 1.0


def test_value_noise_is_the_plain_corner_loop_bit_for_bit():
    rng = np.random.default_rng(1)
    spread = rng.normal(size=(3000, 3)) * 40            # more lattice points than points: hashed per point
    clustered = rng.random((3000, 3)) * 6 - [2.5, 80.2, -3e4]   # fewer: a table of the lattice box
    for points in (spread, clustered, clustered[:1]):
        for seed in (0, 7, (1 << 30) - 1):
            assert np.array_equal(value_noise(points, seed), _plain_value_noise(points, seed))


def _plain_filter(ids, values, s, size):
    """The whole-image filter: np.pad with edge values, the taps in order, rows then columns."""
    offsets, weights = tent_taps(s)
    image = np.concatenate([values, (ids >= 0)[..., None].astype(np.float64)], axis=-1)
    for axis in (0, 1):
        pad = [(0, 0)] * 3
        pad[axis] = (s, s)
        padded = np.pad(image, pad, mode='edge')
        out = 0.0
        for k, w in zip(offsets, weights):
            index = [slice(None)] * 3
            index[axis] = slice(s + k, s + k + s * size, s)
            out = out + w * padded[tuple(index)]
        image = out
    coverage = image[..., -1:]
    colour = np.divide(image[..., :-1], coverage, out=np.zeros_like(image[..., :-1]), where=coverage > 0)
    rgba = np.zeros((size, size, 4), dtype=np.uint8)
    rgba[..., :3] = np.round(np.clip(colour, 0, 1) * 255.0).astype(np.uint8)
    rgba[..., 3] = np.round(np.clip(coverage[..., 0], 0, 1) * 255.0).astype(np.uint8)
    rgba[rgba[..., 3] == 0, :3] = 0
    return rgba


@pytest.mark.parametrize('where', ['inside', 'touching the top left edge', 'touching the bottom right edge', 'empty'])
def test_filtering_the_window_gives_the_bits_of_filtering_the_whole_image(where):
    size, s = 40, 3
    rng = np.random.default_rng(2)
    ids = np.full((size * s, size * s), -1)
    box = {'inside': (30, 70, 45, 90), 'touching the top left edge': (0, 50, 0, 33),
           'touching the bottom right edge': (61, 120, 80, 120), 'empty': (0, 0, 0, 0)}[where]
    y0, y1, x0, x1 = box
    ids[y0:y1, x0:x1] = np.where(rng.random((y1 - y0, x1 - x0)) < 0.7, rng.integers(0, 5, (y1 - y0, x1 - x0)), -1)
    values = np.where((ids >= 0)[..., None], rng.random(ids.shape + (3,)), 0.0)
    hits = Samples(ids, s, 3)
    hits.set_colour(values[ids >= 0])   # row-major over the image is row-major over the window
    got = hits.rgba(size)
    assert np.array_equal(got, _plain_filter(ids, values, s, size))
    assert (got[..., 3] > 0).any() == (where != 'empty')


@pytest.mark.parametrize('where', ['inside', 'touching the top left edge', 'touching the bottom right edge', 'empty'])
def test_samples_from_the_covered_samples_are_those_from_the_ids_image(where):
    """render_mesh builds its Samples from covered_pixels's lists, not from an image of ids."""
    size, s = 40, 3
    rng = np.random.default_rng(6)
    ids = np.full((size * s, size * s), -1)
    y0, y1, x0, x1 = {'inside': (31, 70, 44, 91), 'touching the top left edge': (0, 50, 0, 33),
                      'touching the bottom right edge': (61, 120, 80, 120), 'empty': (0, 0, 0, 0)}[where]
    ids[y0:y1, x0:x1] = np.where(rng.random((y1 - y0, x1 - x0)) < 0.6, rng.integers(0, 9, (y1 - y0, x1 - x0)), -1)
    at_row, at_col = np.nonzero(ids >= 0)
    want = Samples(ids, s, 3)
    got = Samples.covering(at_row, at_col, ids[at_row, at_col], ids.shape, s, 3)
    assert got.box == want.box
    for name in ('flat', 'tri', 'rows', 'cols') + (('values',) if want.box is not None else ()):
        assert np.array_equal(getattr(got, name), getattr(want, name)), name
        assert getattr(got, name).dtype == getattr(want, name).dtype, name


def test_covered_pixels_lists_the_rasterized_image_in_row_major_order():
    vertices, faces = bumpy_sphere(3000)
    camera = Camera(75, 12, 0.7, size=137 * 3, focal=Camera(75, 12, 0.7).focal_length * 3)
    col, row, depth = camera.project(vertices[faces])
    at_row, at_col, tri = covered_pixels(col, row, depth, 300, 260)   # cut by a smaller image
    ids = np.full((300, 260), -1)
    ids[at_row, at_col] = tri
    assert at_row.size > 1000 and (ids[-1] >= 0).any()
    assert np.array_equal(np.nonzero(ids >= 0), (at_row, at_col))   # sorted, and no pixel twice
    assert (tri >= 0).all()


def test_the_channel_first_filter_is_the_channel_last_one():
    rng = np.random.default_rng(3)
    image = rng.random((60, 45, 4))
    assert np.array_equal(np.moveaxis(downsample(np.moveaxis(image, -1, 0).copy(), 3, axes=(1, 2)), 0, -1),
                          downsample(image, 3))


def test_rasterizer_keeps_the_nearest_triangle_of_a_large_mesh():
    vertices, faces = bumpy_sphere(6000)
    camera = Camera(30, 27, 0.8, size=137 * 3, focal=Camera(30, 27, 0.8).focal_length * 3)
    col, row, depth = camera.project(vertices[faces])
    ids = rasterize(col, row, depth, camera.size, camera.size)
    hit = ids >= 0
    # a closed surface seen from outside: every covered sample's triangle faces the camera
    normals = np.cross(vertices[faces[:, 1]] - vertices[faces[:, 0]], vertices[faces[:, 2]] - vertices[faces[:, 0]])
    centroids = vertices[faces].mean(axis=1)
    outward = normals * np.sign(np.einsum('nk,nk->n', normals, centroids))[:, None]   # star-shaped from 0
    facing = np.einsum('nk,nk->n', outward, centroids - camera.center) < 0
    seen = np.unique(ids[hit])
    assert 0.1 < hit.mean() < 0.6
    assert facing[seen].mean() > 0.99


def test_bumpy_sphere_is_closed_and_normalised():
    vertices, faces = bumpy_sphere(40000)
    assert 38000 < len(faces) < 42000
    edges = np.sort(np.concatenate([faces[:, [0, 1]], faces[:, [1, 2]], faces[:, [2, 0]]]), axis=1)
    _, counts = np.unique(edges, axis=0, return_counts=True)
    assert (counts == 2).all()   # every edge shared by two triangles: closed
    lo, hi = vertices.min(axis=0), vertices.max(axis=0)
    assert np.allclose((lo + hi) / 2, 0) and np.isclose(np.linalg.norm(hi - lo), 1.0)


def test_data_ratios_hold_the_rows_to_the_issue_target():
    rows = {'datagen': {'models_per_s_per_core': 6.0, 'ratio_to_target': 1.2, 'busy': False},
            'shapes': {'triangles_measured': 39600, 'cpu_per_10k_triangles_s': 0.3, 'over_embedded': 4.0,
                       'busy': True}}
    ratios = data_ratios(rows)
    assert ratios['datagen']['met'] is True and ratios['datagen']['target'] == 1.0
    assert data_ratios({'datagen': dict(rows['datagen'], ratio_to_target=0.7)})['datagen']['met'] is False
    assert ratios['shapes']['target'] is None and ratios['shapes']['busy']
    assert data_ratios({}) == {}
