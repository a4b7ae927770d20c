"""End to end: ./run.sh train on a tiny configuration, killed with SIGKILL in the middle of a save,
resumed by rerunning the same command, then ./run.sh test writes its reports.

The dataset tree, the config and the run trained to its end that several tests share (the resume
test's reference, the weights a fine-tuning starts from, the run the resume tests copy and continue)
are in tests/training_evaluation/conftest.py.
"""
import csv
import json
import os
import signal
import subprocess
import time

import pytest

from tests.conftest import REPO
from tests.training_evaluation.conftest import TINY_CFG, copy_run, run_sh


def losses(out):
    with open(out / 'train_log.csv') as f:
        rows = list(csv.DictReader(f))
    by_iteration = {}
    for row in rows:   # a resumed run appends; the last record of an iteration wins
        by_iteration[int(row['iteration'])] = float(row['loss'])
    return by_iteration


def weight_arrays(path):
    """{parameter name: array} of a weights file written by lib.weights."""
    import h5py
    found = {}
    with h5py.File(path, 'r') as f:
        f['weights'].visititems(lambda n, o: found.__setitem__(n, o[()]) if isinstance(o, h5py.Dataset) else None)
    return found


@pytest.fixture
def tiny_run(make_dataset_tree, tmp_path):
    """A dataset tree and config of the test's own (for a test that damages the data)."""
    root = make_dataset_tree(models_per_category=5)
    cfg = tmp_path / 'tiny.yaml'
    cfg.write_text(TINY_CFG)
    return root, cfg


@pytest.mark.slow   # trains in a ./run.sh subprocess
def test_train_survives_sigkill_mid_save_and_resumes_exactly(tiny_tree, finished_run, tmp_path):
    root, cfg = tiny_tree
    out = tmp_path / 'run'
    command = [str(REPO / 'run.sh'), 'train', '--cfg', str(cfg), '--data', str(root), '--out', str(out)]
    partial = out / 'checkpoints' / '.ckpt-0000004.partial' / 'network.weights.h5'
    proc = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env={**os.environ, 'R2N2_SAVE_DELAY': '4:120'})
    try:
        deadline = time.time() + 240
        while not partial.exists():
            assert proc.poll() is None, proc.stdout.read()
            assert time.time() < deadline, 'checkpoint 4 never started'
            time.sleep(0.2)
        os.kill(proc.pid, signal.SIGKILL)   # in the middle of writing checkpoint 4
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
    # half-written: the weights are there, the optimizer state and the iteration are not
    assert not (partial.parent / 'state.json').exists() and not (partial.parent / 'optimizer.npz').exists()
    assert (out / 'checkpoints' / 'latest').read_text().strip() == 'ckpt-0000002'
    assert not (out / 'res_gru_3.weights.h5').exists()

    resumed = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert 'resuming from' in resumed.stdout and '(iteration 2 of 8)' in resumed.stdout
    assert (out / 'res_gru_3.weights.h5').exists()
    assert (out / 'checkpoints' / 'latest').read_text().strip() == 'ckpt-0000008'
    assert not any(p.name.endswith('.partial') for p in (out / 'checkpoints').iterdir())
    assert (out / 'training_curve.png').stat().st_size > 1000
    with open(out / 'validation.csv') as f:
        # validation 4 ran before the kill and again after the resume from 2
        assert sorted({int(r['iteration']) for r in csv.DictReader(f)}) == [4, 8]

    # the same run without interruption sees the same batches and reaches the same losses
    reference, straight = finished_run
    assert 'remapper failed' not in straight.stderr   # TensorFlow's noise on every training run
    a, b = losses(out), losses(reference)
    assert sorted(a) == sorted(b) == list(range(1, 9))
    for it in range(1, 9):
        assert a[it] == pytest.approx(b[it], rel=1e-3, abs=1e-4), f'iteration {it}: {a[it]} vs {b[it]}'

    # a finished run rerun does nothing more
    again = run_sh('train', '--cfg', cfg, '--data', root, '--out', out)
    assert again.returncode == 0 and 'already trained to iteration 8' in again.stdout

    # the test command on the result writes all its reports
    report = tmp_path / 'report'
    tested = run_sh('test', '--weights', out / 'res_gru_3.weights.h5', '--data', root, '--out', report,
                    '--views', '1,2', '--thresholds', '0.3,0.4')
    assert tested.returncode == 0, tested.stderr
    assert 'first n renderings' in tested.stdout
    results = json.loads((report / 'results.json').read_text())
    assert results['n_models'] == 3 and results['view_counts'] == [1, 2]
    assert set(results['mean_over_categories']) == {'1@0.3', '1@0.4', '2@0.3', '2@0.4'}
    assert set(results['per_category']) == {'02691156', '02828884', '03001627'}
    assert results['meta']['baseline']['0.4']['mean_over_models'] >= 0
    markdown = (report / 'results.md').read_text()
    assert '| airplane | 1 |' in markdown
    # the tree is in the ShapeNet layout: the paper's Res3D-GRU-3 numbers stand beside ours
    from lib.paper_results import RES_GRU_3_BY_CATEGORY
    assert 'paper 1 view | paper 5 views' in markdown
    airplane = next(line for line in markdown.splitlines() if line.startswith('| airplane |'))
    assert all(f'{p:.3f}' in airplane for p in RES_GRU_3_BY_CATEGORY['02691156'])
    assert 'mean occupancy' in markdown.lower()
    for picture in ('iou_vs_views.png', 'reconstructions.png'):
        assert (report / picture).read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'
    # deterministic: a second evaluation gives the same numbers
    again = run_sh('test', '--weights', out / 'res_gru_3.weights.h5', '--data', root, '--out', tmp_path / 'report2',
                   '--views', '1,2', '--thresholds', '0.3,0.4')
    assert json.loads((tmp_path / 'report2' / 'results.json').read_text())['mean_over_models'] == results['mean_over_models']


@pytest.mark.slow   # trains in a ./run.sh subprocess
def test_loss_above_the_limit_stops_with_a_clear_message(tiny_tree, tmp_path):
    root, cfg = tiny_tree
    out = tmp_path / 'diverged'
    result = run_sh('train', '--cfg', cfg, '--data', root, '--out', out, '--set', 'TRAIN.LOSS_LIMIT', '0.001')
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith('error: training stopped at iteration 1: loss') and 'TRAIN.LOSS_LIMIT 0.001' in last
    assert not (out / 'res_gru_3.weights.h5').exists()


@pytest.mark.slow   # trains in a ./run.sh subprocess
def test_resuming_with_another_config_is_refused(tiny_tree, finished_run, tmp_path):
    root, cfg = tiny_tree
    out = copy_run(finished_run[0], tmp_path / 'run')   # trained to iteration 8
    other = run_sh('train', '--cfg', cfg, '--data', root, '--out', out, '--iter', '10', '--set', 'NETWORK.WIDTH', '0.125')
    assert other.returncode == 1 and 'NETWORK.WIDTH' in other.stderr.strip().splitlines()[-1]
    longer = run_sh('train', '--cfg', cfg, '--data', root, '--out', out, '--iter', '10')
    assert longer.returncode == 0 and '(iteration 8 of 10)' in longer.stdout


@pytest.mark.slow   # trains in a ./run.sh subprocess
def test_non_finite_training_stops_keeping_the_last_good_checkpoint(tiny_tree, tmp_path):
    # a learning rate of 1e30 blows the weights up after the first update
    root, cfg = tiny_tree
    out = tmp_path / 'blown'
    result = run_sh('train', '--cfg', cfg, '--data', root, '--out', out, '--set', 'TRAIN.SAVE_FREQ', '1',
                    '--set', 'TRAIN.DEFAULT_LEARNING_RATE', '1e30', '--set', 'TRAIN.LOSS_LIMIT', '1000')
    assert result.returncode == 1, result.stdout
    last = result.stderr.strip().splitlines()[-1]
    # iteration 1's update makes the weights huge: the loss of iteration 2 is not a number; checkpoint 1
    # holds the weights that gave it, so it is set aside and no checkpoint is left to resume from
    assert last == ('error: training stopped at iteration 2: loss nan is not a number; checkpoint 1, whose '
                    'weights gave it, moved to checkpoints/diverged-ckpt-0000001; no good checkpoint is left: '
                    'a rerun starts over')
    assert not (out / 'checkpoints' / 'latest').exists()
    assert (out / 'checkpoints' / 'diverged-ckpt-0000001' / 'state.json').exists()
    assert not (out / 'res_gru_3.weights.h5').exists()


@pytest.mark.slow   # trains in a ./run.sh subprocess
def test_training_starts_from_given_weights(tiny_tree, finished_run, tmp_path):
    import numpy as np
    root, cfg = tiny_tree
    given = finished_run[0] / 'res_gru_3.weights.h5'
    # with nothing to learn (a rate of 1e-30 moves no float32 weight, no decay; a rate of 0 is refused)
    # the fine-tuned weights are the given ones, exactly
    tuned = run_sh('train', '--cfg', cfg, '--data', root, '--out', tmp_path / 'b', '--iter', '1',
                   '--weights', given, '--set', 'TRAIN.DEFAULT_LEARNING_RATE', '1e-30', '--set', 'TRAIN.WEIGHT_DECAY', '0',
                   '--set', 'CONST.RNG_SEED', '7')
    assert tuned.returncode == 0, tuned.stderr
    mine, theirs = weight_arrays(tmp_path / 'b' / 'res_gru_3.weights.h5'), weight_arrays(given)
    assert mine.keys() == theirs.keys() and len(mine) == 63
    for name in mine:
        np.testing.assert_array_equal(mine[name], theirs[name], err_msg=name)
    wrong = tmp_path / 'gru.weights.h5'
    from lib.weights import save_weights
    from models import build_network
    save_weights(build_network('gru_3', width=0.0625), str(wrong))
    refused = run_sh('train', '--cfg', cfg, '--data', root, '--out', tmp_path / 'c', '--iter', '1', '--weights', wrong)
    assert refused.returncode == 1
    last = refused.stderr.strip().splitlines()[-1]
    assert last.startswith('error: ') and 'gru_3' in last and 'res_gru_3' in last


@pytest.mark.slow   # trains in a ./run.sh subprocess
def test_first_train_without_data_generates_the_embedded_dataset(tmp_path):
    cfg = tmp_path / 'tiny.yaml'
    cfg.write_text(TINY_CFG)
    embedded = tmp_path / 'embedded'
    args = ['train', '--cfg', cfg, '--out', tmp_path / 'run', '--set', 'DIR.EMBEDDED_ROOT', embedded,
            '--set', 'EMBEDDED.N_PER_CATEGORY', '2', '--set', 'EMBEDDED.SHAPENET_SHARE', '0',
            '--set', 'TEST.NUM_VALIDATION_MODELS', '2']
    result = run_sh(*args, '--iter', '1')
    assert result.returncode == 0, result.stderr
    assert 'Generating the embedded dataset v2 (26 models (2 per category), seed 0)' in result.stderr
    assert '26/26' in result.stderr                          # the progress bar reached the end
    assert len(list((embedded / 'ShapeNetVox32').glob('*/*/model.binvox'))) == 26
    assert (tmp_path / 'run' / 'res_gru_3.weights.h5').exists()
    # the next run finds it made (the data is looked for before the run: this one has nothing left to train)
    again = run_sh(*args, '--iter', '1')
    assert again.returncode == 0, again.stderr
    assert 'Generating' not in again.stderr and 'already trained to iteration 1' in again.stdout


@pytest.mark.slow   # trains in a ./run.sh subprocess
def test_a_dataset_that_cannot_be_loaded_stops_training_in_one_line(tiny_run, tmp_path):
    root, cfg = tiny_run
    for voxels in root.glob('ShapeNetVox32/*/*/model.binvox'):
        voxels.unlink()
    result = run_sh('train', '--cfg', cfg, '--data', root, '--out', tmp_path / 'nothing')
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith('error: batch 0: ') and 'models in a row could not be loaded' in last
    assert 'Traceback' not in result.stderr
    assert not (tmp_path / 'nothing' / 'res_gru_3.weights.h5').exists()


def test_a_generated_dataset_given_with_data_is_not_reported_as_shapenet(tmp_path, make_dataset_tree):
    from datasets.embedded.generator import MANIFEST
    from lib.commands.common import dataset_meta
    from lib.config import load_config
    real = make_dataset_tree(models_per_category=1)
    cfg = load_config(set_pairs=[('DIR.DATASET_ROOT', str(real))])
    assert dataset_meta(cfg)['dataset_kind'] == 'shapenet'
    (real / MANIFEST).write_text('{}')       # what the generator leaves in its dataset's root
    assert dataset_meta(cfg)['dataset_kind'] == 'embedded'


@pytest.mark.slow   # trains in a ./run.sh subprocess
def test_output_folders_that_are_files_are_one_line_errors(tiny_tree, tmp_path):
    root, cfg = tiny_tree
    taken = tmp_path / 'taken'
    taken.write_text('not a folder')
    result = run_sh('train', '--cfg', cfg, '--data', root, '--out', taken, '--iter', '1')
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == f'error: {taken} exists and is not a folder; give another output folder (--out)'
    assert taken.read_text() == 'not a folder'


def _rows(path):
    """Every line of a CSV log after its header, as written."""
    return path.read_text().split('\n')[1:-1]


@pytest.mark.slow   # trains in a ./run.sh subprocess
def test_resume_cuts_the_log_back_and_falls_back_past_a_damaged_checkpoint(tiny_tree, finished_run, tmp_path):
    root, cfg = tiny_tree
    out = copy_run(finished_run[0], tmp_path / 'run')   # trained to iteration 8, validated at 4 and 8
    checkpoints = out / 'checkpoints'
    assert sorted(p.name for p in checkpoints.iterdir() if p.name.startswith('ckpt-')) == ['ckpt-0000006', 'ckpt-0000008']
    # checkpoint 8 damaged (its weights cut short), and the log as a killed run leaves it: rows past
    # the checkpoint and a torn last row without its newline
    weights = checkpoints / 'ckpt-0000008' / 'network.weights.h5'
    weights.write_bytes(weights.read_bytes()[:1000])
    log = out / 'train_log.csv'
    log.write_text(log.read_text() + '9,0.690000,0.0001,9.9\n10,0.68')
    resumed = run_sh('train', '--cfg', cfg, '--data', root, '--out', out, '--iter', '10')
    assert resumed.returncode == 0, resumed.stderr
    assert ('the latest checkpoint cannot be used (ckpt-0000008: network.weights.h5 is damaged): resuming from '
            'the previous complete one, ckpt-0000006') in resumed.stdout
    assert '(iteration 6 of 10)' in resumed.stdout
    assert (checkpoints / 'damaged-ckpt-0000008').is_dir()
    assert (checkpoints / 'latest').read_text().strip() == 'ckpt-0000010'
    rows = _rows(log)
    # each iteration once, in order, every row whole (4 fields)
    assert [int(r.split(',')[0]) for r in rows] == list(range(1, 11)), rows
    assert all(len(r.split(',')) == 4 for r in rows)
    # validation 8 (past the checkpoint resumed from) cut back and run again, then the run's last
    assert [int(r.split(',')[0]) for r in _rows(out / 'validation.csv')] == [4, 8, 10]


@pytest.mark.slow   # trains in a ./run.sh subprocess
def test_a_second_run_into_the_same_folder_is_refused(tiny_tree, tmp_path):
    import sys
    root, cfg = tiny_tree
    out = tmp_path / 'run'
    # another process holds the run folder, as a training run does while it runs
    holder = subprocess.Popen([sys.executable, '-c', 'import sys, time\nfrom lib.train_net import run_lock\n'
                               'with run_lock(sys.argv[1]):\n    print("held", flush=True)\n    time.sleep(120)',
                               str(out)], cwd=REPO, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == 'held'
        second = run_sh('train', '--cfg', cfg, '--data', root, '--out', out, '--iter', '1')
    finally:
        holder.kill()
        holder.wait(30)
    assert second.returncode == 1
    assert second.stderr.strip().splitlines()[-1] == (
        f'error: {out} is in use by another training run (process {holder.pid}); wait for it to end or use '
        f'another --out')
    assert 'Traceback' not in second.stderr
    assert not (out / 'train_log.csv').exists() and not (out / 'config.yaml').exists()
    # the holder gone (killed, as kill -9 would), the folder is free again
    again = run_sh('train', '--cfg', cfg, '--data', root, '--out', out, '--iter', '1')
    assert again.returncode == 0, again.stderr
