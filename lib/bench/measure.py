"""The measurements of ./run.sh bench, each run in a worker process (python -m lib.bench.benchmark
--worker SPEC) that prints one tagged JSON line per measurement.

The kinds in TENSORFLOW_KINDS time TensorFlow itself (tf.function, tf.matmul): the CPU study of
the fast path (issue 6). 'schedule' is backend-neutral (Keras' predict_on_batch and
train_on_batch on the backend's own device, GPU included); 'pipeline' times the input pipeline
as training uses it on the backend; 'machine' describes the machine and its devices.
"""
import json
import os
import statistics
import tempfile
import time

from lib.bench import data_speed, default_run
from lib.data_io import REPO_ROOT
from lib.bench.probe import (LoadProbe, device_peak_memory_mb, machine_description, peak_rss_mb, rss_mb,
                             timed)

RESULT_TAG = 'BENCH-RESULT '


def prod(values):
    out = 1
    for v in values:
        out *= int(v)
    return out


def _measure_matmul(m):
    import tensorflow as tf
    n, dtype = m['n'], m['dtype']
    rng = tf.random.Generator.from_seed(0)
    a = tf.cast(rng.normal((n, n)), dtype)
    b = tf.cast(rng.normal((n, n)), dtype)
    f = tf.function(lambda a, b: tf.matmul(a, b)[0, 0])   # the product is computed in full
    times, load = timed(lambda: f(a, b).numpy(), m['warmup'], m['reps'])
    return times, load, {'flop': 2 * n ** 3}


def _build(m):
    import keras
    from lib.bench.theano_form import literal_network
    from models import build_network
    keras.utils.set_random_seed(0)
    build = build_network if m['path'] == 'fast' else literal_network   # the product, or the literal reference
    return build(m['net'], width=m['width'], precision=m['precision'])


def _images(batch, views, size):
    import numpy as np
    return np.random.default_rng(0).random((batch, views, size, size, 3), dtype=np.float32)


def _forward_call(m, traces=None):
    """A compiled forward pass of m's network on fixed images: call() runs it once."""
    import tensorflow as tf
    model = _build(m)
    x = tf.constant(_images(m['batch'], m['views'], model.spec.img_size))

    @tf.function
    def forward(x):
        if traces is not None:
            traces.append(1)   # runs only while tracing
        return model(x, training=False)

    return lambda: forward(x).numpy()


def _train_call(m):
    """One training step of m's network (VoxelTrainer, Adam, weight decay: what fit runs)."""
    import numpy as np
    from lib.config import get_default_config
    from lib.solver import VoxelTrainer, make_optimizer
    model = _build(m)
    cfg = get_default_config()
    trainer = VoxelTrainer(model, cfg.TRAIN.WEIGHT_DECAY)
    trainer.compile(optimizer=make_optimizer(cfg.TRAIN), jit_compile=False)
    x = _images(m['batch'], m['views'], model.spec.img_size)
    n = model.spec.n_vox
    y = (np.random.default_rng(1).random((m['batch'], n, n, n)) < 0.2).astype(np.uint8)
    return lambda: trainer.train_on_batch(x, y)


def _measure_forward(m):
    traces = []
    call = _forward_call(m, traces)
    rss_built = rss_mb()
    times, load = timed(call, m['warmup'], m['reps'])
    return times, load, {'traces': len(traces), 'rss_built_mb': rss_built}


def _measure_train(m):
    call = _train_call(m)
    rss_built = rss_mb()
    times, load = timed(call, m['warmup'], m['reps'])
    return times, load, {'rss_built_mb': rss_built}


def _measure_paired(m):
    """The configurations of m['configs'] called in turn (A B C A B C ...) in one process, so that a
    change of the machine's load hits them alike: the ratios of the targets come from here."""
    calls = []
    for path, precision in m['configs']:
        spec = dict(m, path=path, precision=precision)
        call = _train_call(spec) if m['what'] == 'train' else _forward_call(spec)
        call()   # traced and run once
        calls.append(call)
    # warm-up in rounds too: the first call of each configuration after the others were built
    # is slow (measured: 8-10x its later calls), so configurations are warmed in turn
    for _ in range(m['warmup']):
        for call in calls:
            call()
    by_config = [[] for _ in calls]
    probe = LoadProbe().start()
    rounds = []
    for _ in range(m['reps']):
        t_round = time.perf_counter()
        for i, call in enumerate(calls):
            t0 = time.perf_counter()
            call()
            by_config[i].append(time.perf_counter() - t0)
        rounds.append(time.perf_counter() - t_round)
    load = probe.stop()
    medians = {f'{p}/{q}': statistics.median(t) for (p, q), t in zip(m['configs'], by_config)}
    return rounds, load, {'medians': medians, 'by_config': by_config}


def _measure_layers(m):
    """Each convolution and matrix product of a 1-view forward (batch 1) timed alone, on the input
    it sees in the network, and the encoder and decoder as wholes: where the time goes."""
    import keras
    import tensorflow as tf
    from lib.layers import UnpoolConv3D
    model = _build(m)
    x = _images(1, 1, model.spec.img_size)[:, 0]
    encoder, decoder = model.get_layer('encoder'), model.get_layer('decoder')
    hidden = model.get_layer('recurrence')(encoder(x)[:, None])
    rows, wholes = [], {}
    probe = LoadProbe().start()
    for part, sub, inp in (('encoder', encoder, x), ('decoder', decoder, hidden)):
        whole = tf.function(lambda t, sub=sub: sub(t))
        wholes[part] = statistics.median(timed(lambda: whole(inp).numpy(), m['warmup'], m['reps'])[0])
        inner = keras.Model(sub.input, [layer.output for layer in sub.layers[1:]])
        outputs = dict(zip([layer.name for layer in sub.layers[1:]], inner(inp)))
        outputs[sub.layers[0].name] = tf.convert_to_tensor(inp)
        for layer in sub.layers[1:]:
            if not isinstance(layer, (keras.layers.Conv2D, keras.layers.Conv3D, keras.layers.Dense)):
                continue
            source = outputs[layer.input._keras_history.operation.name]
            f = tf.function(lambda t, layer=layer: layer(t))
            seconds = statistics.median(timed(lambda: f(source).numpy(), m['warmup'], m['reps'])[0])
            kernel = tuple(layer.kernel.shape)
            cells = prod(source.shape[:-1]) if isinstance(layer, UnpoolConv3D) else prod(layer.output.shape[1:-1])
            useful = cells * prod(kernel[:-2]) * kernel[-2] * kernel[-1] if len(kernel) > 2 else prod(kernel)
            if not isinstance(layer, UnpoolConv3D) and \
                    type(layer.input._keras_history.operation).__name__ == 'Unpool3D':
                useful //= 8
            rows.append((part, layer.name, seconds, useful))
    load = probe.stop()
    return [wholes['encoder'] + wholes['decoder']], load, {'layers': rows, 'wholes': wholes}


def _measure_unpool_conv(m):
    """One decoder convolution of an unpooled grid, by one method (or the literal 'reference')."""
    import numpy as np
    import tensorflow as tf
    from lib.layers import UNPOOL_CONV_METHODS, unpool_zero_insertion
    n, cin, cout, batch = m['n'], m['cin'], m['cout'], m['batch']
    rng = np.random.default_rng(0)
    x = tf.constant(rng.standard_normal((batch, n, n, n, cin)).astype(np.float32))
    k = tf.Variable((rng.standard_normal((3, 3, 3, cin, cout)) / np.sqrt(27 * cin)).astype(np.float32))
    if m['method'] == 'reference':
        def op(x):
            return tf.nn.conv3d(unpool_zero_insertion(x), k, [1] * 5, 'SAME')
    else:
        def op(x, method=UNPOOL_CONV_METHODS[m['method']]):
            return method(x, k)

    if m['grad']:
        @tf.function
        def f(x):
            with tf.GradientTape() as tape:
                tape.watch(x)
                y = op(x)
            return tape.gradient(y, [x, k], output_gradients=y)
    else:
        f = tf.function(op)
    times, load = timed(lambda: [t.numpy() for t in tf.nest.flatten(f(x))], m['warmup'], m['reps'])
    return times, load, {}


def sample_dataset_root():
    """The real ShapeNet sample the tests carry (tests/data/shapenet-sample), if this copy has it."""
    root = os.path.join(str(REPO_ROOT), 'tests', 'data', 'shapenet-sample')
    return root if os.path.isdir(os.path.join(root, 'ShapeNetRendering')) else None


def synthetic_dataset(folder, models=3, views=24, size=137, n_vox=32):
    """A small ShapeNet-layout tree of random RGBA renderings and voxel grids (when no sample)."""
    import numpy as np
    from PIL import Image
    from lib.binvox_rw import Voxels, write_binvox
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[:size, :size]
    for i in range(models):
        render = os.path.join(folder, 'ShapeNetRendering', '03001627', f'm{i:03d}', 'rendering')
        os.makedirs(render, exist_ok=True)
        for v in range(views):
            rgba = rng.integers(0, 256, (size, size, 4), dtype=np.uint8)
            cy, cx, r = rng.uniform(40, 97), rng.uniform(40, 97), rng.uniform(20, 40)
            rgba[..., 3] = np.where((yy - cy) ** 2 + (xx - cx) ** 2 < r * r, 255, 0)
            Image.fromarray(rgba, 'RGBA').save(os.path.join(render, f'{v:02d}.png'))
        voxels = os.path.join(folder, 'ShapeNetVox32', '03001627', f'm{i:03d}')
        os.makedirs(voxels, exist_ok=True)
        write_binvox(Voxels(rng.random((n_vox,) * 3) < 0.2), os.path.join(voxels, 'model.binvox'))
    return [('03001627', f'm{i:03d}') for i in range(models)]


def _measure_pipeline(m):
    """Batches of the training pipeline (TrainBatches through lib.train_net.batch_stream: tf.data on
    TensorFlow, the threaded generator elsewhere)."""
    import numpy as np
    from lib.config import get_default_config
    from lib.data_io import category_model_pairs
    from lib.data_process import TrainBatches
    from lib.train_net import batch_stream
    cfg = get_default_config()
    cfg.CONST.BATCH_SIZE = m['batch']
    cfg.CONST.N_VIEWS = m['views']
    cfg.TRAIN.RANDOM_NUM_VIEWS = False
    tmp = None
    root = m.get('root') or sample_dataset_root()
    if m.get('root'):
        cfg.DIR.DATASET_ROOT = root
        pairs = category_model_pairs(cfg, cfg.TRAIN.DATASET_PORTION)
        source = f'the training split of {os.path.normpath(root)} ({len(pairs)} models)'
    elif root:
        import glob
        pairs = sorted((p.split(os.sep)[-2], p.split(os.sep)[-1])
                       for p in glob.glob(os.path.join(root, 'ShapeNetVox32', '*', '*')))
        source = f'the real ShapeNet sample ({len(pairs)} real models) at {os.path.normpath(root)}'
    else:
        tmp = tempfile.TemporaryDirectory()
        root = tmp.name
        pairs = synthetic_dataset(root)
        source = f'{len(pairs)} generated models (random 137x137 RGBA renderings)'
    cfg.DIR.DATASET_ROOT = root
    workers = m['workers']
    batches = TrainBatches(cfg, pairs, seed=0, length=m['reps'] * m['batches'])
    stream = iter(batch_stream(batches, workers))

    def run():   # the time per batch over `batches` batches: the stream's read-ahead cannot hide it
        t0 = time.perf_counter()
        for _ in range(m['batches']):
            np.asarray(next(stream)[0])
        return (time.perf_counter() - t0) / m['batches']

    seconds = []
    probe = LoadProbe().start()
    for _ in range(m['reps']):
        seconds.append(run())
    load = probe.stop()
    if tmp:
        tmp.cleanup()
    return seconds, load, {'images_per_batch': m['batch'] * m['views'], 'source': source, 'workers': workers}


# ---------------------------------------------------------------------------------------------
# The paper's schedule on whatever backend and device: Keras' own compiled calls, no TensorFlow


_NETWORKS = {}   # (net, width, precision) -> network: the rows of one configuration share it


def _schedule_network(m):
    key = (m['net'], m['width'], m['precision'])
    if key not in _NETWORKS:
        _NETWORKS[key] = _build(dict(m, path='fast'))
    return _NETWORKS[key]


def _schedule_call(m):
    """A forward (predict_on_batch) or a training step (VoxelTrainer.train_on_batch: Adam, weight
    decay, loss scaling for float16) of the fast path, compiled as m['jit'] says: XLA on
    TensorFlow, jax.jit on JAX, torch.compile on PyTorch. Both return numpy, so a call includes
    waiting for the device."""
    import numpy as np
    from lib.config import get_default_config
    from lib.solver import VoxelTrainer, make_optimizer
    network = _schedule_network(m)
    x = _images(m['batch'], m['views'], network.spec.img_size)
    if m['what'] == 'forward':
        network.compile(jit_compile=m['jit'])
        return lambda: network.predict_on_batch(x)
    cfg = get_default_config()
    trainer = VoxelTrainer(network, cfg.TRAIN.WEIGHT_DECAY)
    trainer.compile(optimizer=make_optimizer(cfg.TRAIN, precision=m['precision']), jit_compile=m['jit'])
    n = network.spec.n_vox
    y = (np.random.default_rng(1).random((m['batch'], n, n, n)) < 0.2).astype(np.uint8)
    return lambda: trainer.train_on_batch(x, y)


def _measure_schedule(m):
    call = _schedule_call(m)
    t0 = time.perf_counter()
    call()   # tracing and compiling, then one call
    first = time.perf_counter() - t0
    times, load = timed(call, m['warmup'], m['reps'])
    return times, load, {'first_call_s': first, 'device_peak_mb': device_peak_memory_mb()}


def _measure_machine(m):
    """Not a timing: the machine and the devices the backend sees, from a worker (the parent keeps
    off the GPU, so that it holds none of its memory)."""
    return [0.0], {'others_cores': None}, {'machine': machine_description()}


MEASURES = {'matmul': _measure_matmul, 'forward': _measure_forward, 'train': _measure_train,
            'paired': _measure_paired, 'layers': _measure_layers, 'unpool_conv': _measure_unpool_conv,
            'pipeline': _measure_pipeline, 'schedule': _measure_schedule, 'machine': _measure_machine,
            'datagen': data_speed.measure_datagen, 'shapes': data_speed.measure_shapes,
            'default_run': default_run.measure_default_run, 'step_ops': default_run.measure_step_ops,
            'step_kernels': default_run.measure_step_kernels}
# the kinds that run TensorFlow directly (tf.function, tf.matmul): the TensorFlow backend only
TENSORFLOW_KINDS = {'matmul', 'forward', 'paired', 'layers', 'unpool_conv'}


def worker(specs):
    """Run measurements in order, printing one tagged JSON line each."""
    from lib.devices.backend import backend_ready
    backend_ready()
    for m in specs:
        times, load, extra = MEASURES[m['kind']](m)
        result = {**m, 'times': times, 'median': statistics.median(times), 'min': min(times),
                  'peak_rss_mb': peak_rss_mb(), **load, **extra}
        print(RESULT_TAG + json.dumps(result), flush=True)
