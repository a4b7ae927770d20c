"""./run.sh bench: what this machine does with the network, as ratios fast / reference.

One command, one machine. Every measurement runs in a fresh worker process (python -m lib.benchmark
--worker SPEC): warm-up calls first (tracing included), then the median of several timed calls.
Around the timed calls the worker reads /proc/stat, so each row says how many cores other processes
kept busy meanwhile; a row above --busy cores is re-measured (--retries) and the quietest try is
kept, still flagged if it stayed busy. The worker's peak resident memory (VmHWM) is the row's peak
memory, so with one measurement per process it is that configuration's own.

The time ratios of the targets come from interleaved measurements: reference, fast fp32 and fast
bf16 built in one process and called in turn, round after round, so that a change of the machine's
load hits them alike (on this shared machine, rows measured minutes apart can differ by 2x).

What is counted (not timed): the useful multiply-accumulates of a call, i.e. those of every
convolution and matrix product, where a convolution of a zero-insertion unpool output counts as the
stride-2 transposed convolution it equals (1/8 of the literal dense count: the other 7/8 multiply
inserted zeros). 'same' padding is counted as work, as FLOP counters do. A training step counts as
3 forwards (forward, input gradients, weight gradients).

--quick runs small configurations with few repetitions in one process (training steps only
interleaved): a smoke test of the command, not a measurement to quote.
"""
import argparse
import datetime
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time

RESULT_TAG = 'BENCH-RESULT '
DEFAULT_OUT = 'experiments/results/bench.md'
QUICK_OUT = 'experiments/results/bench-quick.md'

# (key, what, measurement, numerator config, denominator config, comparison, target). Time ratios
# come from the interleaved measurement paired/<measurement> (the configurations called in turn in
# one process), else from the separate rows <measurement>/<config>.
TARGETS = [
    ('fwd1_fast', 'forward 1 view, fast fp32 / reference', 'forward1', 'fast/float32', 'ref/float32', '<=', 0.65),
    ('fwd5_fast', 'forward 5 views, fast fp32 / reference', 'forward5', 'fast/float32', 'ref/float32', '<=', 0.80),
    ('fwd1_bf16', 'forward 1 view, fast bf16 / reference', 'forward1', 'fast/mixed_bfloat16', 'ref/float32', '<=', 0.40),
    ('fwd5_bf16', 'forward 5 views, fast bf16 / reference', 'forward5', 'fast/mixed_bfloat16', 'ref/float32', '<=', 0.50),
    # the issue names no precision for this one: both are held to it (fp32 cannot reach it, see the floor)
    ('train_fast', 'training step, fast fp32 / reference', 'train', 'fast/float32', 'ref/float32', '<=', 0.60),
    ('train_bf16', 'training step, fast bf16 / reference', 'train', 'fast/mixed_bfloat16', 'ref/float32', '<=', 0.60),
    ('efficiency', 'useful GFLOP/s of the fast fp32 forward (lower of 1, 5 views) / fp32 peak', None, None, None, '>=', 0.85),
    ('pipeline', 'input pipeline images/s / training consumption', None, None, None, '>=', 10.0),
]
# ---------------------------------------------------------------------------------------------
# Machine load: CPU time of the whole machine minus this process's, from /proc/stat.

def _machine_busy_seconds():
    """CPU-seconds the machine has spent busy since boot (all cores), or None off Linux."""
    try:
        with open('/proc/stat') as f:
            fields = f.readline().split()[1:]
    except OSError:
        return None
    user, nice, system, idle, iowait, irq, softirq, steal = (int(v) for v in fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf('SC_CLK_TCK')


def _own_seconds():
    t = os.times()
    return t.user + t.system


def _loadavg():
    try:
        return os.getloadavg()[0]
    except OSError:
        return None


class LoadProbe:
    """Cores kept busy by other processes between start() and stop()."""

    def start(self):
        self.t0, self.busy0, self.own0, self.load0 = time.perf_counter(), _machine_busy_seconds(), _own_seconds(), _loadavg()
        return self

    def stop(self):
        wall = time.perf_counter() - self.t0
        busy1, own1 = _machine_busy_seconds(), _own_seconds()
        others = None
        if self.busy0 is not None and wall > 0:
            others = max(0.0, ((busy1 - self.busy0) - (own1 - self.own0)) / wall)
        return {'others_cores': others, 'load_before': self.load0, 'load_after': _loadavg(),
                'own_cores': (own1 - self.own0) / wall if wall > 0 else None}


def idle_check(seconds=1.0):
    probe = LoadProbe().start()
    time.sleep(seconds)
    return probe.stop()


# ---------------------------------------------------------------------------------------------
# Counting multiply-accumulates (analytically, from the built layers)

def _prod(values):
    out = 1
    for v in values:
        out *= int(v)
    return out


def count_macs(model):
    """MACs of one sample and one view, by part: {'encoder', 'recurrence' (per view),
    'decoder_dense', 'decoder_useful' (per sample)} and per-layer rows of the decoder.

    A Conv3D fed by an Unpool3D (the reference path) costs its dense count but is useful for 1/8
    of it; an UnpoolConv3D (the fast path) is counted from its input grid, which is the same 1/8.
    """
    import keras
    from lib.layers import FCConv3D, Unpool3D, UnpoolConv3D

    def conv_macs(layer):
        kernel = tuple(layer.kernel.shape)
        taps, cin, cout = _prod(kernel[:-2]), kernel[-2], kernel[-1]
        if isinstance(layer, UnpoolConv3D):
            cells = _prod(layer.input.shape[1:-1])
            return cells * taps * cin * cout * 8, cells * taps * cin * cout
        dense = _prod(layer.output.shape[1:-1]) * taps * cin * cout
        producer = layer.input._keras_history.operation
        return dense, dense // 8 if isinstance(producer, Unpool3D) else dense

    encoder = 0
    for layer in model.get_layer('encoder').layers:
        if isinstance(layer, keras.layers.Conv2D):
            encoder += conv_macs(layer)[1]
        elif isinstance(layer, keras.layers.Dense):
            encoder += _prod(layer.kernel.shape)
    recurrence = 0
    cell = model.get_layer('recurrence').cell
    for t in cell.transitions:
        assert isinstance(t, FCConv3D)
        recurrence += _prod(t.Wx.shape) + _prod(cell.state_shape[:-1]) * _prod(t.Wh.shape)
    dense = useful = 0
    layers = []
    for layer in model.get_layer('decoder').layers:
        if isinstance(layer, keras.layers.Conv3D):
            d, u = conv_macs(layer)
            dense, useful = dense + d, useful + u
            layers.append((layer.name, d, u))
    return {'encoder': encoder, 'recurrence': recurrence, 'decoder_dense': dense,
            'decoder_useful': useful, 'decoder_layers': layers}


def macs_per_call(counts, batch, views, useful=True):
    decoder = counts['decoder_useful'] if useful else counts['decoder_dense']
    return batch * (views * (counts['encoder'] + counts['recurrence']) + decoder)


# ---------------------------------------------------------------------------------------------
# The worker: one process, one or more measurements, one JSON line each.

def _timed(fn, warmup, reps):
    for _ in range(warmup):
        fn()
    probe = LoadProbe().start()
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return times, probe.stop()


def _rss_mb():
    """Current resident memory (MB) of this process."""
    try:
        with open('/proc/self/statm') as f:
            return int(f.read().split()[1]) * os.sysconf('SC_PAGE_SIZE') / 2 ** 20
    except OSError:
        return None


def _peak_rss_mb():
    """Peak resident memory (MB) of this process. VmHWM, not ru_maxrss: Linux carries ru_maxrss over
    exec from the forked parent, so a worker would report the parent's size."""
    try:
        with open('/proc/self/status') as f:
            for line in f:
                if line.startswith('VmHWM:'):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024   # KB on Linux


def _measure_matmul(m):
    import tensorflow as tf
    n, dtype = m['n'], m['dtype']
    rng = tf.random.Generator.from_seed(0)
    a = tf.cast(rng.normal((n, n)), dtype)
    b = tf.cast(rng.normal((n, n)), dtype)
    f = tf.function(lambda a, b: tf.matmul(a, b)[0, 0])   # the product is computed in full
    times, load = _timed(lambda: f(a, b).numpy(), m['warmup'], m['reps'])
    return times, load, {'flop': 2 * n ** 3}


def _build(m):
    import keras
    from models import build_network
    keras.utils.set_random_seed(0)
    return build_network(m['net'], width=m['width'], fast_path=m['path'] == 'fast', precision=m['precision'])


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
    rss_built = _rss_mb()
    times, load = _timed(call, m['warmup'], m['reps'])
    return times, load, {'traces': len(traces), 'rss_built_mb': rss_built}


def _measure_train(m):
    call = _train_call(m)
    rss_built = _rss_mb()
    times, load = _timed(call, m['warmup'], m['reps'])
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
        wholes[part] = statistics.median(_timed(lambda: whole(inp).numpy(), m['warmup'], m['reps'])[0])
        inner = keras.Model(sub.input, [layer.output for layer in sub.layers[1:]])
        outputs = dict(zip([layer.name for layer in sub.layers[1:]], inner(inp)))
        outputs[sub.layers[0].name] = tf.convert_to_tensor(inp)
        for layer in sub.layers[1:]:
            if not isinstance(layer, (keras.layers.Conv2D, keras.layers.Conv3D, keras.layers.Dense)):
                continue
            source = outputs[layer.input._keras_history.operation.name]
            f = tf.function(lambda t, layer=layer: layer(t))
            seconds = statistics.median(_timed(lambda: f(source).numpy(), m['warmup'], m['reps'])[0])
            kernel = tuple(layer.kernel.shape)
            cells = _prod(source.shape[:-1]) if isinstance(layer, UnpoolConv3D) else _prod(layer.output.shape[1:-1])
            useful = cells * _prod(kernel[:-2]) * kernel[-2] * kernel[-1] if len(kernel) > 2 else _prod(kernel)
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
    times, load = _timed(lambda: [t.numpy() for t in tf.nest.flatten(f(x))], m['warmup'], m['reps'])
    return times, load, {}


def sample_dataset_root():
    """The real ShapeNet sample of the shared folder, if present."""
    root = os.environ.get('R2N2_SHARED') or os.path.join(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))), '..', 'shared')
    root = os.path.join(root, 'data', 'shapenet-sample')
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
    """Batches of the training pipeline (TrainBatches in tf.data, lib.train_net.batch_stream)."""
    from lib.config import get_default_config
    from lib.data_process import TrainBatches
    from lib.train_net import batch_stream
    cfg = get_default_config()
    cfg.CONST.BATCH_SIZE = m['batch']
    cfg.CONST.N_VIEWS = m['views']
    cfg.TRAIN.RANDOM_NUM_VIEWS = False
    tmp = None
    root = sample_dataset_root()
    if root:
        import glob
        pairs = sorted((p.split(os.sep)[-2], p.split(os.sep)[-1])
                       for p in glob.glob(os.path.join(root, 'ShapeNetVox32', '*', '*')))
        source = f'the shared ShapeNet sample ({len(pairs)} real models) at {os.path.normpath(root)}'
    else:
        tmp = tempfile.TemporaryDirectory()
        root = tmp.name
        pairs = synthetic_dataset(root)
        source = f'{len(pairs)} generated models (random 137x137 RGBA renderings)'
    cfg.DIR.DATASET_ROOT = root
    workers = m['workers']
    batches = TrainBatches(cfg, pairs, seed=0, length=m['reps'] * m['batches'], workers=workers)
    stream = iter(batch_stream(batches, workers))

    def run():   # the time per batch over `batches` batches: the stream's read-ahead cannot hide it
        t0 = time.perf_counter()
        for _ in range(m['batches']):
            next(stream)[0].numpy()
        return (time.perf_counter() - t0) / m['batches']

    seconds = []
    probe = LoadProbe().start()
    for _ in range(m['reps']):
        seconds.append(run())
    load = probe.stop()
    if tmp:
        tmp.cleanup()
    return seconds, load, {'images_per_batch': m['batch'] * m['views'], 'source': source, 'workers': workers}


MEASURES = {'matmul': _measure_matmul, 'forward': _measure_forward, 'train': _measure_train,
            'paired': _measure_paired, 'layers': _measure_layers, 'unpool_conv': _measure_unpool_conv, 'pipeline': _measure_pipeline}


def worker(specs):
    """Run measurements in order, printing one tagged JSON line each."""
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from lib.cli_common import backend_ready
    backend_ready()
    for m in specs:
        times, load, extra = MEASURES[m['kind']](m)
        result = {**m, 'times': times, 'median': statistics.median(times), 'min': min(times),
                  'peak_rss_mb': _peak_rss_mb(), **load, **extra}
        print(RESULT_TAG + json.dumps(result), flush=True)


# ---------------------------------------------------------------------------------------------
# The plan, run by the parent

def plan(net, quick, gpu=False):
    """Groups of measurement specs; each group runs in one worker process."""
    if quick:
        width, train_batch, train_views, fw, fr, tw, tr = 0.125, 2, 2, 1, 2, 1, 2
    else:
        # 15 forward repetitions: a few calls of a process now and then take 1.2-1.5x the others
        # (measured with no other process busy), and the median of 7 was not robust to them
        width, train_batch, train_views, fw, fr, tw, tr = 1.0, 8, 5, 2, 15, 2, 4
    base = {'net': net, 'width': width}
    configs = [('ref', 'float32'), ('fast', 'float32'), ('fast', 'mixed_bfloat16')]
    groups = []
    sizes = (512,) if quick else (1024, 2048, 4096)
    groups.append([{'kind': 'matmul', 'name': f'matmul/{d}/{n}', 'n': n, 'dtype': d,
                    'warmup': 2, 'reps': 3 if quick else 7}
                   for d in ('float32', 'bfloat16') for n in sizes])
    for path, precision in configs:
        group = [{'kind': 'forward', 'name': f'forward{v}/{path}/{precision}', 'views': v, 'batch': 1,
                  'path': path, 'precision': precision, 'warmup': fw, 'reps': fr, **base} for v in (1, 5)]
        if not quick:   # quick: the interleaved training steps below are enough of a smoke test
            group.append({'kind': 'train', 'name': f'train/{path}/{precision}', 'views': train_views,
                          'batch': train_batch, 'path': path, 'precision': precision, 'warmup': tw,
                          'reps': tr, **base})
        groups.append(group)
    # the ratios of the targets: the configurations in turn, in one process
    for v in (1, 5):
        groups.append([{'kind': 'paired', 'name': f'paired/forward{v}', 'what': 'forward', 'views': v, 'batch': 1,
                        'configs': configs, 'warmup': fw, 'reps': fr, **base}])
    groups.append([{'kind': 'paired', 'name': 'paired/train', 'what': 'train', 'views': train_views,
                    'batch': train_batch, 'configs': configs, 'warmup': tw,
                    'reps': tr, **base}])
    if not quick:
        groups.append([{'kind': 'layers', 'name': f'layers/{path}/float32', 'path': path, 'precision': 'float32',
                        'warmup': 2, 'reps': 5, **base} for path in ('ref', 'fast')])
        # the project's default training run (experiments/cfgs/cpu_default.yaml: width 0.25, batch 8)
        groups.append([{'kind': 'train', 'name': 'train/fast/float32/w0.25', 'views': 5, 'batch': 8,
                        'path': 'fast', 'precision': 'float32', 'warmup': 2, 'reps': 7, 'net': net,
                        'width': 0.25}])
        shapes = [(4, 128, 128), (8, 128, 128), (16, 128, 64)]
        groups.append([{'kind': 'unpool_conv', 'name': f'unpool_conv/{method}/n{n}/b{batch}/{"grad" if grad else "fwd"}',
                        'method': method, 'n': n, 'cin': cin, 'cout': cout, 'batch': batch, 'grad': grad,
                        'warmup': 1 if grad else 2, 'reps': 3 if grad else 7}
                       for grad, batch in ((False, 1), (True, 8)) for n, cin, cout in shapes
                       for method in ('reference', 'transpose', 'parities')])
    # the first repetition includes starting the threads; the median of 5 does not
    groups.append([{'kind': 'pipeline', 'name': 'pipeline', 'batch': train_batch, 'views': train_views,
                    'workers': 2, 'batches': 3 if quick else 12, 'reps': 3 if quick else 5}])
    if quick:   # one process for everything: TensorFlow starts once
        return [[m for g in groups for m in g]]
    # one process per forward / training measurement, so that its peak memory is its own
    out = []
    for g in groups:
        if g[0]['kind'] in ('forward', 'train', 'paired'):
            out.extend([m] for m in g)
        else:
            out.append(g)
    return out


def run_group(group, device):
    env = dict(os.environ)
    env.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')
    if device == 'cpu':
        env['CUDA_VISIBLE_DEVICES'] = '-1'
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env['PYTHONPATH'] = root + (os.pathsep + env['PYTHONPATH'] if env.get('PYTHONPATH') else '')
    proc = subprocess.run([sys.executable, '-m', 'lib.benchmark', '--worker', json.dumps(group)],
                          capture_output=True, text=True, cwd=root, env=env)
    results = [json.loads(line[len(RESULT_TAG):]) for line in proc.stdout.splitlines()
               if line.startswith(RESULT_TAG)]
    if proc.returncode != 0 or len(results) != len(group):
        tail = '\n'.join(proc.stderr.strip().splitlines()[-15:])
        raise RuntimeError(f'benchmark worker for {[m["name"] for m in group]} failed '
                           f'(exit {proc.returncode}):\n{tail}')
    for r in results:
        r['device'] = device
    return results


def measure(groups, device, busy, retries, log):
    results = {}
    for group in groups:
        best = None
        for attempt in range(retries + 1):
            got = run_group(group, device)
            worst = max((r['others_cores'] or 0.0) for r in got)
            for r in got:
                r['attempts'] = attempt + 1
            if best is None or worst < best[0]:
                best = (worst, got)
            if worst <= busy:
                break
            log(f'  busy: other processes used {worst:.2f} cores during {got[0]["name"]}'
                + (', measuring again' if attempt < retries else ''))
        for r in best[1]:
            r['busy'] = (r['others_cores'] or 0.0) > busy
            results[r['name']] = r
            log(f'  {_row_label(r["name"]):44s} {_fmt_time(r["median"]):>10s}   others {r["others_cores"] or 0:.2f} cores'
                f'{"  BUSY" if r["busy"] else ""}')
    return results


# ---------------------------------------------------------------------------------------------
# Reporting

def _fmt_time(seconds):
    return f'{seconds * 1e3:.1f} ms' if seconds < 10 else f'{seconds:.2f} s'


def _row_label(name):
    parts = name.split('/')
    kind = parts[0]
    if kind == 'matmul':
        return f'matmul {parts[1]} {parts[2]}x{parts[2]}'
    if kind.startswith('forward') or kind == 'train':
        what = {'forward1': 'forward 1 view', 'forward5': 'forward 5 views', 'train': 'training step'}[kind]
        precision = {'float32': 'fp32', 'mixed_bfloat16': 'bf16'}[parts[2]]
        path = {'ref': 'reference', 'fast': 'fast'}[parts[1]]
        extra = f' width {parts[3][1:]}' if len(parts) > 3 else ''
        return f'{what}, {path} {precision}{extra}'
    if kind == 'layers':
        return f'layer by layer, {parts[1]} fp32 (1 view)'
    if kind == 'pipeline':
        return 'input pipeline, one batch'
    if kind == 'paired':
        return f'interleaved {parts[1]} (a round of all configurations)'
    if kind == 'unpool_conv':
        return f'unpool+conv {parts[1]} {parts[2][1:]}^3 batch {parts[3][1:]} {parts[4]}'
    return name


def machine_description():
    import keras
    import numpy
    import tensorflow as tf
    cpu = platform.processor() or 'unknown'
    flags = ''
    family = {}
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                key = line.split(':', 1)[0].strip()
                if key == 'model name' and cpu in ('unknown', '', 'x86_64'):
                    cpu = line.split(':', 1)[1].strip()
                elif key in ('cpu family', 'model', 'stepping') and key not in family:
                    family[key] = line.split(':', 1)[1].strip()
                elif key == 'flags':
                    flags = line.split(':', 1)[1].split()
                    break
    except OSError:
        pass
    memory = None
    try:
        with open('/proc/meminfo') as f:
            memory = int(f.readline().split()[1]) / 2 ** 20
    except OSError:
        pass
    gpus = tf.config.list_physical_devices('GPU')
    vector = [f for f in ('avx2', 'avx512f', 'avx512_bf16', 'amx_bf16', 'amx_tile') if f in flags]
    return {
        'cpu': cpu + (f' (family {family.get("cpu family")}, model {family.get("model")})' if family else ''),
        'cores': os.cpu_count(),
        'cores_usable': len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else os.cpu_count(),
        'memory_gb': None if memory is None else round(memory, 1), 'vector_extensions': vector, 'kernel': platform.release(),
        'python': platform.python_version(), 'tensorflow': tf.__version__, 'keras': keras.__version__,
        'numpy': numpy.__version__, 'onednn': os.environ.get('TF_ENABLE_ONEDNN_OPTS', 'default (on for x86 CPUs)'),
        'gpus': [g.name for g in gpus],
    }


def _info_ratio(what, value, busy, source=None):
    """A ratio reported beside the targets, with no target of its own."""
    return {'what': what, 'value': value, 'op': None, 'target': None, 'met': None, 'busy': busy,
            'source': source}


def analyse(results, counts, spec_desc, quick):
    """Derived numbers: peaks, useful GFLOP/s, ratios, targets."""
    cpu = {k: v for k, v in results.items() if v['device'] == 'cpu'}
    for r in results.values():
        if r['kind'] == 'matmul':
            r['gflops'] = 2 * r['n'] ** 3 / r['median'] / 1e9
    peaks = {}
    for dtype in ('float32', 'bfloat16'):
        rows = [r for r in cpu.values() if r['kind'] == 'matmul' and r['dtype'] == dtype]
        if rows:
            peaks[dtype] = max(r['gflops'] for r in rows)
    for r in results.values():
        kind = r['name'].split('/')[0]
        if kind.startswith('forward') or kind == 'train':
            c = counts[r['width']]
            useful = macs_per_call(c, r['batch'], r['views'], useful=True) * (3 if kind == 'train' else 1)
            r['useful_gmac'] = useful / 1e9
            r['gflops'] = 2 * useful / r['median'] / 1e9
            r['peak_fraction'] = (r['gflops'] / peaks['float32'] if 'float32' in peaks and r['device'] == 'cpu'
                                  else None)
    def time_ratio(measurement, num, den):
        """(value, busy, source) of median(num) / median(den)."""
        paired = cpu.get(f'paired/{measurement}')
        if paired and num in paired['medians'] and den in paired['medians']:
            return paired['medians'][num] / paired['medians'][den], paired['busy'], 'interleaved'
        a, b = cpu.get(f'{measurement}/{num}'), cpu.get(f'{measurement}/{den}')
        if a and b:
            return a['median'] / b['median'], a['busy'] or b['busy'], 'separate processes'
        return None, False, None

    def consumption(row):
        """Images per second a training step consumes."""
        return row['views'] * row['batch'] / row['median']

    train = cpu.get('train/fast/float32')
    if train is None and 'paired/train' in cpu and 'fast/float32' in cpu['paired/train']['medians']:
        paired = cpu['paired/train']
        train = dict(paired, median=paired['medians']['fast/float32'])
    ratios = {}
    for key, what, measurement, num, den, op, target in TARGETS:
        value, flagged, source = time_ratio(measurement, num, den) if measurement else (None, False, None)
        if key == 'efficiency':
            rows = [cpu.get(f'forward{v}/fast/float32') for v in (1, 5)]
            if all(r and r.get('peak_fraction') is not None for r in rows):
                value = min(r['peak_fraction'] for r in rows)
                flagged = any(r['busy'] for r in rows) or any(
                    cpu[k]['busy'] for k in cpu if k.startswith('matmul/float32/'))
        elif key == 'pipeline':
            p = cpu.get('pipeline')
            if p and train:
                p['images_per_s'] = p['images_per_batch'] / p['median']
                value, flagged = p['images_per_s'] / consumption(train), p['busy'] or train['busy']
        met = None if value is None else (value <= target if op == '<=' else value >= target)
        ratios[key] = {'what': what, 'value': value, 'op': op, 'target': target, 'met': met, 'busy': flagged,
                       'source': source}
    # The floor of the fp32 time ratios: the useful work alone at the measured fp32 matmul peak,
    # over the reference's time. A fp32 target below it cannot be met on this machine.
    for measurement, label in (('forward1', 'forward 1 view'), ('forward5', 'forward 5 views'),
                               ('train', 'training step')):
        ref = cpu.get(f'{measurement}/ref/float32')
        paired = cpu.get(f'paired/{measurement}')
        if ref is None or 'useful_gmac' not in ref or 'float32' not in peaks:
            continue
        ref_time = paired['medians'].get('ref/float32', ref['median']) if paired else ref['median']
        ratios[f'{measurement}_floor'] = _info_ratio(
            f'{label}: useful work at the fp32 peak / reference (lowest fp32 ratio possible)',
            2 * ref['useful_gmac'] / peaks['float32'] / ref_time,
            ref['busy'] or (paired['busy'] if paired else False),
            'interleaved' if paired else 'separate processes')
    default = cpu.get('train/fast/float32/w0.25')
    if cpu.get('pipeline') and default:
        p = cpu['pipeline']
        ratios['pipeline_default'] = _info_ratio(
            'input pipeline images/s / consumption of the default training (width 0.25)',
            p['images_per_batch'] / p['median'] / consumption(default), p['busy'] or default['busy'])
    if train:
        train['images_per_s'] = consumption(train)
    return peaks, ratios


def _fmt(v, spec):
    return '-' if v is None else format(v, spec)


def measurement_rows(results):
    """(label, median, min, reps, useful GMAC, GFLOP/s, % of fp32 peak, peak RSS, others' cores, flag)"""
    rows = []
    for r in results.values():
        name = r['name']
        if r['kind'] in ('layers', 'unpool_conv', 'paired'):   # reported in their own sections
            continue
        label = _row_label(name) + ('' if r['device'] == 'cpu' else f' [{r["device"]}]')
        extra = ''
        if name == 'pipeline':
            extra = f'{r["images_per_batch"] / r["median"]:.0f} images/s'
        elif 'images_per_s' in r:
            extra = f'{r["images_per_s"]:.1f} images/s consumed'
        rows.append((label, _fmt_time(r['median']), _fmt_time(r['min']), str(len(r['times'])),
                     _fmt(r.get('useful_gmac'), '.2f'), _fmt(r.get('gflops'), '.0f'),
                     _fmt(None if r.get('peak_fraction') is None else 100 * r['peak_fraction'], '.0f'),
                     f'{r["peak_rss_mb"]:.0f} MB', f'{r["others_cores"] or 0:.2f}',
                     ('BUSY' if r['busy'] else '') + (f' {extra}' if extra else '')))
    return rows


HEADER = ('measurement', 'median', 'min', 'reps', 'useful GMAC', 'GFLOP/s', '% fp32 peak', 'peak RSS',
          "others' cores", 'notes')


def text_table(header, rows):
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)]
    line = lambda cells: '  '.join(str(c).ljust(w) if i == 0 else str(c).rjust(w)
                                   for i, (c, w) in enumerate(zip(cells, widths))).rstrip()
    return '\n'.join([line(header), line(['-' * w for w in widths])] + [line(r) for r in rows])


def md_table(header, rows):
    out = ['| ' + ' | '.join(header) + ' |', '|' + '|'.join('---' for _ in header) + '|']
    return '\n'.join(out + ['| ' + ' | '.join(str(c) for c in r) + ' |' for r in rows])


def ratio_rows(ratios):
    rows = []
    for r in ratios.values():
        met = '-' if r['met'] is None else ('yes' if r['met'] else 'NO')
        target = '(info)' if r['target'] is None else f'{r["op"]} {r["target"]:g}'
        rows.append((r['what'], _fmt(r['value'], '.3f'), target, met + (' (busy)' if r['busy'] else ''),
                     r.get('source') or ''))
    return rows


RATIO_HEADER = ('target (issue 6)', 'value', 'target', 'met', 'timed')
CONFIG_LABELS = {'ref/float32': 'reference fp32', 'fast/float32': 'fast fp32', 'fast/mixed_bfloat16': 'fast bf16'}


def paired_rows(results):
    """(measurement, config, median, ratio to the reference) of the interleaved measurements."""
    rows = []
    for r in results.values():
        if r['kind'] != 'paired' or r['device'] != 'cpu':
            continue
        what = {1: 'forward 1 view', 5: 'forward 5 views'}.get(r['views']) if r['what'] == 'forward' else \
            f'training step {r["batch"]}x{r["views"]}'
        ref = r['medians'].get('ref/float32')
        for config, median in r['medians'].items():
            rows.append((what, CONFIG_LABELS.get(config, config), _fmt_time(median),
                         _fmt(median / ref if ref else None, '.3f'), f'{r["others_cores"] or 0:.2f}',
                         'BUSY' if r['busy'] else ''))
    return rows


PAIRED_HEADER = ('interleaved', 'configuration', 'median', '/ reference', "others' cores", 'notes')


def macs_rows(counts, width):
    c = counts[width]
    rows = [('encoder, per view', f'{c["encoder"] / 1e9:.3f}', f'{c["encoder"] / 1e9:.3f}'),
            ('recurrence, per view', f'{c["recurrence"] / 1e9:.3f}', f'{c["recurrence"] / 1e9:.3f}')]
    rows += [(f'  decoder {name}', f'{d / 1e9:.3f}', f'{u / 1e9:.3f}') for name, d, u in c['decoder_layers']]
    rows.append(('decoder, per sample', f'{c["decoder_dense"] / 1e9:.3f}', f'{c["decoder_useful"] / 1e9:.3f}'))
    for v in (1, 5):
        rows.append((f'forward, {v} view{"s" if v > 1 else ""}', f'{macs_per_call(c, 1, v, False) / 1e9:.2f}',
                     f'{macs_per_call(c, 1, v, True) / 1e9:.2f}'))
    return rows


def layer_report(results, peaks):
    """Markdown: each convolution / matrix product of a 1-view forward, reference and fast."""
    ref, fast = results.get('layers/ref/float32'), results.get('layers/fast/float32')
    if not (ref and fast):
        return []
    peak = peaks.get('float32')
    by_name = {row[1]: row for row in ref['layers']}
    rows = []
    for part, name, seconds, useful in fast['layers']:
        r = by_name.get(name)
        rows.append((f'{part} {name}', _fmt(r[2] * 1e3 if r else None, '.2f'), f'{seconds * 1e3:.2f}',
                     f'{useful / 1e9:.3f}', f'{2 * useful / seconds / 1e9:.0f}',
                     _fmt(200 * useful / seconds / 1e9 / peak if peak else None, '.0f')))
    sums = {p: sum(row[2] for row in fast['layers'] if row[0] == p) for p in ('encoder', 'decoder')}
    ref_sums = {p: sum(row[2] for row in ref['layers'] if row[0] == p) for p in ('encoder', 'decoder')}
    lines = ['## Layer by layer (fp32, batch 1, one view; each layer timed alone, median)', '',
             md_table(('layer', 'reference ms', 'fast ms', 'useful GMAC', 'fast GFLOP/s', '% fp32 peak'), rows), '']
    for p in ('encoder', 'decoder'):
        lines.append(f'- {p}: layers alone sum to {ref_sums[p] * 1e3:.1f} ms (reference) and {sums[p] * 1e3:.1f} ms '
                     f'(fast); the whole {p} takes {ref["wholes"][p] * 1e3:.1f} ms and {fast["wholes"][p] * 1e3:.1f} ms.')
    lines += [f'- measured with other processes using {ref["others_cores"] or 0:.2f} and '
              f'{fast["others_cores"] or 0:.2f} cores.', '']
    return lines


def method_report(results):
    """Markdown: the ways of computing a convolution of an unpooled grid, side by side."""
    rows = {}
    for r in results.values():
        if r['kind'] == 'unpool_conv':
            key = (f'{r["n"]}^3 -> {2 * r["n"]}^3, {r["cin"]} -> {r["cout"]}',
                   f'{"forward + gradients" if r["grad"] else "forward"}, batch {r["batch"]}')
            rows.setdefault(key, {})[r['method']] = r['median']
    if not rows:
        return []
    methods = ('reference', 'transpose', 'parities')
    table = []
    for (shape, what), t in rows.items():
        best = min((m for m in methods[1:] if m in t), key=t.get)
        table.append((shape, what, *[_fmt(t[m] * 1e3 if m in t else None, '.2f') for m in methods], best))
    return ['## Convolutions of an unpooled grid: reference vs the two zero-free forms (ms, median)', '',
            'reference = zero insertion then a dense 3x3x3 convolution; transpose = one stride-2 transposed '
            'convolution (the fast path, UNPOOL_CONV_METHODS["transpose"]); parities = 8 small convolutions, '
            'one per output parity, interleaved.', '',
            md_table(('grid', 'pass', *methods, 'faster zero-free form'), table), '']


def write_report(path, machine, spec_desc, results, peaks, ratios, counts, width, started, conditions,
                 quick, busy, command):
    lines = [f'# Benchmark: {spec_desc}', '',
             f'`{command}` on {started:%Y-%m-%d %H:%M} ({"QUICK smoke test: small configurations, not for quoting" if quick else "full run"}).',
             'Ratios are what compare across machines; absolute times hold for this machine only.', '',
             '## Machine', '']
    lines += [f'- {k}: {v}' for k, v in machine.items()]
    lines += ['', '## Conditions', '',
              f'- load average (1 min) at the start {_fmt(conditions["start"]["load_before"], ".2f")}, '
              f'at the end {_fmt(conditions["end"]["load_before"], ".2f")}; other processes used '
              f'{_fmt(conditions["start"]["others_cores"], ".2f")} cores just before and '
              f'{_fmt(conditions["end"]["others_cores"], ".2f")} just after.',
              f'- each row: "others\' cores" = CPU time of all other processes during its timed calls / '
              f'wall time (from /proc/stat); rows above {busy:g} cores were measured again and the '
              f'quietest attempt kept; BUSY marks rows still above it.',
              f'- busy rows: {", ".join(_row_label(r["name"]) for r in results.values() if r["busy"]) or "none"}.',
              '', '## Targets (issue 6)', '', md_table(RATIO_HEADER, ratio_rows(ratios)), '',
              'Time ratios come from interleaved measurements: the configurations built in one process and '
              'called in turn (reference, fast, fast bf16, reference, ...), so that a change of the machine\'s '
              'load hits them alike. The rows below (one process each) give absolute times and peak memory.', '',
              md_table(PAIRED_HEADER, paired_rows(results)),
              '', '## Measurements', '',
              f'fp32 matrix-multiply peak {_fmt(peaks.get("float32"), ".0f")} GFLOP/s, '
              f'bf16 {_fmt(peaks.get("bfloat16"), ".0f")} GFLOP/s (best median over the sizes).', '',
              md_table(HEADER, measurement_rows(results)), '',
              'Peak RSS is the worker process\'s maximum resident memory (ru_maxrss): TensorFlow, the '
              'weights and the call' + (' (quick mode: cumulative over the rows, all in one process)' if quick
                                         else '; one process per row') + '.', '',
              f'## Multiply-accumulates per call (GMAC, width {width:g})', '',
              md_table(('part', 'literal (dense)', 'useful'), macs_rows(counts, width)), '',
              'Useful: every convolution and matrix product, a convolution of a zero-insertion unpool '
              'output counted as the stride-2 transposed convolution it equals (1/8 of the dense '
              'count); padding counted as work. Element-wise operations are not counted. A training '
              'step counts 3 forwards.', '']
    lines += layer_report(results, peaks) + method_report(results)
    pipeline = results.get('pipeline')
    if pipeline:
        lines += ['## Input pipeline', '',
                  f'TrainBatches through lib.train_net.batch_stream ({pipeline["workers"]} decoding threads), '
                  f'batches of {pipeline["images_per_batch"]} images from {pipeline["source"]}; each '
                  f'repetition is the mean time per batch over {pipeline["batches"]} batches in a row (so the '
                  f'read-ahead cannot hide the decoding); measured alone (in training it shares the cores with '
                  f'the training step).', '']
    text = '\n'.join(lines)
    from lib.weights import atomic_write
    atomic_write(path, lambda tmp: open(tmp, 'w').write(text))
    json_path = os.path.splitext(path)[0] + '.json'
    data = {'machine': machine, 'network': spec_desc, 'quick': quick, 'started': started.isoformat(),
            'conditions': conditions, 'peaks_gflops': peaks, 'ratios': ratios, 'results': results,
            'macs': {str(k): v for k, v in counts.items()}}
    atomic_write(json_path, lambda tmp: open(tmp, 'w').write(json.dumps(data, indent=1)))
    return path, json_path


def main(argv):
    from lib.data_io import repo_path
    from models import NETWORKS, build_network, canonical_name, paper_name
    parser = argparse.ArgumentParser(
        prog='./run.sh bench',
        description='Measure this machine: fp32/bf16 matrix-multiply peak; forward (1 and 5 views) and '
                    'training-step time of the reference path (literal zero-insertion unpooling) and the '
                    'fast path (fp32, bf16); useful GFLOP/s against the peak; peak memory; input pipeline '
                    'images/s. Prints the table and the target ratios of issue 6 and writes '
                    f'{DEFAULT_OUT} (+ .json). Takes about 6 minutes on 2 quiet cores (longer when rows are re-measured); '
                    'run it on a quiet machine.')
    parser.add_argument('--net', default='res_gru_3', help='network (default res_gru_3): ' + ', '.join(NETWORKS))
    parser.add_argument('--quick', action='store_true',
                        help='smoke test: tiny network, few repetitions (about half a minute)')
    parser.add_argument('--out', help=f'report path (default {DEFAULT_OUT}; with --quick {QUICK_OUT})')
    parser.add_argument('--busy', type=float, default=0.25,
                        help="other processes' CPU use (cores) above which a row counts as busy (default 0.25)")
    parser.add_argument('--retries', type=int, help='re-measurements of a busy row (default 2; 0 with --quick)')
    args = parser.parse_args(argv)
    net = canonical_name(args.net)
    retries = args.retries if args.retries is not None else (0 if args.quick else 2)
    out = os.path.abspath(args.out) if args.out else repo_path(QUICK_OUT if args.quick else DEFAULT_OUT)
    command = './run.sh bench' + ('' if not argv else ' ' + ' '.join(argv))
    log = lambda s: print(s, flush=True)

    started = datetime.datetime.now()
    machine = machine_description()
    widths = (0.125,) if args.quick else (1.0, 0.25)
    counts = {w: count_macs(build_network(net, width=w, fast_path=False)) for w in widths}
    for w in widths:   # the fast graph must do exactly the useful work of the reference graph
        fast = count_macs(build_network(net, width=w, fast_path=True))
        if {k: fast[k] for k in ('encoder', 'recurrence', 'decoder_dense', 'decoder_useful')} != \
                {k: counts[w][k] for k in ('encoder', 'recurrence', 'decoder_dense', 'decoder_useful')}:
            raise RuntimeError(f'MAC counts of the fast and reference graphs differ: {fast} {counts[w]}')
    width = widths[0]
    spec_desc = f'{paper_name(net)} ({net}, width {width:g})'
    log(f'benchmark of {spec_desc} on {machine["cpu"]}, {machine["cores_usable"]} cores, '
        f'{_fmt(machine["memory_gb"], ".0f")} GB; TensorFlow {machine["tensorflow"]}, Keras {machine["keras"]}')
    start = idle_check()
    log(f'load average {_fmt(start["load_before"], ".2f")}, other processes using '
        f'{_fmt(start["others_cores"], ".2f")} cores now'
        + ('  (BUSY: the numbers below will be noisy; rows are flagged)' if (start['others_cores'] or 0) > args.busy else ''))
    groups = plan(net, args.quick)
    results = measure(groups, 'cpu', args.busy, retries, log)
    if machine['gpus']:
        log(f'GPU found ({", ".join(machine["gpus"])}): measuring it too')
        gpu_groups = [[m for m in g if m['kind'] in ('matmul', 'forward', 'train')]
                      for g in plan(net, args.quick)]
        gpu = measure([g for g in gpu_groups if g], 'gpu', args.busy, retries, log)
        results.update({f'{k}@gpu': v for k, v in gpu.items()})
    end = idle_check()
    peaks, ratios = analyse(results, counts, spec_desc, args.quick)
    print()
    print(f'{spec_desc}: fp32 matmul peak {_fmt(peaks.get("float32"), ".0f")} GFLOP/s, '
          f'bf16 {_fmt(peaks.get("bfloat16"), ".0f")} GFLOP/s')
    print(text_table(HEADER, measurement_rows(results)))
    print()
    print(text_table(PAIRED_HEADER, paired_rows(results)))
    print()
    print(text_table(RATIO_HEADER, ratio_rows(ratios)))
    if args.quick:
        print('(quick mode: tiny network, few repetitions: a smoke test, not a measurement)')
    busy_rows = [k for k, r in results.items() if r['busy']]
    if busy_rows:
        print(f'{len(busy_rows)} row(s) measured while other processes kept more than {args.busy:g} cores busy '
              f'(marked BUSY); rerun on a quiet machine to quote them')
    path, json_path = write_report(out, machine, spec_desc, results, peaks, ratios, counts, width, started,
                                   {'start': start, 'end': end}, args.quick, args.busy, command)
    print(f'report written to {os.path.relpath(path, repo_path("."))} and {os.path.basename(json_path)}')
    return 0


if __name__ == '__main__':
    if len(sys.argv) == 3 and sys.argv[1] == '--worker':
        worker(json.loads(sys.argv[2]))
    else:
        sys.exit(main(sys.argv[1:]))
