"""What the training tests share (test_train.py, test_tensorboard_shapes.py): a tiny configuration,
a dataset tree, and one run of it trained to its end.

A tiny ./run.sh train spends most of its time starting TensorFlow and tracing the training step, not
training: the tests that only read a finished run, or copy it and continue it, share one. A test
that damages its data or needs an empty folder makes its own.
"""
import os
import shutil
import subprocess

import pytest

from tests.conftest import REPO, build_dataset_tree

TINY_CFG = """
NETWORK: {NAME: res_gru_3, WIDTH: 0.0625}
CONST: {BATCH_SIZE: 2, N_VIEWS: 2}
TRAIN: {NUM_ITERATION: 8, SAVE_FREQ: 2, VALIDATION_FREQ: 4, PRINT_FREQ: 1, TENSORBOARD: false, NUM_WORKER: 2}
TEST: {NUM_VALIDATION_MODELS: 3, BATCH_SIZE: 2}
"""


def run_sh(*args, env=None, timeout=300):
    return subprocess.run([str(REPO / 'run.sh'), *map(str, args)], capture_output=True, text=True,
                          cwd=REPO, timeout=timeout, env={**os.environ, **(env or {})})


@pytest.fixture(scope='session')
def tiny_tree(shapenet_sample, tmp_path_factory):
    """(dataset root, tiny.yaml) for the tests that only read them: 5 copies of each sample model."""
    folder = tmp_path_factory.mktemp('tiny')
    cfg = folder / 'tiny.yaml'
    cfg.write_text(TINY_CFG)
    return build_dataset_tree(shapenet_sample, folder / 'tree', models_per_category=5), cfg


@pytest.fixture(scope='session')
def finished_run(tiny_tree):
    """The tiny configuration trained to its end (8 iterations) without interruption: (run folder,
    its CompletedProcess). With TRAIN.TENSORBOARD on, for the validation shapes test; a key a rerun
    may change, so copies of the run resume under tiny.yaml. Tests read it or copy it, never write it."""
    root, cfg = tiny_tree
    out = cfg.parent / 'finished'
    result = run_sh('train', '--cfg', cfg, '--data', root, '--out', out, '--set', 'TRAIN.TENSORBOARD', 'true',
                    timeout=900)
    assert result.returncode == 0, result.stderr[-2000:]
    return out, result


def copy_run(run, to):
    """A copy of a run folder to continue: a rerun there resumes it (DIR.OUT_PATH, the one path in its
    config.yaml that differs, is a key a rerun may change)."""
    shutil.copytree(run, to)
    return to
