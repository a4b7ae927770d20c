"""PASCAL 3D+ (datasets/photos/pascal3d.py, datasets/photos/layout.py, lib/commands/photos.py): a small tree in the
release's layout, read back, voxelised, cropped, evaluated end to end, fine-tuned; each bad-data case."""
import json
import subprocess
import sys

import numpy as np
import pytest

from datasets.photos import pascal3d
from datasets.photos.layout import Skips, build_view, framed_photo, view_root
from lib.binvox_rw import read_binvox
from lib.data_augmentation import OBJECT_FILL
from lib.data_io import DataError
from tests.conftest import REPO
from tests.photo_trees import CHAIR, RENDERINGS, build_pascal3d, expected_grid, write_record

BAD = ('missing_image', 'no_record', 'no_cad_index', 'bad_off')


@pytest.fixture(scope='module')
def tree(shapenet_sample, tmp_path_factory):
    root = tmp_path_factory.mktemp('pascal') / 'PASCAL3D+_release1.1'
    good = build_pascal3d(shapenet_sample, root, bad=BAD)
    return root, good


@pytest.fixture(scope='module')
def tiny_weights(tmp_path_factory):
    import keras
    from lib.weights import save_weights
    from models import build_network
    keras.utils.set_random_seed(5)
    path = tmp_path_factory.mktemp('weights') / 'tiny.weights.h5'
    return str(save_weights(build_network('res_gru_3', width=0.0625), str(path)))


def test_annotations_are_read_in_the_release_struct_layout(tree, tmp_path):
    root, _ = tree
    record = pascal3d.read_record(str(root / 'Annotations' / 'chair_pascal' / '2008_000000.mat'))
    assert record['filename'] == '2008_000000.jpg' and list(record['imgsize']) == [360, 280, 3]
    first, truncated, person = record['objects']
    assert first['class'] == 'chair' and first['cad_index'] == 1 and first['bbox'].shape == (4,)
    assert not first['truncated'] and truncated['truncated'] and person['class'] == 'person'
    # a record with one object (MATLAB squeezes a 1x1 struct array to the struct itself)
    path = str(tmp_path / 'one.mat')
    write_record(path, 'one.jpg', (10, 10), [{'class': 'car', 'bbox': np.array([1.0, 1, 5, 5]), 'cad_index': 3,
                                                'truncated': 0.0, 'occluded': 1.0, 'difficult': 0.0}])
    (obj,) = pascal3d.read_record(path)['objects']
    assert obj['class'] == 'car' and obj['cad_index'] == 3 and obj['occluded']


def test_the_split_and_the_rule_and_each_bad_case_is_one_counted_line(tree, tmp_path, capfd):
    root, good = tree
    skips = Skips()
    samples = pascal3d.list_samples(str(root), 'test', skips)
    listed = [(s.category, s.sample_id) for s in samples]
    # val objects only; truncated objects and objects of other classes left out by the rule
    assert set(good['val']) <= set(listed) and not set(good['train']) & set(listed)
    assert all(s.sample_id.endswith('_1') for s in samples)
    problems = [p for _, _, p in skips.items]
    assert len(skips) == 2 and any('no `record`' in p and '2009_000002.mat' in p for p in problems)
    assert any('2009_000003.mat' in p and 'no CAD index' in p for p in problems)
    # the missing photo and the unreadable CAD model are found when the view is made
    pairs = build_view(samples, str(tmp_path / 'view'), skips, workers=2, log=lambda text: None)
    assert sorted(pairs) == sorted(good['val'])
    problems = [p for _, _, p in skips.items]
    assert len(skips) == 4
    assert any('2009_000001.jpg' in p and 'image file missing' in p for p in problems)
    assert any('CAD/chair/02.off' in p and 'unreadable mesh' in p for p in problems)
    warnings = [line for line in capfd.readouterr().err.splitlines() if line.startswith('warning:')]
    assert len(warnings) == 4 and all('sample skipped' in line for line in warnings)


def test_ground_truth_is_the_cad_model_in_shapenet_axes_cached_next_to_it(tree, tmp_path):
    root, good = tree
    samples = [s for s in pascal3d.list_samples(str(root), 'train', Skips()) if s.category == 'chair']
    view = str(tmp_path / 'view')
    build_view(samples, view, Skips(), images=False, log=lambda text: None)
    grid = read_binvox(f'{view}/ShapeNetVox32/chair/{samples[0].sample_id}/model.binvox').data
    # stored z up, front -y; comes back y up, front +x: the backrest at low x
    np.testing.assert_array_equal(grid, expected_grid(CHAIR))
    assert (root / 'CAD' / 'chair' / '01.r2n2_32.binvox').is_file()
    assert not (tmp_path / 'view' / 'ShapeNetRendering').exists()   # images=False: voxels only


def test_the_photo_is_framed_like_a_rendering_background_kept(tree, shapenet_sample, tmp_path):
    import dataclasses
    from PIL import Image
    from tests.photo_trees import composite_photo
    root, _ = tree
    (sample,) = [s for s in pascal3d.list_samples(str(root), 'train', Skips()) if s.sample_id == '2008_000000_1']
    framed = framed_photo(sample)
    assert framed.shape == (137, 137, 3) and framed.dtype == np.uint8
    assert framed[:8, :8].std() > 5   # the photo's noisy, shaded background is kept, not a flat colour
    # where the object went: frame its mask the same way (the photo was made with view 0 at (60, 30))
    _, _, mask = composite_photo(shapenet_sample, 'chair', view=0, at=(60, 30), seed=0)
    Image.fromarray(mask.astype(np.uint8) * 255).save(tmp_path / 'mask.png')
    alpha = framed_photo(dataclasses.replace(sample, mask=str(tmp_path / 'mask.png')), masked=True)[..., 3]
    np.testing.assert_array_equal(framed_photo(dataclasses.replace(sample, mask=str(tmp_path / 'mask.png')),
                                               masked=True)[..., :3], framed)
    rows, cols = np.nonzero(alpha)
    height, width = rows.max() - rows.min() + 1, cols.max() - cols.min() + 1
    assert abs(max(height, width) - OBJECT_FILL * 137) <= 2   # the box's long side fills 0.69 of the frame
    assert abs((rows.min() + rows.max()) / 2 - 68) <= 1.5 and abs((cols.min() + cols.max()) / 2 - 68) <= 1.5


def _run(args, capsys):
    from lib.commands.cli import main
    code = main([str(a) for a in args])
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.slow   # ./run.sh train and test in subprocesses
def test_test_command_writes_the_reports_with_the_papers_table(tree, tiny_weights, tmp_path, capsys):
    root, good = tree
    out = tmp_path / 'report'
    code, stdout, stderr = _run(['test', '--dataset', 'pascal3d', '--data', root, '--weights', tiny_weights,
                                 '--out', out, '--cache', tmp_path / 'cache', '--thresholds', '0.3,0.4'], capsys)
    assert code == 0, stderr
    for name in ('results.json', 'results.md', 'iou_vs_views.png', 'reconstructions.png'):
        assert (out / name).is_file()
    report = json.loads((out / 'results.json').read_text())
    assert report['n_models'] == len(good['val']) and report['view_counts'] == [1]
    assert set(report['per_category']) == set(RENDERINGS)
    assert report['meta']['dataset_kind'] == 'pascal3d' and len(report['skipped']) == 4
    assert report['meta']['baseline']['0.4']['mean_over_categories'] is not None   # the train split's mean shape
    markdown = (out / 'results.md').read_text()
    assert markdown in stdout
    kar = next(line for line in markdown.splitlines() if line.startswith('| Kar et al.'))
    assert '0.298' in kar and '0.318' in kar
    ours = next(line for line in markdown.splitlines() if line.startswith('| **ours**'))
    chair = report['per_category']['chair']['1@0.4']
    assert f'{chair:.3f}' in ours and ours.count('—') == 7   # 3 of the 10 classes in this tree
    assert 'CAD/chair/02.off' in markdown   # the skipped samples are listed


@pytest.mark.slow   # ./run.sh train and test in subprocesses
def test_fine_tuning_runs_on_the_train_split(tree, tiny_weights, tmp_path, capsys):
    root, good = tree
    out = tmp_path / 'finetune'
    code, stdout, stderr = _run(['train', '--dataset', 'pascal3d', '--data', root, '--weights', tiny_weights,
                                 '--out', out, '--cache', tmp_path / 'cache', '--iter', '2',
                                 '--set', 'CONST.BATCH_SIZE', '2', '--set', 'NETWORK.PRECISION', 'float32',
                                 '--set', 'TRAIN.TENSORBOARD', 'false', '--set', 'TRAIN.VALIDATION_FREQ', '2',
                                 '--set', 'TEST.NUM_VALIDATION_MODELS', '3'], capsys)
    assert code == 0, stderr
    assert (out / 'res_gru_3.weights.h5').is_file() and 'fine-tuning' in stdout
    assert len((out / 'train_log.csv').read_text().strip().splitlines()) >= 2
    assert (out / 'validation.csv').is_file()
    view = view_root(str(tmp_path / 'cache'), 'pascal3d')
    listed = json.loads(open(f'{view}/train.json').read())
    assert sum(len(v['models']) for v in listed.values()) == len(good['train'])
    from lib.config import load_config
    cfg = load_config([str(out / 'config.yaml')], [])
    assert cfg.CONST.N_VIEWS == 1 and cfg.TRAIN.NUM_RENDERING == 1   # single view, as the paper


def test_bad_arguments_are_one_line_errors_before_tensorflow_loads(tree, tiny_weights, tmp_path):
    root, _ = tree
    script = ('import sys\nfrom lib.commands.cli import main\ncodes = [main(a) for a in %r]\n'
              'print(codes, "tensorflow" in sys.modules)\n')
    cases = [['test', '--dataset', 'pascal3d', '--weights', tiny_weights],                       # no --data
             ['test', '--dataset', 'pascal3d', '--data', str(root), '--weights', tiny_weights, '--views', '1,2'],
             ['test', '--dataset', 'pascal3d', '--data', str(root), '--weights', tiny_weights, '--mask'],
             ['test', '--dataset', 'pascal3d', '--data', str(root), '--weights', tiny_weights,
              '--categories', 'giraffe'],
             ['test', '--split-file', str(tmp_path), '--weights', tiny_weights],                  # shapenet + photo flag
             ['train', '--dataset', 'pascal3d', '--data', str(root)]]                           # no --weights
    done = subprocess.run([sys.executable, '-c', script % cases], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == f'{[1] * len(cases)} False', done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith('error:')]
    assert len(errors) == len(cases)
    assert 'needs --data' in errors[0] and '--views 1' in errors[1] and 'giraffe' in errors[3]


def test_a_missing_split_list_names_the_file_and_the_flag(tmp_path):
    (tmp_path / 'Annotations' / 'car_pascal').mkdir(parents=True)
    with pytest.raises(DataError, match='train.txt: the test list is missing|val.txt: the test list is missing'):
        pascal3d.list_samples(str(tmp_path), 'test', Skips(), classes=('car',))
    ids = tmp_path / 'ids.txt'
    ids.write_text('2008_000001\n')
    assert pascal3d.list_samples(str(tmp_path), 'test', Skips(), split_file=str(ids), classes=('car',)) == []
    import scipy.io
    scipy.io.savemat(tmp_path / 'pascalTrainValIds.mat', {'trainIds': np.array(['a', 'b'], object),
                                                          'valIds': np.array(['c'], object)})
    assert pascal3d.read_id_list(str(tmp_path / 'pascalTrainValIds.mat'), 'train') == {'a', 'b'}
    assert pascal3d.read_id_list(str(tmp_path / 'pascalTrainValIds.mat'), 'test') == {'c'}
