"""The five networks: structure, parameter counts, variable views, gradients, saving and loading."""
import subprocess

import keras
import numpy as np
import pytest

from lib.config import load_config
from lib.weights import WeightsError, load_weights, original_name, save_weights
from models import NETWORKS, UnknownNetwork, build_network, canonical_name, spec_from_config
from models.common import trace
from tests.conftest import REPO, cli_in_one_process

TINY = dict(width=0.125)   # every channel count / 8: fast on a CPU, same structure
RNG = np.random.default_rng(1)


def images(batch, views):
    return RNG.random((batch, views, 127, 127, 3), dtype=np.float32)


@pytest.mark.parametrize('name, count', [
    ('res_gru_3', 35_968_706), ('gru_3', 32_207_266), ('lstm_3', 32_207_266),
    ('gru_1', 30_929_314), ('lstm_1', 30_929_314)])
def test_parameter_counts_match_the_release(name, count):
    assert build_network(name).count_params() == count


def test_weight_order_and_names_match_the_original_file(golden_dir):
    import json
    for tag, name in [('res_gru_net', 'res_gru_3'), ('gru_net', 'gru_3')]:
        params = json.loads((golden_dir / f'{tag}_params.json').read_text())
        model = build_network(name)
        ours = [original_name(v.path) for v in model.trainable_weights]
        assert ours == [p['name'] for p in params]
        assert [int(np.prod(v.shape)) for v in model.trainable_weights] == [p['size'] for p in params]


def test_aliases_and_unknown_names():
    assert canonical_name('ResidualGRUNet') == 'res_gru_3'
    assert canonical_name('GRUNet') == 'gru_3'
    with pytest.raises(UnknownNetwork, match='known: lstm_1'):
        canonical_name('vgg')


def test_config_values_reach_the_network():
    cfg = load_config(set_pairs=[('NETWORK.NAME', 'gru_1'), ('NETWORK.WIDTH', '0.25'),
                                 ('NETWORK.LEAKY_SLOPE', '0.1'), ('NETWORK.HIDDEN_CHANNELS', '64')])
    model = build_network(spec_from_config(cfg))
    assert model.name == 'gru_1'
    assert model.get_layer('encoder').get_layer('conv1').filters == 24
    assert model.get_layer('encoder').get_layer('rect1').negative_slope == pytest.approx(0.1)
    assert model.get_layer('recurrence').cell.state_shape == (4, 4, 4, 16)
    cfg.NETWORK.GRID_SIZE = 2
    with pytest.raises(ValueError, match='32'):
        spec_from_config(cfg)


@pytest.mark.parametrize('name', list(NETWORKS))
def test_any_number_of_views_and_one_view_equals_the_stages_by_hand(name):
    model = build_network(name, **TINY)
    for views in (1, 5):
        x = images(2, views)
        p = np.asarray(model(x))
        assert p.shape == (2, 32, 32, 32, 2)
        np.testing.assert_allclose(p.sum(-1), 1.0, atol=1e-5)
        stages = trace(model, x)
        assert stages['hidden'].shape[1] == views
        np.testing.assert_allclose(p, np.asarray(stages['probabilities']), atol=1e-5)
    # one view by hand: encoder, the cell once from a zero state, decoder, softmax
    x = images(1, 1)
    feature = model.get_layer('encoder')(x[:, 0])
    cell = model.get_layer('recurrence').cell
    hidden, _, _ = cell(feature, cell.initial_states(1))
    by_hand = keras.ops.softmax(model.get_layer('decoder')(hidden), axis=-1)
    np.testing.assert_allclose(np.asarray(model(x)), np.asarray(by_hand), atol=1e-5)


def test_initialisation_is_the_originals():
    # REFERENCE.md: Gaussian with std sqrt(2 / n), n = (fan_in + fan_out) / 2, untruncated; biases 0.1
    keras.utils.set_random_seed(0)
    model = build_network('res_gru_3', width=0.25)
    checked = 0
    for v in model.trainable_weights:
        w = np.asarray(v)
        if v.path.split('/')[-1] in ('bias', 'b'):
            assert np.all(w == np.float32(0.1)), v.path
            continue
        shape = w.shape
        receptive = int(np.prod(shape[:-2])) if len(shape) > 2 else 1
        fan_in, fan_out = receptive * shape[-2], receptive * shape[-1]
        std = np.sqrt(2.0 / ((fan_in + fan_out) / 2))
        assert abs(w.mean()) < 0.05 * std + 3 * std / np.sqrt(w.size), v.path
        assert w.std() == pytest.approx(std, rel=max(0.05, 4 / np.sqrt(w.size))), v.path
        if w.size >= 20000:   # a normal this large reaches past 3 sigma; a truncated one stops at 2
            assert np.abs(w).max() > 3 * std, v.path
        checked += 1
    assert checked == 33   # every kernel, Wx and Wh of the 63 arrays (27 layers, 3 transitions)


@pytest.mark.parametrize('name', ['lstm_1', 'gru_1', 'lstm_3', 'gru_3', 'res_gru_3'])
def test_a_training_step_reaches_every_trainable_weight(name):
    from lib.solver import VoxelTrainer
    model = build_network(name, **TINY)
    x = images(2, 2)   # two views: gates that multiply the previous state see a non-zero state
    y = (RNG.random((2, 32, 32, 32)) < 0.3).astype(np.uint8)
    # one real training step; plain SGD without decay: each weight moves by its gradient alone
    trainer = VoxelTrainer(model, weight_decay=0.0)
    trainer.compile(optimizer=keras.optimizers.SGD(1.0))
    before = [np.asarray(v).copy() for v in model.trainable_weights]
    trainer.train_on_batch(x, y)
    dead = [v.path for v, b in zip(model.trainable_weights, before) if np.array_equal(np.asarray(v), b)]
    assert not dead, f'the step did not change {dead}'


def test_weights_round_trip_and_keras_file_round_trip(tmp_path):
    model = build_network('res_gru_3', **TINY)
    x = images(1, 3)
    expected = np.asarray(model(x))
    path = save_weights(model, str(tmp_path / 'tiny.weights.h5'))
    other = build_network('res_gru_3', **TINY)
    assert not np.allclose(np.asarray(other(x)), expected)
    load_weights(other, path)
    np.testing.assert_array_equal(np.asarray(other(x)), expected)

    model.save(tmp_path / 'tiny.keras')
    reloaded = keras.models.load_model(tmp_path / 'tiny.keras')
    np.testing.assert_array_equal(np.asarray(reloaded(x)), expected)
    # a reloaded network keeps its parameter names and its spec: weights files go both ways
    assert [v.path for v in reloaded.trainable_weights] == [v.path for v in model.trainable_weights]
    from_reloaded = save_weights(reloaded, str(tmp_path / 'reloaded.weights.h5'))
    from lib.weights import read_spec
    assert read_spec(from_reloaded) == read_spec(path)
    fresh = build_network('res_gru_3', **TINY)
    load_weights(fresh, from_reloaded)
    np.testing.assert_array_equal(np.asarray(fresh(x)), expected)
    load_weights(reloaded, path)


def test_stateful_network_refines_view_by_view(tmp_path):
    model = build_network('gru_3', **TINY)
    stateful = build_network('gru_3', batch_size=1, stateful=True, **TINY)
    path = save_weights(model, str(tmp_path / 'w.weights.h5'))
    load_weights(stateful, path)
    x = images(1, 3)
    for v in range(3):
        np.testing.assert_allclose(np.asarray(stateful(x[:, v:v + 1])), np.asarray(model(x[:, :v + 1])), atol=1e-5)
    stateful.get_layer('recurrence').reset_state()
    np.testing.assert_allclose(np.asarray(stateful(x[:, 2:3])), np.asarray(model(x[:, 2:3])), atol=1e-5)


def test_loading_another_networks_weights_fails_naming_both(tmp_path):
    path = save_weights(build_network('gru_3', **TINY), str(tmp_path / 'gru.weights.h5'))
    with pytest.raises(WeightsError) as err:
        load_weights(build_network('res_gru_3', **TINY), path)
    message = str(err.value)
    assert 'gru_3' in message and 'res_gru_3' in message and '\n' not in message
    with pytest.raises(WeightsError, match='width 0.25'):
        load_weights(build_network('gru_3', width=0.25), path)
    with pytest.raises(WeightsError, match='not found: .*missing.weights.h5'):
        load_weights(build_network('gru_3', **TINY), str(tmp_path / 'missing.weights.h5'))


def test_weights_files_are_by_layer_name(tmp_path, capsys):
    import h5py
    model = build_network('res_gru_3', **TINY)
    path = save_weights(model, str(tmp_path / 'named.weights.h5'))
    with h5py.File(path, 'r') as f:
        names = []
        f['weights'].visititems(lambda n, o: names.append(n) if isinstance(o, h5py.Dataset) else None)
        assert sorted(names) == sorted(v.path for v in model.trainable_weights)
        assert f['weights/conv1a/kernel'].shape == tuple(model.get_layer('encoder').get_layer('conv1a').kernel.shape)
        assert 'weights/recurrence/gru/t_x_s_update/Wx' in f and 'weights/conv11/bias' in f
    # a file written by Keras' own save_weights still loads (Keras matches it by class and position)
    keras_file = str(tmp_path / 'plain.weights.h5')
    model.save_weights(keras_file)
    other = build_network('res_gru_3', **TINY)
    load_weights(other, keras_file)
    assert 'plain Keras weights file' in capsys.readouterr().err   # what was not checked is said
    x = images(1, 2)
    np.testing.assert_array_equal(np.asarray(other(x)), np.asarray(model(x)))
    # one that does not fit fails in one line and leaves the network as it was
    wider = build_network('res_gru_3', width=0.25)
    before = [np.asarray(v).copy() for v in wider.weights]
    with pytest.raises(WeightsError) as err:
        load_weights(wider, keras_file)
    assert '\n' not in str(err.value) and 'does not fit' in str(err.value)
    for var, value in zip(wider.weights, before):
        np.testing.assert_array_equal(np.asarray(var), value)


def test_damaged_by_name_files_name_the_parameter_and_load_nothing(tmp_path):
    import h5py
    path = save_weights(build_network('gru_3', **TINY), str(tmp_path / 'w.weights.h5'))
    target = build_network('gru_3', **TINY)
    before = [np.asarray(v) for v in target.trainable_weights]
    missing, reshaped = tmp_path / 'missing.weights.h5', tmp_path / 'reshaped.weights.h5'
    for copy in (missing, reshaped):
        copy.write_bytes(open(path, 'rb').read())
    with h5py.File(missing, 'a') as f:
        del f['weights/conv11/bias']
    with h5py.File(reshaped, 'a') as f:
        del f['weights/recurrence/gru/t_x_rs/b']
        f['weights/recurrence/gru/t_x_rs/b'] = np.zeros((3,), np.float32)
    for copy, message in ((missing, 'has no conv11/bias'), (reshaped, r'recurrence/gru/t_x_rs/b has shape \(3,\)')):
        with pytest.raises(WeightsError, match=message) as err:
            load_weights(target, str(copy))
        assert '\n' not in str(err.value)
    for var, value in zip(target.trainable_weights, before):
        np.testing.assert_array_equal(np.asarray(var), value)   # nothing half-loaded


def run_sh(*args, timeout=300):
    return subprocess.run([str(REPO / 'run.sh'), *args], capture_output=True, text=True, timeout=timeout,
                          cwd=REPO)


@pytest.mark.slow   # ./run.sh in a subprocess, TensorFlow loaded each time
def test_summary_command_prints_the_total_parameter_count():
    result = run_sh('summary', 'ResidualGRUNet')
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert 'conv10c' in result.stdout and 't_x_s_update' not in lines[-1]
    assert lines[-1] == 'Total parameters of res_gru_3: 35,968,706'


def test_summary_of_each_network_in_process(capsys):
    from lib.commands.cli import main
    for name in NETWORKS:
        assert main(['summary', name]) == 0
        last = capsys.readouterr().out.strip().splitlines()[-1]
        assert last.startswith(f'Total parameters of {name}: ')


@pytest.mark.slow   # ./run.sh in a subprocess, TensorFlow loaded each time
def test_unknown_command_and_unknown_network_exit_codes():
    assert run_sh('frobnicate').returncode == 2
    bad = run_sh('summary', 'vgg16')
    assert bad.returncode == 1 and bad.stderr.strip().splitlines()[-1].startswith('error: unknown network')


NETWORK_CONFIG_ERRORS = [
    ('NETWORK.GRID_SIZE', '5', 'error: NETWORK.GRID_SIZE 5: three x2 unpools'),
    ('NETWORK.PRECISION', 'float8', 'error: NETWORK.PRECISION must be one of'),
    ('NETWORK.WIDTH', '0', 'error: NETWORK.WIDTH must be above 0'),
    ('CONST.IMG_W', '100', 'error: CONST.IMG_W and CONST.IMG_H must be equal'),
]


@pytest.fixture(scope='module')
def config_error_runs():
    """`summary gru_1 --set KEY VALUE` for each case of NETWORK_CONFIG_ERRORS through the CLI's main() (what
    ./run.sh runs), all in one process: {(key, value): (exit code, that case's stderr)}. The process
    boundary itself is checked with ./run.sh by the tests above."""
    runs = cli_in_one_process([['summary', 'gru_1', '--set', key, value] for key, value, _ in NETWORK_CONFIG_ERRORS])
    return {(key, value): run for (key, value, _), run in zip(NETWORK_CONFIG_ERRORS, runs)}


@pytest.mark.parametrize('key, value, message', NETWORK_CONFIG_ERRORS)
@pytest.mark.slow   # TensorFlow loaded in a subprocess (once for the four cases)
def test_network_config_values_no_network_can_have_are_one_line_errors(config_error_runs, key, value, message):
    code, stderr = config_error_runs[key, value]
    assert code == 1
    assert stderr.strip().splitlines()[-1].startswith(message) and 'Traceback' not in stderr


@pytest.mark.slow   # ./run.sh in a subprocess, TensorFlow loaded each time
def test_run_sh_from_a_folder_with_its_own_models_package(tmp_path):
    # the caller's folder is not on the import path: its models/ does not replace ours
    (tmp_path / 'models').mkdir()
    (tmp_path / 'models' / '__init__.py').write_text("raise SystemExit('the caller\\'s models/ was imported')\n")
    result = subprocess.run([str(REPO / 'run.sh'), 'summary', 'gru_1', '--set', 'NETWORK.WIDTH', '0.0625'],
                            capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == 'Total parameters of gru_1: 121,924'
