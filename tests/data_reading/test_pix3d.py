"""Pix3D (datasets/photos/pix3d.py): a small tree in the dataset's layout, read back with and without
Mesh R-CNN's S1 split files, both ground truths (model.obj, voxel.mat), the masked crop, and the
test command end to end."""
import json

import numpy as np
import pytest

from datasets.photos import pix3d
from datasets.photos.layout import Skips, build_view, framed_photo
from lib.binvox_rw import read_binvox
from lib.data_io import DataError
from tests.photo_trees import CHAIR, build_pix3d, expected_grid


@pytest.fixture(scope='module')
def tree(shapenet_sample, tmp_path_factory):
    root = tmp_path_factory.mktemp('pix3d') / 'pix3d'
    good, splits = build_pix3d(shapenet_sample, root)
    return root, good, splits


def test_samples_follow_the_rule_and_the_s1_split(tree):
    root, good, splits = tree
    samples = pix3d.list_samples(str(root), Skips())
    assert [(s.category, s.sample_id) for s in samples] == good   # the truncated chair is left out
    assert all(s.mask.endswith('.png') and s.truth_file.endswith('model.obj') for s in samples)
    kept = pix3d.list_samples(str(root), Skips(), keep_truncated=True)
    assert len(kept) == len(good) + 1
    test = pix3d.list_samples(str(root), Skips(), split_file=str(splits['test']))
    train = pix3d.list_samples(str(root), Skips(), split_file=str(splits['train']))
    names = lambda ss: {(s.category, s.sample_id) for s in ss}   # noqa: E731
    assert names(test) | names(train) == set(good) and not names(test) & names(train)
    chairs = pix3d.list_samples(str(root), Skips(), categories=('chair',))
    assert {s.category for s in chairs} == {'chair'}
    # a text list of img paths works as a split file too
    listing = root / 'list.txt'
    listing.write_text('img/sofa/0002.jpg\n')
    assert [s.sample_id for s in pix3d.list_samples(str(root), Skips(), split_file=str(listing))] == ['0002']


def test_both_ground_truths_give_the_models_grid(tree, tmp_path):
    root, _, _ = tree
    chair = [s for s in pix3d.list_samples(str(root), Skips()) if s.category == 'chair'][0]
    np.testing.assert_array_equal(chair.truth(), expected_grid(CHAIR))   # model.obj, ShapeNet's axes as they are
    (from_mat,) = [s for s in pix3d.list_samples(str(root), Skips(), truth='mat') if s.sample_id == chair.sample_id
                   and s.category == 'chair']
    assert from_mat.truth_file.endswith('voxel.mat')
    np.testing.assert_array_equal(from_mat.truth(), expected_grid(CHAIR))   # voxel.mat, axes (2, 0, 1), 64^3 -> 32^3
    with pytest.raises(DataError, match='no `voxel` variable'):
        import scipy.io
        scipy.io.savemat(tmp_path / 'v.mat', {'grid': np.ones((4, 4, 4))})
        pix3d.read_voxel_mat(str(tmp_path / 'v.mat'))


def test_the_mask_replaces_the_background_as_a_renderings_alpha(tree, tmp_path):
    root, _, _ = tree
    sample = pix3d.list_samples(str(root), Skips())[0]
    rgba = framed_photo(sample, masked=True)
    assert rgba.shape == (137, 137, 4) and set(np.unique(rgba[..., 3])) == {0, 255}
    np.testing.assert_array_equal(rgba[..., :3], framed_photo(sample))
    pairs = build_view([sample], str(tmp_path / 'view'), Skips(), masked=True, log=lambda text: None)
    from lib.config import get_default_config
    from lib.data_augmentation import load_image, preprocess_test
    stored = load_image(str(tmp_path / 'view' / 'ShapeNetRendering' / pairs[0][0] / pairs[0][1] / 'rendering' / '00.png'))
    view = preprocess_test(stored, get_default_config())
    assert np.allclose(view[0, 0], 240 / 255)   # background -> the test background, as for renderings


def test_a_missing_mask_or_model_is_one_counted_line(tree, tmp_path, capfd):
    root, _, _ = tree
    entries = json.loads((root / 'pix3d.json').read_text())
    broken = tmp_path / 'broken'
    for sub in ('img', 'mask', 'model'):
        import shutil
        shutil.copytree(root / sub, broken / sub)
    entries[0]['model'] = 'model/chair/NONE/model.obj'
    entries[1]['mask'] = 'mask/chair/none.png'
    del entries[3]['bbox']
    (broken / 'pix3d.json').write_text(json.dumps(entries))
    skips = Skips()
    samples = pix3d.list_samples(str(broken), skips)
    assert len(skips) == 1 and 'bbox' in skips.items[0][2]
    pairs = build_view(samples, str(tmp_path / 'view'), skips, masked=True, log=lambda text: None)
    assert len(pairs) == len(samples) - 2 and len(skips) == 3
    err = capfd.readouterr().err
    assert 'NONE/model.obj: mesh file missing; 1 sample skipped' in err and 'none.png: image file missing' in err


@pytest.mark.slow   # ./run.sh test in a subprocess
def test_test_command_end_to_end_with_the_s1_split_and_masks(tree, tmp_path, capsys):
    import keras
    from lib.commands.cli import main
    from lib.weights import save_weights
    from models import build_network
    root, good, splits = tree
    keras.utils.set_random_seed(7)
    weights = str(save_weights(build_network('gru_3', width=0.0625), str(tmp_path / 'tiny.weights.h5')))
    out = tmp_path / 'report'
    code = main(['test', '--dataset', 'pix3d', '--data', str(root), '--weights', weights, '--out', str(out),
                 '--split-file', str(splits['test']), '--train-split-file', str(splits['train']), '--mask',
                 '--thresholds', '0.4'])
    stdout = capsys.readouterr().out
    assert code == 0
    report = json.loads((out / 'results.json').read_text())
    tested = pix3d.list_samples(str(root), Skips(), split_file=str(splits['test']))
    assert report['n_models'] == len(tested) and report['meta']['dataset_kind'] == 'pix3d'
    assert report['meta']['baseline'] is not None and 'mask' in report['meta']['views_note']
    assert '## IoU per category at threshold 0.4' in stdout and '| chair |' in stdout and 'Kar et al.' not in stdout
    assert (out / 'reconstructions.png').is_file() and (out / 'iou_vs_views.png').is_file()
    # the samples were written once, masked, into their own view (options in its name)
    assert (root / 'r2n2_cache' / 'pix3d-v1-masked' / 'test.json').is_file()
    grid = read_binvox(str(root / 'model' / 'chair' / 'IKEA_CHAIR' / 'model.r2n2_32.binvox')).data
    np.testing.assert_array_equal(grid, expected_grid(CHAIR))
