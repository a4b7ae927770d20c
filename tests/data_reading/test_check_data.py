"""./run.sh check-data as a user runs it: a good tree passes, a corrupted copy lists every bad model."""
import shutil
import subprocess

import numpy as np
import pytest
from PIL import Image

from lib.binvox_rw import encode_binvox
from lib.data_io import REPO_ROOT


def check_data(root):
    return subprocess.run([str(REPO_ROOT / 'run.sh'), 'check-data', str(root)], capture_output=True,
                          text=True, timeout=300)


@pytest.mark.slow   # ./run.sh check-data in subprocesses
def test_good_tree_passes(make_dataset_tree):
    root = make_dataset_tree(models_per_category=3)
    result = check_data(root)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip().splitlines() == [
        f'check-data: 9 models in 3 categories under {root}: 0 bad, all good']


@pytest.mark.slow   # ./run.sh check-data in subprocesses
def test_corrupted_copy_lists_every_bad_model(make_dataset_tree):
    root = make_dataset_tree(models_per_category=4)
    render, vox = root / 'ShapeNetRendering', root / 'ShapeNetVox32'
    bad = {}   # file -> problem printed for it
    path = vox / '03001627' / 'm001' / 'model.binvox'
    path.write_bytes(path.read_bytes()[:-101])
    bad[path] = 'truncated data'
    path = vox / '02828884' / 'm000' / 'model.binvox'
    path.write_bytes(encode_binvox(np.zeros((64, 64, 64), bool)))
    bad[path] = 'voxel grid is 64x64x64, expected 32x32x32'
    path = vox / '03001627' / 'm003' / 'model.binvox'
    path.unlink()
    bad[path] = 'voxel file missing'
    path = render / '02691156' / 'm002' / 'rendering' / '05.png'
    Image.fromarray(np.zeros((137, 137, 3), np.uint8)).save(path, format='JPEG')
    bad[path] = 'not a PNG image (JPEG data)'
    path = render / '02691156' / 'm003' / 'rendering' / '11.png'
    path.write_bytes(path.read_bytes()[:200])
    bad[path] = 'unreadable image'
    for view in (22, 23):
        (render / '02828884' / 'm003' / 'rendering' / f'{view}.png').unlink()
    bad[render / '02828884' / 'm003' / 'rendering' / '22.png'] = 'rendering missing (model has 22 of 24)'
    # renderings without any voxel folder: training would never list it, check-data must
    shutil.copytree(render / '02691156' / 'm000', render / '02691156' / 'only-rendered')
    bad[vox / '02691156' / 'only-rendered' / 'model.binvox'] = 'voxel file missing'

    result = check_data(root)
    assert result.returncode == 1, result.stdout + result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines[-1] == f'check-data: 13 models in 3 categories under {root}: {len(bad)} bad'
    assert len(lines) - 1 == len(bad)           # one line per bad model
    for path, problem in bad.items():
        assert any(line.startswith(f'{path}: {problem}') for line in lines), (path, lines)
    assert f'{render}/02828884/m003/rendering/22.png: rendering missing (model has 22 of 24) ' \
           '(+1 more problems in 02828884/m003)' in lines


@pytest.mark.slow   # ./run.sh check-data in subprocesses
def test_missing_root_is_one_error_line(tmp_path):
    result = check_data(tmp_path / 'nowhere')
    assert result.returncode == 1
    last_line = result.stderr.strip().splitlines()[-1]
    assert last_line == f'error: dataset root {tmp_path / "nowhere"} does not exist'


@pytest.mark.slow   # ./run.sh check-data in subprocesses
def test_a_missing_voxel_category_folder_lists_each_of_its_models(make_dataset_tree):
    root = make_dataset_tree(models_per_category=3)
    shutil.rmtree(root / 'ShapeNetVox32' / '02828884')
    result = check_data(root)
    assert result.returncode == 1, result.stdout + result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines[-1] == f'check-data: 9 models in 3 categories under {root}: 3 bad'
    for model in ('m000', 'm001', 'm002'):
        assert f'{root}/ShapeNetVox32/02828884/{model}/model.binvox: voxel file missing' in lines


@pytest.mark.slow   # ./run.sh check-data in subprocesses
def test_generated_dataset_passes_and_a_corrupted_copy_fails(embedded_one_per_category, tmp_path):
    root = embedded_one_per_category   # read only: the corruption goes into a copy
    result = check_data(root)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip().endswith('13 models in 13 categories under ' f'{root}: 0 bad, all good')
    copy = tmp_path / 'corrupted'
    shutil.copytree(root, copy)
    voxel = next((copy / 'ShapeNetVox32' / '04379243').glob('*/model.binvox'))
    voxel.write_bytes(voxel.read_bytes()[:40])
    result = check_data(copy)
    assert result.returncode == 1
    assert result.stdout.strip().splitlines()[0].startswith(f'{voxel}: ')
    assert result.stdout.strip().endswith('13 models in 13 categories under ' f'{copy}: 1 bad')
