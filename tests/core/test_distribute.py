"""tf.distribute (lib/devices/distribute.py): 'mirrored' over two logical CPU devices and 'multi_worker' over
two local processes take the same steps as one device on the same global batch; only the chief
writes the run's folder; runs resume."""
import json
import os
import signal
import socket
import subprocess
import sys
import types

import numpy as np
import pytest

from tests.conftest import REPO, build_dataset_tree
from tests.training_evaluation.test_train import losses, weight_arrays

# Plain SGD with a large rate and decay: Adam's step hardly depends on the gradient's scale, so a
# loss summed instead of averaged over replicas, or a decay counted once per replica, would pass
# unnoticed with it. With SGD they are 0.2 and 0.007 away after these 4 steps (tried by hand).
# Seed 0 gives batches of 1, 1, 3 and 2 views.
TINY_CFG = """
NETWORK: {NAME: res_gru_3, WIDTH: 0.0625}
CONST: {BATCH_SIZE: 4, N_VIEWS: 3}
TRAIN: {NUM_ITERATION: 4, SAVE_FREQ: 2, PRINT_FREQ: 1, TENSORBOARD: false, NUM_WORKER: 1,
        POLICY: sgd, DEFAULT_LEARNING_RATE: 0.05, LEARNING_RATES: {}, WEIGHT_DECAY: 0.01}
TEST: {NUM_VALIDATION_MODELS: 0}
"""
TOLERANCE = 1e-4
TIMEOUT = 240

# Runs `./run.sh ARGS` in-process after splitting the CPU into two logical devices (possible only
# before TensorFlow starts). One run per process: two strategies in one process would share the ids
# of their collective operations. Then reads the trainer's loss metric outside the replicas.
MIRRORED = """
import json, sys
import tensorflow as tf
cpu = tf.config.list_physical_devices('CPU')[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
import lib.train_net
from lib.commands.cli import main
trainers = []

class Trainer(lib.train_net.VoxelTrainer):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        trainers.append(self)

lib.train_net.VoxelTrainer = Trainer
code = main(json.loads(sys.argv[1]))
if code:
    sys.exit(code)
(trainer,) = trainers
with trainer.distribute_strategy.scope():
    print('METRIC', float(tf.convert_to_tensor(trainer.voxel_loss.result())))
"""


def assert_same_run(out, reference):
    """Same loss at every iteration, same final weights and optimizer state (TOLERANCE)."""
    a, b = losses(out), losses(reference)
    assert sorted(a) == sorted(b) == [1, 2, 3, 4]
    for it in a:
        assert a[it] == pytest.approx(b[it], abs=TOLERANCE), f'iteration {it}: {a[it]} vs {b[it]}'
    mine, theirs = weight_arrays(out / 'res_gru_3.weights.h5'), weight_arrays(reference / 'res_gru_3.weights.h5')
    assert mine.keys() == theirs.keys() and len(mine) > 50
    for name in mine:
        np.testing.assert_allclose(mine[name], theirs[name], rtol=0, atol=TOLERANCE, err_msg=name)
    mine = np.load(out / 'checkpoints' / 'ckpt-0000004' / 'optimizer.npz')
    theirs = np.load(reference / 'checkpoints' / 'ckpt-0000004' / 'optimizer.npz')
    assert mine.files == theirs.files
    for name in mine.files:   # SGD's momentum (the update of the last step) and the iteration count
        np.testing.assert_allclose(mine[name], theirs[name], rtol=0, atol=TOLERANCE, err_msg=name)


def train_args(root, cfg, out, *extra):
    return ['train', '--cfg', str(cfg), '--data', str(root), '--out', str(out), *extra]


@pytest.fixture(scope='module')
def single_device(shapenet_sample, tmp_path_factory):
    """The dataset, the config, and the reference run on one device."""
    folder = tmp_path_factory.mktemp('distribute')
    root = build_dataset_tree(shapenet_sample, folder / 'tree', models_per_category=4)
    cfg = folder / 'tiny.yaml'
    cfg.write_text(TINY_CFG)
    out = folder / 'single'
    result = subprocess.run([str(REPO / 'run.sh'), *train_args(root, cfg, out)], cwd=REPO, capture_output=True,
                            text=True, timeout=TIMEOUT)
    assert result.returncode == 0, result.stdout + result.stderr
    return root, cfg, out


@pytest.mark.slow   # trains in a ./run.sh subprocess
def test_mirrored_over_two_devices_equals_one_device_and_resumes(single_device, tmp_path):
    root, cfg, reference = single_device
    out = tmp_path / 'mirrored'
    outputs = []
    for iterations in (2, 4):   # the second run resumes the first
        args = train_args(root, cfg, out, '--set', 'TRAIN.STRATEGY', 'mirrored', '--iter', str(iterations))
        result = subprocess.run([sys.executable, '-c', MIRRORED, json.dumps(args)], cwd=REPO, capture_output=True,
                                text=True, timeout=TIMEOUT,
                                env={**os.environ, 'PYTHONPATH': str(REPO), 'TF_CPP_MIN_LOG_LEVEL': '2'})
        assert result.returncode == 0, result.stdout + result.stderr
        outputs.append(result.stdout)
    assert 'iterations 0..2, batch 4 x 1..3 views over 2 replicas' in outputs[0]
    assert 'resuming from' in outputs[1] and 'iterations 2..4, batch 4 x 1..3 views over 2 replicas' in outputs[1]
    assert_same_run(out, reference)
    # the metric read outside the replicas (as fit's history does) is the global batch's loss,
    # not the sum over the replicas
    metric = float(outputs[1].split('METRIC ', 1)[1].split()[0])
    assert metric == pytest.approx(losses(reference)[4], abs=TOLERANCE)


@pytest.mark.slow   # trains in a ./run.sh subprocess
def test_run_sh_train_mirrored_as_the_issue_writes_it(single_device, tmp_path):
    # `./run.sh train --set TRAIN.STRATEGY mirrored` itself, on this machine's devices (one CPU here)
    root, cfg, reference = single_device
    out = tmp_path / 'mirrored_run_sh'
    result = subprocess.run([str(REPO / 'run.sh'), *train_args(root, cfg, out, '--set', 'TRAIN.STRATEGY', 'mirrored')],
                            cwd=REPO, capture_output=True, text=True, timeout=TIMEOUT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert 'batch 4 x 1..3 views over 1 replica\n' in result.stdout
    assert_same_run(out, reference)


def free_ports(n):
    sockets = [socket.socket() for _ in range(n)]
    try:
        for s in sockets:
            s.bind(('127.0.0.1', 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


@pytest.mark.slow   # trains in a ./run.sh subprocess
def test_two_workers_make_one_checkpoint_equal_to_one_device(single_device, tmp_path):
    root, cfg, reference = single_device
    out = tmp_path / 'multi_worker'
    worker_tmp = tmp_path / 'worker_tmp'   # where the non-chief worker writes its own logs
    worker_tmp.mkdir()
    cluster = {'worker': [f'localhost:{port}' for port in free_ports(2)]}
    command = [str(REPO / 'run.sh'), *train_args(root, cfg, out, '--set', 'TRAIN.STRATEGY', 'multi_worker')]
    workers = []
    try:
        for index in range(2):
            config = json.dumps({'cluster': cluster, 'task': {'type': 'worker', 'index': index}})
            workers.append(subprocess.Popen(
                command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                start_new_session=True, env={**os.environ, 'TF_CONFIG': config, 'TMPDIR': str(worker_tmp)}))
        outputs = [w.communicate(timeout=TIMEOUT)[0] for w in workers]
    finally:
        for w in workers:   # a worker left waiting for its peer would wait for ever
            if w.poll() is None:
                os.killpg(w.pid, signal.SIGKILL)
                w.wait()
    for w, output in zip(workers, outputs):
        assert w.returncode == 0, output
    chief, other = outputs
    assert 'over 2 replicas' in chief and 'final weights:' in chief
    assert 'worker 1: training' in other and 'final weights:' not in other

    # one consistent run folder, written by the chief alone (which holds its lock)
    assert sorted(p.name for p in out.iterdir()) == ['.train.lock', 'checkpoints', 'config.yaml', 'res_gru_3.weights.h5',
                                                     'train_log.csv', 'training_curve.png']
    checkpoints = out / 'checkpoints'
    assert sorted(p.name for p in checkpoints.iterdir()) == ['ckpt-0000002', 'ckpt-0000004', 'latest']
    assert (checkpoints / 'latest').read_text().strip() == 'ckpt-0000004'
    assert json.loads((checkpoints / 'ckpt-0000004' / 'state.json').read_text())['iteration'] == 4
    assert (out / 'train_log.csv').read_text().count('\n') == 5   # header and 4 iterations, once
    assert not list(worker_tmp.iterdir())   # the other worker's folder is gone
    # ... and it is the single-device run
    assert_same_run(out, reference)


def test_strategy_config_errors_are_one_line(monkeypatch):
    from lib.config import ConfigError, get_default_config
    from lib.devices.distribute import check_batch_split, make_strategy
    cfg = get_default_config()
    cfg.TRAIN.STRATEGY = 'horovod'
    with pytest.raises(ConfigError, match="TRAIN.STRATEGY: expected one of none, mirrored, multi_worker, got 'horovod'"):
        make_strategy(cfg)
    cfg.TRAIN.STRATEGY = 'multi_worker'
    monkeypatch.delenv('TF_CONFIG', raising=False)
    with pytest.raises(ConfigError, match='needs the TF_CONFIG environment variable'):
        make_strategy(cfg)
    cfg.TRAIN.STRATEGY = 'none'
    assert make_strategy(cfg) is None
    two = types.SimpleNamespace(num_replicas_in_sync=2)
    cfg.CONST.BATCH_SIZE = 35
    with pytest.raises(ConfigError, match='CONST.BATCH_SIZE 35 does not split evenly over 2 replicas'):
        check_batch_split(cfg, two)
    cfg.CONST.BATCH_SIZE = 36
    check_batch_split(cfg, two)


def test_a_run_may_resume_on_other_devices():
    from lib.config import get_default_config
    from lib.train_net import _differences
    old, new = get_default_config(), get_default_config()
    new.TRAIN.STRATEGY = 'mirrored'
    assert _differences(old.to_dict(), new.to_dict()) == []
