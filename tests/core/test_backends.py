"""The custom layers and the five networks on the other Keras backends (JAX, PyTorch): the same
outputs as TensorFlow for the same weights (saved as .weights.h5 by TensorFlow, loaded by the other
backend), the same loss and gradients in a training step of VoxelTrainer, the same states when views
are fed one at a time (stateful recurrence, reset), and the same shapes from the demo's API. The
backends are optional: `./run.sh setup --backends jax,torch`.

Each backend runs in its own process (tests/backend_probe.py), since Keras fixes its backend when
it is imported."""
import importlib.util
import os
import subprocess
import sys

import numpy as np
import pytest

from tests.conftest import REPO

TOLERANCE = 1e-4
PROBE = REPO / 'tests' / 'backend_probe.py'


def probe(backend, *args):
    result = subprocess.run([sys.executable, str(PROBE), *map(str, args)], cwd=REPO, capture_output=True, text=True,
                            timeout=600, env={**os.environ, 'KERAS_BACKEND': backend, 'TF_CPP_MIN_LOG_LEVEL': '2'})
    assert result.returncode == 0, f'{backend}: {result.stdout}{result.stderr}'


def backend(name):
    installed = importlib.util.find_spec(name) is not None
    return pytest.param(name, marks=pytest.mark.skipif(
        not installed, reason=f'{name} is not installed (./run.sh setup --backends {name})'))


@pytest.fixture(scope='module')
def tensorflow_run(tmp_path_factory):
    """Weights and inputs made by TensorFlow, and TensorFlow's outputs on them."""
    folder = tmp_path_factory.mktemp('backends')
    probe('tensorflow', 'make', folder)   # also runs them: folder/tensorflow.npz
    return folder, dict(np.load(folder / 'tensorflow.npz'))


@pytest.mark.parametrize('name', [backend('jax'), backend('torch')])
def test_networks_give_tensorflows_outputs_loss_and_gradients(name, tensorflow_run):
    folder, expected = tensorflow_run
    assert str(expected['backend']) == 'tensorflow'
    probe(name, 'run', folder, folder / f'{name}.npz')
    got = dict(np.load(folder / f'{name}.npz'))
    assert str(got['backend']) == name
    assert got.keys() == expected.keys()
    forward = {key.split('/')[0] for key in expected if key.endswith('/probabilities')}
    trained = {key.split('/')[0] for key in expected if key.endswith('/update')}
    five = {'lstm_1', 'gru_1', 'lstm_3', 'gru_3', 'res_gru_3'}
    stateful = {key.split('/')[0] for key in expected if key.endswith('/stateful')}
    assert forward == trained == stateful == five and {'demo/refine', 'demo/stream'} <= expected.keys()
    assert int(expected['strategy_refused']) == 0 and int(got['strategy_refused']) == 1
    for key in sorted(expected):
        if key in ('backend', 'strategy_refused'):
            continue
        if key.endswith('/paths'):   # the same weights, in the same order
            assert list(got[key]) == list(expected[key]), key
            continue
        # probabilities, logits, the loss and the SGD step (the gradient plus the decay)
        assert np.all(np.isfinite(got[key])), key
        np.testing.assert_allclose(got[key], expected[key], rtol=0, atol=TOLERANCE, err_msg=f'{name}: {key}')
