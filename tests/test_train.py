"""End to end: ./run.sh train on a tiny configuration, killed with SIGKILL in the middle of a save,
resumed by rerunning the same command, then ./run.sh test writes its reports."""
import csv
import json
import os
import signal
import subprocess
import time

import pytest

from tests.conftest import REPO

TINY_CFG = """
NETWORK: {NAME: res_gru_3, WIDTH: 0.0625}
CONST: {BATCH_SIZE: 2, N_VIEWS: 2}
TRAIN: {NUM_ITERATION: 8, SAVE_FREQ: 2, VALIDATION_FREQ: 4, PRINT_FREQ: 1, TENSORBOARD: false, NUM_WORKER: 2}
TEST: {NUM_VALIDATION_MODELS: 3, BATCH_SIZE: 2}
"""


def run_sh(*args, env=None, timeout=300):
    return subprocess.run([str(REPO / 'run.sh'), *map(str, args)], capture_output=True, text=True,
                          cwd=REPO, timeout=timeout, env={**os.environ, **(env or {})})


def losses(out):
    with open(out / 'train_log.csv') as f:
        rows = list(csv.DictReader(f))
    by_iteration = {}
    for row in rows:   # a resumed run appends; the last record of an iteration wins
        by_iteration[int(row['iteration'])] = float(row['loss'])
    return by_iteration


@pytest.fixture
def tiny_run(make_dataset_tree, tmp_path):
    root = make_dataset_tree(models_per_category=5)
    cfg = tmp_path / 'tiny.yaml'
    cfg.write_text(TINY_CFG)
    return root, cfg


def test_train_survives_sigkill_mid_save_and_resumes_exactly(tiny_run, tmp_path):
    root, cfg = tiny_run
    out = tmp_path / 'run'
    command = [str(REPO / 'run.sh'), 'train', '--cfg', str(cfg), '--data', str(root), '--out', str(out)]
    partial = out / 'checkpoints' / '.ckpt-0000004.partial' / 'state.json'
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
    reference = tmp_path / 'reference'
    straight = run_sh('train', '--cfg', cfg, '--data', root, '--out', reference)
    assert straight.returncode == 0, straight.stderr
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
    assert '| airplane | 1 |' in (report / 'results.md').read_text()
    for picture in ('iou_vs_views.png', 'reconstructions.png'):
        assert (report / picture).read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'
    # deterministic: a second evaluation gives the same numbers
    again = run_sh('test', '--weights', out / 'res_gru_3.weights.h5', '--data', root, '--out', tmp_path / 'report2',
                   '--views', '1,2', '--thresholds', '0.3,0.4')
    assert json.loads((tmp_path / 'report2' / 'results.json').read_text())['mean_over_models'] == results['mean_over_models']


def test_loss_above_the_limit_stops_with_a_clear_message(tiny_run, tmp_path):
    root, cfg = tiny_run
    out = tmp_path / 'diverged'
    result = run_sh('train', '--cfg', cfg, '--data', root, '--out', out, '--set', 'TRAIN.LOSS_LIMIT', '0.001')
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith('error: training stopped at iteration 1: loss') and 'TRAIN.LOSS_LIMIT 0.001' in last
    assert not (out / 'res_gru_3.weights.h5').exists()


def test_resuming_with_another_config_is_refused(tiny_run, tmp_path):
    root, cfg = tiny_run
    out = tmp_path / 'run'
    first = run_sh('train', '--cfg', cfg, '--data', root, '--out', out, '--iter', '2')
    assert first.returncode == 0, first.stderr
    other = run_sh('train', '--cfg', cfg, '--data', root, '--out', out, '--iter', '4', '--set', 'NETWORK.WIDTH', '0.125')
    assert other.returncode == 1 and 'NETWORK.WIDTH' in other.stderr.strip().splitlines()[-1]
    longer = run_sh('train', '--cfg', cfg, '--data', root, '--out', out, '--iter', '4')
    assert longer.returncode == 0 and '(iteration 2 of 4)' in longer.stdout
