"""./run.sh coverage (lib/analysis/coverage.py): best voxel IoU of real models against generated ones, and the
appearance report; ./run.sh test --split all on a small real folder."""
import json
import shutil
import subprocess

import numpy as np
import pytest

from datasets.embedded.generator import generate_dataset
from lib.binvox_rw import Voxels, write_binvox
from lib.analysis.coverage import appearance_stats, shape_coverage, tree_appearance
from lib.voxel import iou, iou_matrix
from lib.data_io import DataError
from tests.conftest import REPO

CHAIR, BENCH = '03001627', '02828884'


def run_sh(*args, cwd=REPO):
    return subprocess.run([str(REPO / 'run.sh'), *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, timeout=600)


def _grid(slices):
    g = np.zeros((32, 32, 32), bool)
    g[slices] = True
    return g


def _write(root, synset, model, grid):
    path = root / 'ShapeNetVox32' / synset / model / 'model.binvox'
    path.parent.mkdir(parents=True, exist_ok=True)
    write_binvox(Voxels(grid, (0.0, 0.0, 0.0), 1.0), str(path))


def test_iou_matrix_on_hand_made_grids():
    a = _grid(np.s_[0:16]).reshape(1, -1)
    b = np.stack([_grid(np.s_[0:16]), _grid(np.s_[0:8]), _grid(np.s_[16:32])]).reshape(3, -1)
    np.testing.assert_allclose(iou_matrix(a, b), [[1.0, 0.5, 0.0]])
    # one empty-grid rule for both forms: two empty grids agree (1.0), empty against a shape is 0
    empty = np.zeros((1, a.shape[1]), bool)
    np.testing.assert_allclose(iou_matrix(empty, np.concatenate([empty, a])), [[1.0, 0.0]])
    assert iou(empty.reshape(32, 32, 32), empty.reshape(32, 32, 32)) == 1.0


def test_coverage_picks_the_best_generated_match_per_category(tmp_path):
    real, gen = tmp_path / 'real', tmp_path / 'gen'
    _write(real, CHAIR, 'r1', _grid(np.s_[0:16]))
    _write(real, BENCH, 'r2', _grid(np.s_[:, 0:4]))
    _write(gen, CHAIR, 'g1', _grid(np.s_[0:8]))
    _write(gen, CHAIR, 'g2', _grid(np.s_[0:12]))
    _write(gen, BENCH, 'g3', _grid(np.s_[:, 0:2]))
    _write(gen, BENCH, 'g4', _grid(np.s_[0:16]))   # a different shape: never the best for r2
    rows = {r['model']: r for r in shape_coverage(str(real), str(gen))}
    assert rows['r1']['best_match'] == 'g2' and rows['r1']['coverage'] == pytest.approx(0.75)
    assert rows['r2']['best_match'] == 'g3' and rows['r2']['coverage'] == pytest.approx(0.5)
    # a category without generated models is not scored; a tree without voxels is one error
    _write(real, '02691156', 'r3', _grid(np.s_[0:4]))
    assert {r['model'] for r in shape_coverage(str(real), str(gen))} == {'r1', 'r2'}
    with pytest.raises(DataError, match='no ShapeNetVox32'):
        shape_coverage(str(tmp_path / 'nothing'), str(gen))


def test_appearance_stats_count_coloured_and_dark_pixels():
    pixels = np.array([[1.0, 0.0, 0.0], [0.5, 0.5, 0.5], [0.1, 0.1, 0.1], [0.9, 0.8, 0.85]])
    s = appearance_stats(pixels)
    assert s['coloured_share'] == 0.25 and s['dark_share'] == 0.25
    assert s['brightness_mean'] == pytest.approx((1.0 + 0.5 + 0.1 + 0.9) / 4)


def _flat_renderings(root, synset, model, rgb, n_pixels, views=2):
    from PIL import Image
    folder = root / 'ShapeNetRendering' / synset / model / 'rendering'
    folder.mkdir(parents=True)
    for v in range(views):
        rgba = np.zeros((1, 200, 4), np.uint8)
        rgba[0, :n_pixels] = (*rgb, 255)
        Image.fromarray(rgba).save(folder / f'{v:02d}.png')
    _write(root, synset, model, _grid(np.s_[:4, :4, :4]))


def test_appearance_compares_the_real_categories_weighted_like_the_real_models(tmp_path):
    gen = tmp_path / 'gen'
    # many small red chairs, one big black bench, and a category the real tree does not have (white)
    for k in range(4):
        _flat_renderings(gen, CHAIR, f'c{k}', (200, 0, 0), 50)
    _flat_renderings(gen, BENCH, 'b0', (10, 10, 10), 200)
    _flat_renderings(gen, '02691156', 'a0', (250, 250, 250), 200)
    assert tree_appearance(str(gen))['pixels'] == 2 * (4 * 50 + 200 + 200)
    # three real chairs to one real bench: chairs weigh 3/4, whatever their pixel counts
    look = tree_appearance(str(gen), category_weights={CHAIR: 3, BENCH: 1})
    assert look['coloured_share'] == pytest.approx(0.75, abs=0.01)
    assert look['dark_share'] == pytest.approx(0.25, abs=0.01)
    assert tree_appearance(str(gen), category_weights={BENCH: 1})['dark_share'] == 1.0


@pytest.fixture(scope='module')
def generated_sample(tmp_path_factory):
    """Two generated models of each category of the real sample (read only: tests share it)."""
    gen = tmp_path_factory.mktemp('generated') / 'data'
    generate_dataset(gen, 2, seed=0, workers=1, synsets=['02691156', BENCH, CHAIR], progress=False)
    return gen


@pytest.mark.slow   # ./run.sh in subprocesses, TensorFlow loaded each time
def test_coverage_command_on_the_real_sample(shapenet_sample, generated_sample, tmp_path):
    gen = generated_sample
    out = tmp_path / 'report'
    result = run_sh('coverage', shapenet_sample, gen, '--out', out)
    assert result.returncode == 0, result.stderr
    report = json.loads((out / 'coverage.json').read_text())
    assert len(report['models']) == 3
    for row in report['models']:
        assert 0.0 < row['coverage'] < 1.0 and row['generated_models'] == 2
    assert report['summary']['mean'] == pytest.approx(np.mean([r['coverage'] for r in report['models']]))
    assert f"**Mean {report['summary']['mean']:.3f}**" in result.stdout
    real_look, gen_look = report['appearance']['real'], report['appearance']['generated']
    assert real_look['pixels'] > 1000 and gen_look['pixels'] > 1000 and real_look['brightness_std'] > 0
    assert (out / 'coverage.png').stat().st_size > 1000 and (out / 'coverage.md').is_file()
    # a real tree against itself covers every model exactly
    same = run_sh('coverage', shapenet_sample, shapenet_sample, '--out', tmp_path / 'self')
    rows = json.loads((tmp_path / 'self' / 'coverage.json').read_text())['models']
    assert same.returncode == 0 and all(r['coverage'] == 1.0 and r['best_match'] == r['model'] for r in rows)
    assert tree_appearance(str(shapenet_sample))['coloured_share'] == real_look['coloured_share']


def test_coverage_command_errors_are_one_line(tmp_path):
    result = run_sh('coverage', tmp_path / 'absent', tmp_path)
    assert result.returncode != 0 and result.stderr.strip().splitlines()[-1].startswith('error:')
    assert 'Traceback' not in result.stderr
    empty = tmp_path / 'empty'
    empty.mkdir()
    result = run_sh('coverage', empty, empty)
    assert result.returncode != 0 and 'no ShapeNetVox32' in result.stderr and 'Traceback' not in result.stderr


@pytest.mark.slow   # ./run.sh in subprocesses, TensorFlow loaded each time
def test_test_split_all_evaluates_a_small_real_folder_whole(shapenet_sample, generated_sample, tmp_path):
    weights = REPO / 'experiments' / 'results' / 'cpu_default' / 'res_gru_3.weights.h5'
    real = tmp_path / 'real'
    shutil.copytree(shapenet_sample, real)
    # the baseline's mean shape comes from a training set given apart (here: a tiny generated one,
    # whose train split holds one model per category: models[0:int(2 * 0.8)])
    result = run_sh('test', '--weights', weights, '--data', real, '--split', 'all', '--views', '1,2',
                    '--baseline-data', generated_sample, '--out', tmp_path / 'all')
    assert result.returncode == 0, result.stderr
    assert '3 all-split models' in result.stdout
    saved = json.loads((tmp_path / 'all' / 'results.json').read_text())
    assert saved['meta']['split'] == 'all' and saved['meta']['baseline'] is not None
    # the train split of one model per category holds none: models[0:int(1 * 0.8)]
    result = run_sh('test', '--weights', weights, '--data', real, '--split', 'train', '--out', tmp_path / 'train')
    assert result.returncode != 0 and 'holds no model' in result.stderr.strip().splitlines()[-1]


def test_a_real_tree_of_voxels_alone_gets_the_shape_report(tmp_path):
    from lib.analysis.coverage import write_report
    real, gen = tmp_path / 'real', tmp_path / 'gen'
    _write(real, CHAIR, 'r1', _grid(np.s_[0:16]))
    _write(gen, CHAIR, 'g1', _grid(np.s_[0:8]))
    text, summary = write_report(str(tmp_path / 'out'), str(real), str(gen), {CHAIR: 'chair'})
    assert summary['mean'] == pytest.approx(0.5) and 'Appearance' not in text
    assert json.loads((tmp_path / 'out' / 'coverage.json').read_text())['appearance']['real'] is None
