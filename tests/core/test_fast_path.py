"""The product's networks (the fast path of issue 6) compute what the original's literal form
computes, and `./run.sh bench` works.

Reference (lib/bench/theano_form.py, the oracle): Unpool3D (zero insertion) then a dense Conv3D, the
transitions one by one inside the view loop. Product: UnpoolConv3D (no products with the inserted
zeros), every W.x before the loop, fused state convolutions. Same weights, same results within
float32 rounding (1e-5).
"""
import re
import subprocess

import keras
import numpy as np
import pytest
import tensorflow as tf

from lib.bench.theano_form import LiteralRecurrence, literal_decoder, literal_network
from lib.layers import (ConvGRUCell3D, ConvLSTMCell3D, Unpool3D, UnpoolConv3D, ViewRecurrence,
                        voxel_cross_entropy)
from lib.unpooling import UNPOOL_CONV_METHODS, unpool_zero_insertion
from lib.weights import load_weights, save_weights
from models import NETWORKS, build_network
from models.common import residual_decoder, simple_decoder, trace
from tests.conftest import REPO

TOL = 1e-5
TINY = dict(width=0.125)
RNG = np.random.default_rng(6)


def images(batch, views):
    return RNG.random((batch, views, 127, 127, 3), dtype=np.float32)


def randomize(model, scale=1.0):
    """Weights of the original's scale but random biases too (0.1 everywhere hides misalignment)."""
    for w in model.weights:
        if len(w.shape) == 1:
            w.assign(RNG.normal(0, 0.1, w.shape).astype('float32'))
        else:
            w.assign((np.asarray(w) * scale).astype('float32'))


def pair(name, **overrides):
    """The same network twice, fast and reference, with the same random weights."""
    keras.utils.set_random_seed(6)   # reproducible initial weights
    fast = build_network(name, **overrides)
    reference = literal_network(name, **overrides)
    randomize(fast)
    reference.set_weights(fast.get_weights())
    assert [w.path.split('/')[-2:] for w in fast.weights] == [w.path.split('/')[-2:] for w in reference.weights]
    return fast, reference


def close(a, b, tol=TOL):
    """Within tol, relative to the size of the values (logits of a full-width net reach ~10)."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    np.testing.assert_allclose(a, b, atol=tol * max(1.0, np.abs(b).max()), rtol=0)


# ---- the layer ----

@pytest.mark.parametrize('method', sorted(UNPOOL_CONV_METHODS))
@pytest.mark.parametrize('size', [1, 3])
def test_unpool_conv_equals_unpool_then_conv(method, size):
    x = RNG.normal(size=(2, 3, 4, 5, 6)).astype('float32')   # not a cube: axes must not be mixed up
    layer = UnpoolConv3D(7, size, padding='same', method=method)
    layer.build(x.shape)
    layer.set_weights([RNG.normal(size=w.shape).astype('float32') for w in layer.weights])
    literal = keras.layers.Conv3D(7, size, padding='same')
    literal.build(unpool_zero_insertion(x).shape)
    literal.set_weights(layer.get_weights())
    expected = literal(unpool_zero_insertion(x))
    out = layer(x)
    assert out.shape == (2, 6, 8, 10, 7) == layer.compute_output_shape(x.shape)
    close(out, expected)
    # the bias reaches every voxel, the odd ones too (where the literal input is zero)
    assert np.all(np.asarray(out)[:, 1::2, 1::2, 1::2] != 0)


def test_unpool_conv_has_the_conv3d_variables_and_rejects_what_it_cannot_do():
    layer = UnpoolConv3D(4, 3, padding='same')
    layer.build((None, 4, 4, 4, 2))
    assert [w.path for w in layer.weights] == [f'{layer.name}/kernel', f'{layer.name}/bias']
    assert layer.kernel.shape == (3, 3, 3, 2, 4)
    # Keras' weights files address layers by class name: it must read as a Conv3D there
    assert type(layer).__name__ == 'Conv3D' and isinstance(layer, keras.layers.Conv3D)
    again = UnpoolConv3D.from_config(layer.get_config())
    assert again.method == layer.method and again.filters == 4
    assert keras.saving.get_registered_object('r2n2>UnpoolConv3D') is UnpoolConv3D
    for bad in (dict(kernel_size=5), dict(padding='valid'), dict(strides=2)):
        args = {'filters': 4, 'kernel_size': 3, 'padding': 'same', **bad}
        with pytest.raises(ValueError, match='UnpoolConv3D'):
            UnpoolConv3D(**args)
    with pytest.raises(ValueError, match='method'):
        UnpoolConv3D(4, 3, padding='same', method='fft')


# ---- the recurrence ----

@pytest.mark.parametrize('cell_class', [ConvGRUCell3D, ConvLSTMCell3D])
@pytest.mark.parametrize('kernel', [1, 3])
@pytest.mark.parametrize('views', [1, 4])
def test_precomputed_recurrence_equals_the_literal_one(cell_class, kernel, views):
    cell = cell_class(grid_size=4, channels=5, kernel_size=kernel)
    fast = ViewRecurrence(cell)
    literal = LiteralRecurrence(cell)   # same cell, same weights
    features = RNG.normal(size=(3, views, 7)).astype('float32')
    fast.build(features.shape)
    for w in cell.weights:
        w.assign(RNG.normal(0, 0.5, w.shape).astype('float32'))
    # from the zero state (the fast path skips the first view's state convolutions) and from a
    # given state (a stateful network's kept state: nothing skipped)
    given = [RNG.normal(size=(3, 4, 4, 4, 5)).astype('float32') for _ in range(cell.n_states)]
    for initial in (None, given):
        final_a, hidden_a, gates_a = fast.run(features, initial)
        final_b, hidden_b, gates_b = literal.run(features, initial)
        assert tuple(hidden_a.shape) == (views, 3, 4, 4, 4, 5)
        for a, b in zip(final_a + [hidden_a, gates_a], final_b + [hidden_b, gates_b]):
            close(a, b)
    if views == 1:
        return
    assert np.abs(np.asarray(hidden_a[-1]) - np.asarray(hidden_a[0])).max() > 0.1   # the views matter


@pytest.mark.parametrize('fast_path', [True, False])
def test_one_graph_serves_every_number_of_views(fast_path):
    """The view loop compiles once for an unknown view count (not once per call or per count)."""
    model = (build_network if fast_path else literal_network)('gru_1', **TINY)
    traces = []

    @tf.function(input_signature=[tf.TensorSpec((2, None, 127, 127, 3), tf.float32)])
    def forward(x):
        traces.append(1)
        return model(x)

    for views in (1, 3, 2, 3):
        x = images(2, views)
        close(forward(x), model(x))
    assert len(traces) == 1
    # Keras' own predict: a first trace for the first shape, one relaxed trace after that at most
    counted = []
    recurrence_class = type(model.get_layer('recurrence'))
    run = recurrence_class.run

    def counting_run(self, *args, **kwargs):
        if not tf.executing_eagerly():
            counted.append(1)
        return run(self, *args, **kwargs)

    recurrence_class.run = counting_run
    try:
        for views in (1, 2, 3, 1, 2):
            model.predict(images(1, views), verbose=0)
    finally:
        recurrence_class.run = run
    assert len(counted) <= 2


@pytest.mark.slow   # compiles the forward for several sets of view counts
def test_logits_after_views_compiles_once_per_set_of_view_counts():
    """Evaluation and the demo call it batch after batch: one graph for any batch and view count."""
    from models.common import _COMPILED, _logits_after_views, logits_after_views
    model = build_network('res_gru_3', **TINY)
    for batch, views in ((2, 3), (1, 4), (3, 3)):
        x = images(batch, views)
        got = logits_after_views(model, x, [1, 2, 3])
        eager = _logits_after_views(model, tf.constant(x[:, :3]), (1, 2, 3))
        by_stage = trace(model, x[:, :3])
        for n in (1, 2, 3):
            close(got[n], eager[n])
        close(got[3], by_stage['logits'])
    # one view through a graph traced for any number of views (the demo with one image)
    x = images(2, 1)
    close(logits_after_views(model, x, [1])[1], trace(model, x)['logits'])
    assert {k: f.experimental_get_tracing_count() for k, f in _COMPILED[model].items()} == {(1, 2, 3): 1, (1,): 1}
    with pytest.raises(ValueError, match='after 5 views of 3'):
        logits_after_views(model, images(1, 3), [5])


# ---- whole networks ----

@pytest.mark.parametrize('name', list(NETWORKS))
def test_fast_and_reference_networks_agree(name):
    fast, reference = pair(name, **TINY)
    assert any(isinstance(l, UnpoolConv3D) for l in fast.get_layer('decoder').layers)
    assert not any(isinstance(l, UnpoolConv3D) for l in reference.get_layer('decoder').layers)
    assert sum(isinstance(l, Unpool3D) for l in reference.get_layer('decoder').layers) == 3
    for views in (1, 3):
        x = images(2, views)
        a, b = trace(fast, x), trace(reference, x)
        for stage in ('fc7', 'hidden', 'gates', 'logits', 'probabilities'):
            close(a[stage], b[stage])
        close(fast(x), reference(x))
    assert np.asarray(a['logits']).std() > 0.01   # not a degenerate constant output


@pytest.mark.parametrize('name', ['res_gru_3', 'gru_3', 'lstm_1'])
def test_fast_and_reference_gradients_agree(name):
    fast, reference = pair(name, **TINY)
    x = images(2, 2)
    y = RNG.random((2, 32, 32, 32)) < 0.3
    grads = []
    for model in (fast, reference):
        with tf.GradientTape() as tape:
            loss = voxel_cross_entropy(y, trace(model, x)['logits'])
        grads.append(tape.gradient(loss, model.trainable_weights))
    for v, a, b in zip(fast.trainable_weights, *grads):
        assert a is not None and b is not None, v.path
        close(a, b, tol=1e-4 if 'Wx' in v.path else TOL)   # Wx: sums over all views and the batch
        # (its gradient is one product of all views at once in the fast path, a sum of per-view ones
        # in the reference; float32 rounding of a 1024 x 2048 sum, still 1e-6 of its size)


@pytest.mark.parametrize('decoder', [residual_decoder, simple_decoder])
def test_full_width_decoders_agree(decoder):
    from models import network_spec
    name = 'res_gru_3' if decoder is residual_decoder else 'gru_3'
    keras.utils.set_random_seed(6)
    fast = decoder(network_spec(name))
    reference = literal_decoder(fast)
    assert fast.count_params() == reference.count_params()
    randomize(fast)
    reference.set_weights(fast.get_weights())
    hidden = RNG.normal(0, 1, size=(1, 4, 4, 4, 128)).astype('float32')
    expected = np.asarray(reference(hidden))
    assert expected.std() > 0.02   # not a degenerate constant output
    close(fast(hidden), expected)


def test_weights_saved_from_one_path_load_into_the_other(tmp_path):
    for name in ('res_gru_3', 'gru_3'):
        fast, reference = pair(name, **TINY)
        x = images(1, 2)
        path = save_weights(fast, str(tmp_path / f'{name}_fast.weights.h5'))
        other = literal_network(name, **TINY)
        load_weights(other, path)
        close(other(x), fast(x))
        randomize(reference, scale=0.5)   # something else, saved from the reference path
        path = save_weights(reference, str(tmp_path / f'{name}_ref.weights.h5'))
        other = build_network(name, **TINY)
        load_weights(other, path)
        for a, b in zip(other.weights, reference.weights):
            np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


def test_config_selects_the_precision_and_configs_of_earlier_runs_still_load():
    from lib.config import ConfigError, load_config
    from models import spec_from_config
    cfg = load_config(set_pairs=[('NETWORK.WIDTH', '0.125')])
    assert cfg.NETWORK.PRECISION == 'float32' and 'FAST_PATH' not in cfg.NETWORK
    assert spec_from_config(cfg).precision == 'float32'
    cfg = load_config(set_pairs=[('NETWORK.PRECISION', 'mixed_bfloat16')])
    assert spec_from_config(cfg).precision == 'mixed_bfloat16'
    with pytest.raises(ConfigError, match='NETWORK.PRECISION must be one of'):
        spec_from_config(load_config(set_pairs=[('NETWORK.PRECISION', 'float16')]))
    # NETWORK.FAST_PATH is retired (the product has one path): true, which earlier runs' configs
    # hold, is accepted and ignored; the literal form cannot be chosen any more
    spec_from_config(load_config([str(REPO / 'experiments/results/cpu_more_data/config.yaml')]))
    spec_from_config(load_config(set_pairs=[('NETWORK.FAST_PATH', 'true')]))
    for value in ('false', '3'):
        with pytest.raises(ConfigError, match='NETWORK.FAST_PATH is retired'):
            load_config(set_pairs=[('NETWORK.FAST_PATH', value)])


def test_mixed_bfloat16_runs_the_convolutions_in_bf16_and_the_rest_in_float32():
    model = build_network('res_gru_3', precision='mixed_bfloat16', **TINY)
    float32 = build_network('res_gru_3', **TINY)
    float32.set_weights(model.get_weights())
    assert all(w.dtype == 'float32' for w in model.weights)   # variables stay float32
    assert model.get_layer('encoder').get_layer('conv3a').compute_dtype == 'bfloat16'
    assert model.get_layer('decoder').get_layer('conv9a').compute_dtype == 'bfloat16'
    assert model.get_layer('recurrence').cell.transitions[0].compute_dtype == 'float32'
    assert keras.config.dtype_policy().name == 'float32'   # the global policy is left alone
    x = images(2, 2)
    stages = trace(model, x)
    assert stages['logits'].dtype == 'bfloat16' and stages['hidden'].dtype == 'float32'
    p = np.asarray(model(x))
    assert p.dtype == np.float32
    np.testing.assert_allclose(p.sum(-1), 1.0, atol=1e-6)
    assert 0 < np.abs(p - np.asarray(float32(x))).max() < 0.1   # bf16 rounding, not another network


def test_useful_work_is_the_reference_minus_the_inserted_zeros():
    """Counted, not timed: the issue's 8.4 GMAC of zeros, 36 % of a 1-view forward."""
    from lib.bench.benchmark import count_macs, macs_per_call
    reference = count_macs(literal_network('res_gru_3'))
    fast = count_macs(build_network('res_gru_3'))
    for key in ('encoder', 'recurrence', 'decoder_dense', 'decoder_useful'):
        assert fast[key] == reference[key]
    zeros = macs_per_call(reference, 1, 1, useful=False) - macs_per_call(reference, 1, 1, useful=True)
    assert 8.3e9 < zeros < 8.45e9
    assert 0.35 < zeros / macs_per_call(reference, 1, 1, useful=False) < 0.37
    assert 39e9 < macs_per_call(reference, 1, 5, useful=False) < 41e9   # "~40 GMAC per 5-view forward"
    layers = {name: (dense, useful) for name, dense, useful in reference['decoder_layers']}
    assert layers['conv9a'][1] * 8 == layers['conv9a'][0] and layers['conv9b'][1] == layers['conv9b'][0]


# ---- the command ----

@pytest.mark.slow   # ./run.sh bench --quick in a subprocess
def test_bench_quick_runs_end_to_end_and_reports_every_target(tmp_path):
    out = tmp_path / 'bench.md'
    result = subprocess.run([str(REPO / 'run.sh'), 'bench', '--quick', '--out', str(out)], capture_output=True,
                            text=True, cwd=REPO, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    text = result.stdout
    assert re.search(r'fp32 matmul peak \d+ GFLOP/s, bf16 \d+ GFLOP/s', text)
    for row in ('forward 1 view, reference fp32', 'forward 5 views, fast fp32', 'forward 1 view, fast bf16',
                'input pipeline, one batch'):
        assert re.search(rf'^{re.escape(row)}\s+\d+\.\d+ m?s', text, re.M), row
    # the interleaved measurements the time ratios come from
    for what in ('forward 1 view', 'forward 5 views', r'training step \dx\d'):
        assert re.search(rf'^{what}\s+reference fp32\s+\d+\.\d+ m?s\s+1\.000', text, re.M), what
        assert re.search(rf'^{what}\s+fast fp32\s+\d+\.\d+ m?s\s+\d\.\d{{3}}', text, re.M), what
    for target in ('forward 1 view, fast fp32 / reference', 'forward 5 views, fast bf16 / reference',
                   'training step, fast fp32 / reference', 'training step, fast bf16 / reference',
                   'useful GFLOP/s of the fast fp32', 'useful GFLOP/s of the fast bf16',
                   'input pipeline images/s', 'default training run'):
        assert re.search(rf'^{re.escape(target)}.*\s\d+\.\d{{3}}\s+(<=|>=) [\d.]+\s+(yes|NO)', text, re.M), target
    assert re.search(r'^forward 1 view, fast fp32 / reference.*interleaved$', text, re.M)
    report = out.read_text()
    for heading in ('## Machine', '## Conditions', '## Targets (issue 6)', '## Measurements',
                    '## Multiply-accumulates per call', '## Input pipeline',
                    '## The default training run as it runs'):
        assert heading in report
    # where the default run's time goes: the run, the step alone by views, the parts, pipeline, graphs, validation
    for line in (r"- the run: \d+ ms per iteration over the config's [\d,]+ iterations, \d+ useful GFLOP/s",
                 r'its first pass over the models \(\d+ iterations.* at \d+ ms per iteration, the iterations after '
                 r'it at \d+ ms', r'- the step alone .*1 views \d+ ms',
                 r'- forward of \d views: \d+ ms \(encoder \d+ %', r'- input pipeline on one thread: \d+ ms',
                 r'- graphs: ', r'- validation: \d+ ms per model',
                 r'- ops by kind \(\d-view step timed by oneDNN.*convolution backward_weights \d+ %',
                 r"- TensorFlow's ops by type \(.*\): convolutions \d+ % \(forward \d+ %, gradients \d+ %\); then "
                 r'BiasAddGrad \d+ %'):
        assert re.search(line, report), line
    assert 'QUICK' in report and 'tensorflow:' in report and "others' cores" in report
    # peak memory is the worker's own (VmHWM), not the parent's size inherited over fork + exec
    rss = [float(v) for v in re.findall(r'\|\s*(\d+) MB\s*\|', report)]
    assert rss and all(300 < v < 8000 for v in rss)
    assert (tmp_path / 'bench.json').is_file()


@pytest.mark.parametrize('five_view_share, met', [(0.9, True), (0.7, False)])
def test_the_bf16_forward_is_judged_against_the_bf16_peak(five_view_share, met):
    """Issue 27's target row: the lower of the 1- and 5-view fast bf16 forwards' useful GFLOP/s over
    the bf16 matmul peak (not the fp32 one), against 0.75."""
    from lib.bench.benchmark import analyse
    from lib.bench.count import count_macs, macs_per_call
    counts = {0.125: count_macs(build_network('res_gru_3', width=0.125))}
    peak = {'float32': 50e9, 'bfloat16': 100e9}   # FLOP/s

    def row(name, kind, median, **extra):
        return {'name': name, 'kind': kind, 'median': median, 'device': 'cpu', 'busy': False, **extra}
    results = [row(f'matmul/{d}/512', 'matmul', 2 * 512 ** 3 / peak[d], n=512, dtype=d) for d in peak]
    for views, share in ((1, 0.8), (5, five_view_share)):
        useful = macs_per_call(counts[0.125], 1, views, useful=True)
        for precision, dtype in (('float32', 'float32'), ('mixed_bfloat16', 'bfloat16')):
            results.append(row(f'forward{views}/fast/{precision}', 'forward', 2 * useful / (share * peak[dtype]),
                               width=0.125, batch=1, views=views))
    _, ratios = analyse({r['name']: r for r in results}, counts, 'res_gru_3', quick=True)
    bf16 = ratios['efficiency_bf16']
    assert bf16['value'] == pytest.approx(min(0.8, five_view_share), rel=1e-6)
    assert bf16['met'] is met and bf16['target'] == 0.75 and 'bf16 peak' in bf16['what']
    assert ratios['efficiency']['value'] == pytest.approx(min(0.8, five_view_share), rel=1e-6)


def test_bench_default_run_without_a_dataset_is_one_line_and_writes_nothing(tmp_path):
    from tests.conftest import cli_in_one_process
    empty = tmp_path / 'empty'
    empty.mkdir()
    out = tmp_path / 'bench.md'
    (code, stderr), = cli_in_one_process([['bench', '--part', 'default', '--data', empty, '--out', out]])
    assert code != 0
    lines = [line for line in stderr.strip().splitlines() if line.startswith('error:')]
    assert len(lines) == 1 and 'holds no dataset' in lines[0] and 'generate-data' in lines[0], stderr
    assert not out.exists()
