"""Equivalence with the original Theano code, proven on its own recorded outputs (tests/data/golden).

The golden weights are rebuilt from their recipe, written in the original release format (a pickled
list of Theano-layout arrays), converted with `./run.sh convert`, and the Keras network is run on the
recorded input: fc7 features, the hidden state after each view, the update gates, the logits and
the probabilities must match within 1e-5.
"""
import json
import subprocess

import numpy as np
import pytest

from lib.weights import WeightsError, convert_original, load_weights, original_shape, read_original_file
from models import build_network
from models.common import trace
from tests.conftest import REPO

TOL = 1e-5
NETS = {'res_gru_net': 'res_gru_3', 'gru_net': 'gru_3'}


def rebuild_golden_weights(params):
    """golden/README.md's recipe: one default_rng(20161008) drawn parameter by parameter, standard
    normal times s (0.01 for biases, 1/sqrt(in) for (in, out) matrices, 1/sqrt(prod(shape[1:])) for
    conv kernels), in float32."""
    rng = np.random.default_rng(20161008)
    arrays = []
    for p in params:
        shape = tuple(p['shape'])
        if len(shape) == 1:
            scale = np.float32(0.01)
        elif len(shape) == 2:
            scale = np.float32(1.0 / np.sqrt(shape[0]))
        else:
            scale = np.float32(1.0 / np.sqrt(np.prod(shape[1:])))
        assert scale == np.float32(p['scale_float32'])
        arrays.append(rng.standard_normal(shape).astype(np.float32) * scale)
    return arrays


def save_original_format(arrays, path):
    """As the original Net.save(): np.save of a 1-D object array of float32 arrays."""
    packed = np.empty(len(arrays), dtype=object)
    for i, a in enumerate(arrays):
        packed[i] = a
    np.save(path, packed, allow_pickle=True)


def run_sh(*args):
    return subprocess.run([str(REPO / 'run.sh'), *args], capture_output=True, text=True, cwd=REPO,
                          timeout=600)


@pytest.fixture(scope='module', params=list(NETS))
def converted(request, golden_dir, tmp_path_factory):
    tag = request.param
    params = json.loads((golden_dir / f'{tag}_params.json').read_text())
    folder = tmp_path_factory.mktemp(tag)
    original = folder / f'{tag}.npy'
    save_original_format(rebuild_golden_weights(params), original)
    out = folder / f'{tag}.weights.h5'
    result = run_sh('convert', str(original), str(out), '--net', NETS[tag])
    assert result.returncode == 0, result.stderr
    assert f'converted {len(params)} arrays' in result.stdout
    original.unlink()   # 130-145 MB
    model = build_network(NETS[tag])
    load_weights(model, str(out))
    return tag, model


def golden(golden_dir, tag, what, views):
    return np.load(golden_dir / f'{tag}_{what}_v{views}.npy')


@pytest.mark.parametrize('views', [1, 3])
def test_converted_network_computes_what_the_original_computed(converted, golden_dir, views):
    tag, model = converted
    # original layouts: input (views, batch, 3, H, W); grids (batch, depth, channels, height, width)
    x = golden(golden_dir, tag, 'input', views).transpose(1, 0, 3, 4, 2)
    stages = {k: np.asarray(v) for k, v in trace(model, x).items()}
    to_keras_grid = (0, 1, 3, 4, 2)
    fc7 = golden(golden_dir, tag, 'fc7', views).transpose(1, 0, 2)
    hidden = golden(golden_dir, tag, 'hidden', views).transpose(1, 0, 2, 4, 5, 3)
    gates = golden(golden_dir, tag, 'update_gate', views).transpose(1, 0, 2, 4, 5, 3)
    logits = golden(golden_dir, tag, 'logits', views).transpose(to_keras_grid)
    output = golden(golden_dir, tag, 'output', views).transpose(to_keras_grid)
    np.testing.assert_allclose(stages['fc7'], fc7, atol=TOL)
    np.testing.assert_allclose(stages['hidden'], hidden, atol=TOL)
    np.testing.assert_allclose(stages['gates'], gates, atol=TOL)
    np.testing.assert_allclose(stages['logits'], logits, atol=TOL)
    np.testing.assert_allclose(np.asarray(model(x)), output, atol=TOL)
    # and the loss against the recorded target, as the original computed it
    from lib.layers import voxel_cross_entropy
    target = np.load(golden_dir / f'{tag}_target_occupancy.npy')
    recorded = json.loads((golden_dir / f'{tag}_results.json').read_text())['losses'][f'v{views}']
    assert float(voxel_cross_entropy(target, stages['logits'])) == pytest.approx(
        recorded['loss_theano_float32'], abs=1e-6)


def _tiny_original_arrays(model):
    rng = np.random.default_rng(0)
    return [rng.normal(size=original_shape(v)).astype(np.float32) for v in model.trainable_weights]


def test_converter_names_the_first_mismatch():
    model = build_network('gru_3', width=0.125)
    arrays = _tiny_original_arrays(model)
    with pytest.raises(WeightsError, match='the file has 32 arrays; gru_3 needs 33'):
        convert_original(model, arrays[:-1])
    swapped = list(arrays)
    swapped[2] = swapped[2].transpose(1, 0, 2, 3)   # conv2.W with in/out exchanged
    with pytest.raises(WeightsError, match=r'array 2 \(conv2.W\): expected shape \(16, 12, 3, 3\), '
                                           r'got \(12, 16, 3, 3\)'):
        convert_original(model, swapped)
    swapped = list(arrays)
    swapped[15] = swapped[15][:, :-1]   # t_x_s_update.Wx
    with pytest.raises(WeightsError, match=r'array 15 \(t_x_s_update.Wx\)'):
        convert_original(model, swapped)


@pytest.mark.slow   # ./run.sh convert in subprocesses
def test_convert_command_errors_are_one_line(tmp_path):
    model = build_network('gru_3', width=0.125)
    arrays = _tiny_original_arrays(model)
    path = tmp_path / 'wrong.npy'
    save_original_format(arrays[:5], path)
    out = tmp_path / 'out.weights.h5'
    result = run_sh('convert', str(path), str(out), '--net', 'gru_3', '--set', 'NETWORK.WIDTH', '0.125')
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == 'error: the file has 5 arrays; gru_3 needs 33'
    assert not out.exists(), 'nothing half-written'
    plain = tmp_path / 'plain.npy'
    np.save(plain, np.zeros(3))
    with pytest.raises(WeightsError, match='expected a list of arrays'):
        read_original_file(str(plain))
    with pytest.raises(WeightsError, match='not found'):
        read_original_file(str(tmp_path / 'missing.npy'))
    garbage = tmp_path / 'garbage.npy'
    garbage.write_bytes(b'not numpy at all')
    with pytest.raises(WeightsError, match='not a .npy file'):
        read_original_file(str(garbage))


def test_converted_tiny_weights_round_trip_through_the_file(tmp_path):
    """A converted network saved and reloaded is the same network (no reliance on model order)."""
    model = build_network('lstm_1', width=0.125)
    convert_original(model, _tiny_original_arrays(model))
    from lib.weights import save_weights
    path = save_weights(model, str(tmp_path / 'lstm.weights.h5'))
    again = load_weights(build_network('lstm_1', width=0.125), path)
    for a, b in zip(model.trainable_weights, again.trainable_weights):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
