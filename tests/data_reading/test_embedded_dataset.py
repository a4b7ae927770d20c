"""The embedded dataset generator (datasets/embedded/generator.py): layout, formats, conventions of the real
ShapeNet files, determinism, atomic and resumable generation, calibration of its renderings."""
import io
import json
import pathlib
import re
import subprocess

import numpy as np
import pytest
from PIL import Image
from scipy import ndimage

import datasets.embedded.generator as embedded
from datasets.embedded.generator import (SHAPENET_MODELS, EmbeddedDatasetError, build_object, category_counts,
                               dataset_is_complete, describe_counts, ensure_embedded_dataset, generate_dataset,
                               model_id, planned_models)
from datasets.embedded.primitives import box, cylinder, ellipsoid, merge_meshes
from datasets.embedded.shapes import BUILDERS
from datasets.embedded.voxels import normalise, voxelise
from lib.binvox_rw import read_binvox
from lib.rendering.calibration import MIN_MEAN_IOU, MIN_MODEL_IOU, calibrate, verdict
from lib.config import CATEGORY_NAMES, load_config
from tests.conftest import REPO

FEW = ['03001627', '02691156']   # a chair and an airplane: enough for the byte-level tests


def tree_bytes(root):
    """{relative path: bytes} of every dataset file under root (not the manifest or lock)."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob('*'))
            if p.is_file() and p.parts[len(root.parts)] in ('ShapeNetRendering', 'ShapeNetVox32')}


def _models(root):
    return sorted((p.parent.name, p.name) for p in (root / 'ShapeNetVox32').glob('*/*'))


@pytest.mark.slow   # generates and renders every category
def test_every_category_is_generated_in_the_shapenet_layout(embedded_one_per_category):
    root = embedded_one_per_category
    assert sorted(BUILDERS) == sorted(CATEGORY_NAMES)
    models = _models(root)
    assert [s for s, _ in models] == sorted(CATEGORY_NAMES)
    for synset, model in models:
        assert re.fullmatch(r'[0-9a-f]{32}', model)
        rendering = root / 'ShapeNetRendering' / synset / model / 'rendering'
        assert sorted(p.name for p in rendering.iterdir()) == sorted(
            [f'{i:02d}.png' for i in range(24)] + ['rendering_metadata.txt', 'renderings.txt'])
        assert (rendering / 'renderings.txt').read_text() == ''.join(f'{i:02d}.png\n' for i in range(24))


def test_metadata_has_24_lines_of_5_columns_drawn_like_the_original(embedded_one_per_category):
    for meta in embedded_one_per_category.glob('ShapeNetRendering/*/*/rendering/rendering_metadata.txt'):
        rows = np.array([[float(v) for v in line.split()] for line in meta.read_text().splitlines()])
        assert rows.shape == (24, 5)
        az, el, rot, ratio, fov = rows.T
        assert np.all((0 <= az) & (az < 360)) and np.all((25 <= el) & (el < 30))
        assert np.all(rot == 0) and np.all(fov == 25)
        assert np.all((0.65 <= ratio) & (ratio < 0.95))


def test_renderings_are_137_rgba_with_transparent_background(embedded_one_per_category):
    values = []
    for png in sorted(embedded_one_per_category.glob('ShapeNetRendering/*/*/rendering/*.png'))[::5]:
        with Image.open(png) as im:
            assert im.format == 'PNG' and im.mode == 'RGBA' and im.size == (137, 137)
            a = np.asarray(im)
        alpha = a[..., 3]
        assert alpha[0, 0] == alpha[0, -1] == alpha[-1, 0] == alpha[-1, -1] == 0
        assert 0.005 < np.mean(alpha > 0) < 0.8, png
        assert np.all(a[alpha == 0, :3] == 0)
        values.append(a[alpha == 255, :3].max(axis=1).mean())
    # brightness (HSV value) of the object pixels: the real renderings' mean is 0.50 (coverage report
    # of real-eval); generated ones vary around similar levels
    assert 100 < np.mean(values) < 200


def test_version_1_renderings_are_grey(tmp_path):
    from datasets.embedded.generator import make_model
    mid, files = make_model(0, '03001627', 0, version=1)
    a = np.asarray(Image.open(io.BytesIO(files[f'ShapeNetRendering/03001627/{mid}/rendering/00.png'])))
    assert np.all(a[..., 0] == a[..., 1]) and np.all(a[..., 1] == a[..., 2])


def test_voxels_are_solid_32_cubed_with_the_binvox_cb_header(embedded_one_per_category):
    for path in embedded_one_per_category.glob('ShapeNetVox32/*/*/model.binvox'):
        v = read_binvox(path)
        assert v.data.shape == (32, 32, 32)
        # ShapeNetCore v1 normalisation: bounding box centred on the origin, diagonal 1; binvox -cb:
        # translate = bounding-box minimum, scale = longest side
        extent = -2 * np.array(v.translate)
        assert np.linalg.norm(extent) == pytest.approx(1.0, abs=1e-5)
        assert v.scale == pytest.approx(extent.max(), abs=1e-5)
        # the occupancy spans the longest axis and is centred on the others, as in ShapeNetVox32
        for axis in range(3):
            occupied = np.flatnonzero(v.data.any(axis=tuple(a for a in range(3) if a != axis)))
            if extent[axis] == extent.max():
                assert occupied[0] == 0 and occupied[-1] == 31
            assert abs(occupied[0] + occupied[-1] - 31) <= 2, (path, axis, occupied[[0, -1]])
        # solid: no enclosed empty voxels
        np.testing.assert_array_equal(ndimage.binary_fill_holes(v.data), v.data)


def test_voxelisation_of_primitives_matches_their_volume():
    parts = normalise([box((0.5, 0.3, 0.2), (0.1, 0.2, 0.3))])
    grid, vox = voxelise(parts)
    # the box fills the grid along x, and 0.6 and 0.4 of it along y and z: 32 x 19.2 x 12.8 voxels;
    # boundary voxels partly inside count as occupied (binvox marks every voxel the surface crosses)
    assert 32 * 19 * 12 <= grid.sum() <= 32 * 21 * 15
    parts = normalise([ellipsoid((0.4, 0.4, 0.4)), cylinder(0.05, 0.8, (0, -0.4, 0))])
    grid, _ = voxelise(parts)
    np.testing.assert_array_equal(ndimage.binary_fill_holes(grid), grid)
    assert grid[16, 31, 16] and grid[16, 0, 16]   # the thin rod reaches both ends


def test_generated_renderings_calibrate_against_their_voxels(embedded_one_per_category):
    # the thresholds on generated data: the mesh silhouettes against their own voxelisation
    results = list(calibrate(str(embedded_one_per_category)))
    assert len(results) == 13
    for r in results:
        assert not r.problem and r.mean >= MIN_MODEL_IOU, (r.synset, r.mean)
    passed, mean, text = verdict(results)
    assert passed and mean >= MIN_MEAN_IOU, text


def test_each_builder_varies_its_objects():
    for synset, builder in BUILDERS.items():
        sizes = {len(build_object(synset, np.random.default_rng(i))) for i in range(6)}
        extents = [np.ptp(merge_meshes(build_object(synset, np.random.default_rng(i)))[0], axis=0).round(3).tobytes()
                   for i in range(6)]
        assert len(set(extents)) == 6, synset   # every object has other proportions
        assert max(sizes) >= 3, synset          # and is made of several parts


@pytest.mark.slow   # generates and renders every category
def test_every_category_has_its_parts():
    # each object is recognisable as its category: the parts the issue names, read off its voxels
    # (tests/shape_checks.py); other seeds than the shipped dataset's
    from datasets.embedded.generator import model_rng
    from tests.shape_checks import CHECKS, crop
    grids = {(synset, i): crop(voxelise(build_object(synset, model_rng(1, synset, i)))[0])
             for synset in BUILDERS for i in range(8)}
    assert set(CHECKS) == set(BUILDERS)
    for (synset, i), grid in grids.items():
        parts = CHECKS[synset](grid)
        assert all(parts.values()), f'{CATEGORY_NAMES[synset]} {i} lacks {[p for p, ok in parts.items() if not ok]}'
    # the most specific checks tell their category from all the others
    for synset in ('03001627', '02691156', '04090263', '02958343'):
        others = [key for key, grid in grids.items() if key[0] != synset and all(CHECKS[synset](grid).values())]
        assert len(others) <= 2, (CATEGORY_NAMES[synset], others)


def test_the_part_checks_hold_for_the_real_shapenet_sample(shapenet_sample):
    # the same checks on real ShapeNetVox32 models: the generated objects share their axes and poses
    from tests.shape_checks import CHECKS, crop
    voxels = sorted(shapenet_sample.glob('ShapeNetVox32/*/*/model.binvox'))
    assert len(voxels) == 3
    for path in voxels:
        parts = CHECKS[path.parts[-3]](crop(read_binvox(str(path)).data))
        assert all(parts.values()), (path, parts)


def test_same_seed_same_bytes_whatever_the_number_of_workers(tmp_path):
    generate_dataset(tmp_path / 'a', 1, seed=7, workers=1, synsets=FEW, progress=False)
    generate_dataset(tmp_path / 'b', 1, seed=7, workers=2, synsets=FEW, progress=False)
    generate_dataset(tmp_path / 'c', 1, seed=8, workers=1, synsets=FEW, progress=False)
    a, b, c = (tree_bytes(tmp_path / n) for n in 'abc')
    assert len(a) == 2 * 27 and a == b
    assert set(a).isdisjoint(c)   # another seed: other ids


def test_model_ids_sort_independently_of_generation_order():
    plan = planned_models(0, {'03001627': 50})
    ids = [m for _, _, m in plan]
    assert len(set(ids)) == 50 and ids != sorted(ids)
    order = np.argsort(ids)   # generation index of the models in sorted (split) order
    last = order[40:]
    assert 10 < np.mean(last) < 40   # the 20 % test split is spread over the indices
    # a larger dataset keeps the first models
    assert planned_models(0, {'03001627': 10})[:5] == planned_models(0, {'03001627': 5})
    assert model_id(0, '03001627', 3) == plan[3][2]


def test_interrupted_generation_leaves_only_complete_models_and_resumes(tmp_path, monkeypatch):
    reference = tmp_path / 'reference'
    generate_dataset(reference, 2, seed=1, workers=1, synsets=FEW, progress=False)
    want = tree_bytes(reference)

    root = tmp_path / 'interrupted'
    real_write = embedded.write_model
    calls = []

    def write_then_die(root_, seed, synset, index, version=embedded.FORMAT_VERSION):
        root_ = pathlib.Path(root_)
        calls.append(index)
        if len(calls) == 3:   # die in the middle of the third model, after its renderings moved
            mid, files = embedded.make_model(seed, synset, index, version)
            stage = root_ / embedded.STAGING / 'x'
            stage.mkdir(parents=True)
            (stage / 'junk.png').write_bytes(b'half')
            rendering, _ = embedded._model_dirs(root_, synset, mid)
            rendering.mkdir(parents=True)
            (rendering / '00.png').write_bytes(files[next(iter(k for k in files if k.endswith('00.png')))])
            raise KeyboardInterrupt
        return real_write(root_, seed, synset, index, version)

    monkeypatch.setattr(embedded, 'write_model', write_then_die)
    with pytest.raises(KeyboardInterrupt):
        generate_dataset(root, 2, seed=1, workers=1, synsets=FEW, progress=False)
    # what is visible (models are listed from ShapeNetVox32) is complete and right
    visible = _models(root)
    assert len(visible) == 2
    got = tree_bytes(root)
    for synset, model in visible:
        for path, data in want.items():
            if model in path:
                assert got[path] == data
    assert not dataset_is_complete(root, 2, 1, FEW)

    monkeypatch.setattr(embedded, 'write_model', real_write)
    assert generate_dataset(root, 2, seed=1, workers=1, synsets=FEW, progress=False) == 2
    assert tree_bytes(root) == want
    assert not (root / embedded.STAGING).exists()
    assert dataset_is_complete(root, 2, 1, FEW)
    assert generate_dataset(root, 2, seed=1, workers=1, synsets=FEW, progress=False) == 0


def test_folders_holding_other_data_are_refused(tmp_path):
    foreign = tmp_path / 'shapenet'
    (foreign / 'ShapeNetVox32' / '03001627' / 'm0').mkdir(parents=True)
    with pytest.raises(EmbeddedDatasetError, match='did not make'):
        generate_dataset(foreign, 1, seed=0, workers=1, synsets=FEW, progress=False)
    assert [p.name for p in foreign.iterdir()] == ['ShapeNetVox32']   # nothing written there
    root = tmp_path / 'd'
    generate_dataset(root, 1, seed=0, workers=1, synsets=['03001627'], progress=False)
    with pytest.raises(EmbeddedDatasetError, match='other settings'):
        generate_dataset(root, 1, seed=5, workers=1, synsets=['03001627'], progress=False)
    # growing keeps the first model; shrinking is refused
    assert generate_dataset(root, 2, seed=0, workers=1, synsets=['03001627'], progress=False) == 1
    with pytest.raises(EmbeddedDatasetError, match='more than'):
        generate_dataset(root, 1, seed=0, workers=1, synsets=['03001627'], progress=False)


def test_category_counts_follow_shapenet_with_a_floor():
    assert sum(SHAPENET_MODELS.values()) == 43784 and set(SHAPENET_MODELS) == set(embedded.SYNSETS)
    assert category_counts(3, 0.0) == {s: 3 for s in embedded.SYNSETS}
    counts = category_counts(200, 0.1)   # the default
    assert counts['04379243'] == 851 and counts['03001627'] == 678 and counts['02958343'] == 750
    assert counts['04401088'] == 200 and min(counts.values()) == 200   # telephones: 105 by share, 200 floor
    assert describe_counts(counts) == '4669 models (200 to 851 per category)'
    assert describe_counts(category_counts(2, 0.0)) == '26 models (2 per category)'


def test_a_uniform_folder_grows_to_shapenet_proportions_keeping_its_models(tmp_path):
    root = tmp_path / 'g'
    share = 3.0 / SHAPENET_MODELS['03001627']   # 3 chairs; airplanes (1.8 by share) keep the floor of 2
    assert generate_dataset(root, 2, seed=0, workers=1, synsets=FEW, progress=False) == 4
    before = tree_bytes(root)
    assert generate_dataset(root, 2, seed=0, workers=1, synsets=FEW, progress=False, shapenet_share=share) == 1
    after = tree_bytes(root)
    assert all(after[k] == v for k, v in before.items()) and len(after) == len(before) + 27
    manifest = json.loads((root / embedded.MANIFEST).read_text())
    assert manifest['counts'] == {'02691156': 2, '03001627': 3} and manifest['complete']
    assert dataset_is_complete(root, 2, 0, FEW, shapenet_share=share)
    assert not dataset_is_complete(root, 2, 0, FEW)
    with pytest.raises(EmbeddedDatasetError, match='holds 3 models of category 03001627, more than the 2'):
        generate_dataset(root, 2, seed=0, workers=1, synsets=FEW, progress=False)
    # a manifest from before per-category counts (one per_category for all) still reads
    manifest.pop('counts')
    manifest['per_category'] = 2
    (root / embedded.MANIFEST).write_text(json.dumps(manifest))
    assert generate_dataset(root, 2, seed=0, workers=1, synsets=FEW, progress=False, shapenet_share=share) == 0
    with pytest.raises(EmbeddedDatasetError, match='between 0 and 1'):
        generate_dataset(root, 2, seed=0, workers=1, synsets=FEW, progress=False, shapenet_share=1.5)


def test_ensure_embedded_dataset_generates_once_then_returns_at_once(tmp_path, monkeypatch):
    monkeypatch.setattr(embedded, 'SYNSETS', sorted(FEW))
    cfg = load_config(set_pairs=[('EMBEDDED.N_PER_CATEGORY', '1'), ('EMBEDDED.NUM_WORKERS', '1'),
                                 ('EMBEDDED.SHAPENET_SHARE', '0')])
    root = ensure_embedded_dataset(cfg, tmp_path / 'e', progress=False)
    assert len(_models(root)) == 2
    before = tree_bytes(root)

    def no_model_is_made(*args, **kwargs):
        raise AssertionError('a complete dataset was generated again')
    monkeypatch.setattr(embedded, 'write_model', no_model_is_made)   # not timed: a busy machine fails any bound
    assert ensure_embedded_dataset(cfg, tmp_path / 'e', progress=False) == root
    assert tree_bytes(root) == before
    cfg.DIR.RENDERING_PATH = '{root}/elsewhere/{category}/{model}'
    with pytest.raises(EmbeddedDatasetError, match='standard ShapeNet layout'):
        ensure_embedded_dataset(cfg, tmp_path / 'e', progress=False)


def test_generate_data_command_rejects_bad_sizes_in_one_line(tmp_path):
    proc = subprocess.run(['./run.sh', 'generate-data', '--out', str(tmp_path / 'g'), '--per-category', '0'],
                          cwd=REPO, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines() == ['error: --per-category must be at least 1, got 0']
    proc = subprocess.run(['./run.sh', 'generate-data', '--out', str(tmp_path / 'g'), '--shapenet-share', '2'],
                          cwd=REPO, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines() == ['error: --shapenet-share must be between 0 and 1, got 2']
    assert not (tmp_path / 'g').exists()


# Version 1 (grey, the first grammars) stays reproducible: sha256 of every file of models 0 and 1 of
# each category with seed 0, recorded from the generator before version 2 existed (commit 9a91681).
VERSION_1_DIGESTS = {
    '02691156': 'b038f59a85a735c8', '02828884': 'fc71c1cb760dabe3', '02933112': 'c35cbd1a3f4e298a',
    '02958343': 'a00c96f9d2d99f7a', '03001627': '5b41842965b54d0e', '03211117': 'ca942d6301d5b1ea',
    '03636649': '92da64eaa6492bd8', '03691459': 'e8429fc90c934476', '04090263': '9bc888ec680173a4',
    '04256520': '1e790ff4ed365387', '04379243': 'd183fafaacb64807', '04401088': '23ffd96e6bf525e0',
    '04530566': '78ce954edef884ee',
}


@pytest.mark.slow   # generates and renders every category
def test_version_1_is_byte_identical_to_the_first_generator():
    import hashlib
    from datasets.embedded.generator import make_model
    for synset, want in VERSION_1_DIGESTS.items():
        h = hashlib.sha256()
        for index in (0, 1):
            _, files = make_model(0, synset, index, version=1)
            for name in sorted(files):
                h.update(name.encode())
                h.update(files[name])
        assert h.hexdigest()[:16] == want, CATEGORY_NAMES[synset]


@pytest.mark.slow   # generates and renders every category
def test_version_2_renderings_are_coloured_and_version_1_grey():
    from datasets.embedded.generator import make_model
    coloured = {}
    for version in (1, 2):
        shares = []
        for synset in ('02958343', '03001627', '04379243'):
            for index in range(3):
                mid, files = make_model(0, synset, index, version=version)
                rgba = np.asarray(Image.open(io.BytesIO(
                    files[f'ShapeNetRendering/{synset}/{mid}/rendering/00.png'])), dtype=np.float64)
                rgb = rgba[rgba[..., 3] == 255][:, :3]
                sat = (rgb.max(1) - rgb.min(1)) / np.maximum(rgb.max(1), 1)
                shares.append(np.mean(sat > 0.25))
        coloured[version] = np.mean(shares)
    assert coloured[1] == 0.0
    assert coloured[2] > 0.05


def test_versions_do_not_share_model_ids_and_unknown_versions_are_refused(tmp_path):
    assert model_id(0, '03001627', 0, version=1) != model_id(0, '03001627', 0, version=2)
    with pytest.raises(EmbeddedDatasetError, match='version 3 does not exist'):
        generate_dataset(tmp_path / 'x', 1, version=3, progress=False)
    assert not (tmp_path / 'x').exists()


def test_a_folder_of_one_version_is_refused_for_the_other(tmp_path):
    generate_dataset(tmp_path / 'd', 1, seed=0, workers=1, synsets=['03001627'], progress=False, version=1)
    with pytest.raises(EmbeddedDatasetError, match='other settings'):
        generate_dataset(tmp_path / 'd', 1, seed=0, workers=1, synsets=['03001627'], progress=False, version=2)


def test_a_folder_made_by_an_older_generator_revision_is_named_as_such(tmp_path):
    root = tmp_path / 'd'
    generate_dataset(root, 1, seed=0, workers=1, synsets=['03001627'], progress=False)
    manifest = json.loads((root / embedded.MANIFEST).read_text())
    assert manifest['revision'] == embedded.REVISIONS[2]
    assert dataset_is_complete(root, 1, 0, ['03001627'])
    del manifest['revision']   # what the generator wrote before revisions were recorded
    (root / embedded.MANIFEST).write_text(json.dumps(manifest))
    assert not dataset_is_complete(root, 1, 0, ['03001627'])
    before = tree_bytes(root)
    with pytest.raises(EmbeddedDatasetError, match=r'older revision of the version 2 generator \(revision 2, now'):
        generate_dataset(root, 1, seed=0, workers=1, synsets=['03001627'], progress=False)
    assert tree_bytes(root) == before   # nothing mixed in
