"""Training batches, test views, voxels, and every bad-data case of issue 3."""
import os
import re

import numpy as np
import pytest
from PIL import Image

from lib.binvox_rw import encode_binvox, read_binvox
from lib.config import get_default_config
from lib.data_augmentation import load_image, preprocess_test
from lib.data_io import DataError, category_model_pairs, rendering_path, voxel_path
from lib.data_process import (TrainBatches, load_test_views, load_voxels, missing_files, model_problems)

CHAIR = '03001627'


def config(root, batch_size=4):
    cfg = get_default_config()
    cfg.DIR.DATASET_ROOT = str(root)
    cfg.CONST.BATCH_SIZE = batch_size
    return cfg


@pytest.fixture
def tree(make_dataset_tree):
    return make_dataset_tree(models_per_category=4)


@pytest.fixture(scope='module')
def real_grids(shapenet_sample):
    return [read_binvox(p).data for p in sorted(shapenet_sample.glob('ShapeNetVox32/*/*/model.binvox'))]


def all_pairs(cfg):
    return category_model_pairs(cfg, [0.0, 1.0])


# ---- batches ----

def test_batch_shapes_dtypes_and_view_counts(tree, real_grids):
    cfg = config(tree)
    batches = TrainBatches(cfg, all_pairs(cfg), seed=0, length=30)
    assert len(batches) == 30
    counts = set()
    for i in range(30):
        images, voxels = batches[i]
        views = images.shape[1]
        counts.add(views)
        assert images.shape == (4, views, 127, 127, 3) and images.dtype == np.float32
        assert 0.0 <= images.min() and images.max() <= 1.0
        assert voxels.shape == (4, 32, 32, 32) and voxels.dtype == np.uint8
        assert all(any(np.array_equal(v, g) for g in real_grids) for v in voxels)
    assert counts == {1, 2, 3, 4, 5}           # one random number of views per batch, 1..N_VIEWS
    cfg.TRAIN.RANDOM_NUM_VIEWS = False
    assert TrainBatches(cfg, all_pairs(cfg), 0, 3)[2][0].shape[1] == 5


def test_seed_reproduces_and_offset_resumes(tree):
    cfg = config(tree)
    pairs = all_pairs(cfg)
    first = TrainBatches(cfg, pairs, seed=11, length=8)
    later = [first[i] for i in range(8)]
    resumed = TrainBatches(cfg, pairs, seed=11, length=3, offset=5)   # fresh object, as after a kill
    for i in range(3):
        assert np.array_equal(resumed[i][0], later[5 + i][0])
        assert np.array_equal(resumed[i][1], later[5 + i][1])
    assert np.array_equal(TrainBatches(cfg, pairs, 11, 8).batch(6)[0], later[6][0])  # order-free
    other = TrainBatches(cfg, pairs, seed=12, length=8)
    assert sum(np.array_equal(other[i][0], later[i][0]) for i in range(8)) == 0


def test_shared_model_checks_are_filled_once_and_reused(tree, monkeypatch):
    import lib.data_process as data_process
    cfg = config(tree)
    pairs = all_pairs(cfg)
    checked = []
    real_check = data_process.model_problems
    monkeypatch.setattr(data_process, 'model_problems', lambda *a, **k: checked.append(a[1:]) or real_check(*a, **k))
    shared = {}
    first = TrainBatches(cfg, pairs, seed=4, length=6, model_checks=shared)
    delivered = [first[i] for i in range(6)]
    assert sorted(checked) == sorted(shared) and set(shared) <= set(pairs) and len(shared) > 1
    assert all(problems == [] for problems in shared.values())
    checked.clear()
    again = TrainBatches(cfg, pairs, seed=4, length=6, model_checks=shared)
    for i in range(6):   # the same batches, no model checked again
        assert np.array_equal(again[i][0], delivered[i][0]) and np.array_equal(again[i][1], delivered[i][1])
    assert checked == []
    TrainBatches(cfg, pairs, seed=4, length=1)[0]   # without it, a run checks what it draws
    assert len(set(checked)) == len(checked) == cfg.CONST.BATCH_SIZE   # a first pass: distinct models
    with pytest.raises(IndexError):
        first[8]


def test_each_pass_visits_every_model_once(tree):
    cfg = config(tree)
    pairs = all_pairs(cfg)
    batches = TrainBatches(cfg, pairs, seed=3, length=1)
    n = len(pairs)
    for pass_number in range(3):
        visited = [batches.model_index(p) for p in range(pass_number * n, (pass_number + 1) * n)]
        assert sorted(visited) == list(range(n))
    assert [batches.model_index(p) for p in range(n)] != [batches.model_index(p) for p in range(n, 2 * n)]


def test_view_ids_are_drawn_with_replacement(tree):
    cfg = config(tree)
    cfg.TRAIN.NUM_RENDERING = 1     # 5 views from 1 rendering exist only if drawn with replacement
    cfg.TRAIN.RANDOM_NUM_VIEWS = False
    cfg.TRAIN.RANDOM_CROP = False
    cfg.TRAIN.FLIP = False
    cfg.TRAIN.NO_BG_COLOR_RANGE = [[240, 240]] * 3
    images, _ = TrainBatches(cfg, all_pairs(cfg), 0, 1)[0]
    assert images.shape[1] == 5
    assert all(np.array_equal(sample[0], sample[v]) for sample in images for v in range(5))


def test_parallel_workers_deliver_the_same_batches_in_order(tree):
    from lib.data_process import threaded_batches
    cfg = config(tree)
    batches = TrainBatches(cfg, all_pairs(cfg), seed=5, length=6, offset=2)
    delivered = list(threaded_batches(batches, workers=2))
    assert len(delivered) == 6
    for i, (images, voxels) in enumerate(delivered):
        expected_images, expected_voxels = batches.batch(2 + i)
        assert np.array_equal(images, expected_images) and np.array_equal(voxels, expected_voxels)


def test_load_test_views_are_the_first_renderings(tree):
    cfg = config(tree)
    views = load_test_views(cfg, CHAIR, 'm002', 3)
    assert views.shape == (3, 127, 127, 3) and views.dtype == np.float32
    for v in range(3):
        image = load_image(rendering_path(cfg, CHAIR, 'm002', v))
        assert np.array_equal(views[v], preprocess_test(image, cfg))
    assert np.array_equal(views, load_test_views(cfg, CHAIR, 'm002', 3))


def test_load_voxels(tree, shapenet_sample):
    grid = load_voxels(config(tree), CHAIR, 'm000')
    assert grid.dtype == bool and grid.shape == (32, 32, 32)
    real = next(shapenet_sample.glob(f'ShapeNetVox32/{CHAIR}/*/model.binvox'))
    assert np.array_equal(grid, read_binvox(real).data)


def test_no_pairs_is_a_data_error(tree):
    with pytest.raises(DataError, match='no training models'):
        TrainBatches(config(tree), [], 0, 1)


# ---- bad data: one case each; the message names the file ----

def _renderings(cfg, model):
    return [rendering_path(cfg, CHAIR, model, v) for v in range(cfg.TRAIN.NUM_RENDERING)]


def damage_truncated_binvox(cfg, model):
    path = voxel_path(cfg, CHAIR, model)
    with open(path, 'rb') as f:
        raw = f.read()
    body = raw.index(b'data\n') + 5
    with open(path, 'wb') as f:
        f.write(raw[:body + (len(raw) - body) // 4 * 2])   # half of the (value, count) pairs
    return path, r'data holds \d+ voxels, header says 32x32x32 = 32768 \(truncated file\)'


def damage_corrupt_binvox(cfg, model):
    path = voxel_path(cfg, CHAIR, model)
    with open(path, 'wb') as f:
        f.write(b'#binvox 1\ngarbage\n' + bytes(64))
    return path, r"not a binvox file \(expected a 'dim' line"


def damage_wrong_dimensions(cfg, model):
    path = voxel_path(cfg, CHAIR, model)
    with open(path, 'wb') as f:
        f.write(encode_binvox(np.ones((16, 16, 16), bool)))
    return path, 'voxel grid is 16x16x16, expected 32x32x32'


def damage_missing_voxel_file(cfg, model):
    path = voxel_path(cfg, CHAIR, model)
    os.remove(path)
    return path, 'voxel file missing'


def damage_truncated_png(cfg, model):
    for path in _renderings(cfg, model):
        with open(path, 'rb') as f:
            raw = f.read()
        with open(path, 'wb') as f:
            f.write(raw[:len(raw) // 2])
    return _renderings(cfg, model)[0], 'unreadable image'


def damage_not_png(cfg, model):
    for path in _renderings(cfg, model):
        Image.fromarray(np.zeros((137, 137, 3), np.uint8)).save(path, format='JPEG')
    return _renderings(cfg, model)[0], r'not a PNG image \(JPEG data\)'


def damage_fewer_renderings(cfg, model):
    for path in _renderings(cfg, model)[20:]:
        os.remove(path)
    return _renderings(cfg, model)[20], r'rendering missing \(model has 20 of 24\)'


DAMAGES = [damage_truncated_binvox, damage_corrupt_binvox, damage_wrong_dimensions,
           damage_missing_voxel_file, damage_truncated_png, damage_not_png, damage_fewer_renderings]


@pytest.mark.parametrize('damage', DAMAGES, ids=lambda d: d.__name__[len('damage_'):])
def test_bad_model_is_named_and_skipped(damage, tree, capsys, real_grids):
    cfg = config(tree)
    path, problem = damage(cfg, 'm001')
    expected = re.compile(re.escape(f'{path}: ') + problem)
    # check-data's view: the first problem of the model names the file
    problems = model_problems(cfg, CHAIR, 'm001')
    assert problems and expected.match(problems[0]), problems
    assert model_problems(cfg, CHAIR, 'm000') == []
    # training's view: every batch is still full and real; the model is reported once and counted
    pairs = all_pairs(cfg)
    n_batches = 2 * len(pairs) // cfg.CONST.BATCH_SIZE     # two passes: the model comes up twice
    batches = TrainBatches(cfg, pairs, seed=1, length=n_batches)
    delivered = [batches[i] for i in range(n_batches)]
    assert list(batches.bad_models) == [(CHAIR, 'm001')]
    assert batches.substitutions >= 2
    warnings = [line for line in capsys.readouterr().err.splitlines() if 'another model used' in line]
    # training names the file it tripped on: for images, whichever view was drawn
    in_training = re.compile(re.escape(os.path.dirname(path)) + r'/\d\d\.png: ' + problem
                             if path.endswith('.png') else expected.pattern)
    assert len(warnings) == 1 and in_training.search(warnings[0]) and '1 bad model so far' in warnings[0]
    for images, voxels in delivered:
        assert all(any(np.array_equal(v, g) for g in real_grids) for v in voxels)
    # the substitute is the same on a fresh run, which does not know the model is bad
    resumed = TrainBatches(cfg, pairs, seed=1, length=n_batches)
    for i in range(n_batches):
        assert np.array_equal(resumed[i][0], delivered[i][0])


def test_the_bad_data_cases_as_direct_errors(tree):
    cfg = config(tree)
    path, _ = damage_wrong_dimensions(cfg, 'm002')
    with pytest.raises(DataError, match=re.escape(f'{path}: voxel grid is 16x16x16, expected 32x32x32')):
        load_voxels(cfg, CHAIR, 'm002')
    path, _ = damage_missing_voxel_file(cfg, 'm003')
    assert missing_files(cfg, CHAIR, 'm003') == [f'{path}: voxel file missing']
    with pytest.raises(DataError, match=re.escape(f'{path}: voxel file not found')):
        load_voxels(cfg, CHAIR, 'm003')
    path, _ = damage_truncated_png(cfg, 'm001')
    with pytest.raises(DataError, match=re.escape(f'{path}: unreadable image')):
        load_test_views(cfg, CHAIR, 'm001', 1)


def test_a_model_with_one_bad_rendering_is_skipped_every_time(tree, capsys):
    cfg = config(tree)
    bad_view = rendering_path(cfg, CHAIR, 'm002', 7)      # one rendering of 24
    with open(bad_view, 'r+b') as f:
        f.truncate(300)
    pairs = all_pairs(cfg)
    batches = TrainBatches(cfg, pairs, seed=2, length=60)
    for i in range(60):
        batches[i]
    assert list(batches.bad_models) == [(CHAIR, 'm002')]
    assert re.search(re.escape(f'warning: {bad_view}: unreadable image'), capsys.readouterr().err)
    # replaced whenever it comes up, whichever views that sample would have drawn
    drawn = sum(pairs[batches.model_index(p)] == (CHAIR, 'm002') for p in range(60 * cfg.CONST.BATCH_SIZE))
    assert drawn >= 2 and batches.substitutions == drawn


def test_a_dataset_of_only_bad_models_stops_with_a_data_error(tree):
    cfg = config(tree)
    pairs = [(CHAIR, 'm000'), (CHAIR, 'm001')]
    for model in ('m000', 'm001'):
        damage_missing_voxel_file(cfg, model)
    with pytest.raises(DataError, match='models in a row could not be loaded'):
        TrainBatches(cfg, pairs, 0, 1)[0]
