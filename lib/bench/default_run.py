"""The bench row of the default training run as it runs (issue 27): `./run.sh train`'s own config
(experiments/cfgs/cpu_default.yaml), its real input pipeline and its random number of views per batch,
trained by lib.train_net.train for some iterations after a warm-up; and where its time goes.

What one worker measures, in this order (one process, so the network is built and traced once):

- 'run': seconds per iteration of the real run (the train_log.csv clock, warm-up iterations left out),
  and its useful GFLOP/s: the multiply-accumulates of the view counts the batches actually drew
  (lib/bench/count.py, a step counted as 3 forwards) over that time. The row's ratio is that over the
  matmul peak of the run's own precision (bf16 for a mixed_bfloat16 run, else fp32), measured in the
  same worker. The run is timed twice: its first iterations as they come (every model drawn for the
  first time, its files checked then), and the same iterations again in a second run that keeps the
  first's check results (what every iteration after a run's first pass over the models costs); the
  row's time is their mean over the config's whole schedule, each weighted by its iterations (the
  first pass is len(models) / batch iterations).
- 'step by views': the same network's training step alone (train_on_batch on fixed arrays, no input
  pipeline, no callbacks), median per number of views, and their mean weighted as the run drew them.
  run - step = what the run adds around its arithmetic (input pipeline on the same two cores, fit's
  Python, the per-iteration log).
- 'forward / backward': the 3-view forward alone, by part (encoder, recurrence, decoder), and the
  rest of the step (gradients and the optimizer) as step - forward.
- 'input pipeline': one batch made on one thread, the first time a model is drawn (every rendering's
  structure is checked then) and after.
- 'graphs': whether the run traces its step again for a new number of views: the iterations after
  the first that took seconds longer than the others (a trace costs seconds; one graph serves every
  number of views when none does).
- 'validation': seconds per validated model (5 views), and what validation adds per iteration at the
  config's VALIDATION_FREQ and NUM_VALIDATION_MODELS.

A second worker ('step_ops', started with ONEDNN_VERBOSE=profile_exec: oneDNN, which runs
TensorFlow's convolutions, matrix products, pooling and layout changes on x86 CPUs, then times every
primitive it executes) gives the 3-view step's ops by kind: convolution forward, backward data,
backward weights, layout reorders, products, pooling, as shares of oneDNN's summed time; where
those add up to less than the wall time, the rest is TensorFlow's own kernels (element-wise ops,
the recurrence's gates, the loss, Adam). Timing every primitive slows the step (shares to read, not
times), and ops run side by side on the threads, so the sum can exceed the wall time.

A third worker ('step_kernels') runs the same step one op at a time (started with
TF_NUM_INTEROP_THREADS=1: TensorFlow's inter-op pool at one thread) under TensorFlow's profiler, so that the op times add up
to the step: every op by type, TensorFlow's own kernels included, and the convolutions' share of it.
"""
import os
import statistics
import tempfile
import time

DEFAULT_CFG = 'experiments/cfgs/cpu_default.yaml'
TARGET_PEAK_FRACTION = 0.40   # issue 27: the default step's useful GFLOP/s over its precision's peak


def default_run_plan(quick, root):
    """One worker group: the default run and its profile (root None: the config's own dataset)."""
    spec = {'kind': 'default_run', 'name': 'default_run', 'cfg': DEFAULT_CFG, 'root': root,
            'warmup': 3 if quick else 20, 'iterations': 6 if quick else 150, 'reps': 2 if quick else 5}
    ops = {'kind': 'step_ops', 'name': 'step_ops', 'cfg': DEFAULT_CFG, 'views': 3, 'reps': 2 if quick else 3,
           'env': {'ONEDNN_VERBOSE': 'profile_exec'}}   # read when oneDNN starts: a worker of its own
    kernels = {**ops, 'kind': 'step_kernels', 'name': 'step_kernels',
               'env': {'TF_NUM_INTEROP_THREADS': '1'}}   # read when TensorFlow starts: one op at a time
    if quick:   # a smoke test: a tiny network on the small data of the tests, 1 view (each number of
        spec.update(width=0.125, batch=2, n_views=1)   # views is a training step traced for seconds)
        ops.update(width=0.125, batch=2, views=1)
        kernels.update(width=0.125, batch=2, views=1)
    return [[spec], [ops], [kernels]]


def default_run_data_missing(root=None):
    """Why the default run cannot read its dataset (root, else the config's), or None."""
    from lib.config import load_config
    from lib.data_io import dataset_root, repo_path
    cfg = load_config([repo_path(DEFAULT_CFG)], [('DIR.DATASET_ROOT', root)] if root else [])
    folder = dataset_root(cfg)
    if os.path.isdir(os.path.join(folder, 'ShapeNetVox32')):
        return None
    return (f'{folder} holds no dataset (no ShapeNetVox32/): make the default one with ./run.sh '
            f'generate-data, or give --data ROOT')


def _config(m, out_dir):
    from lib.config import load_config
    from lib.data_io import repo_path
    pairs = [('DIR.OUT_PATH', out_dir), ('TRAIN.NUM_ITERATION', str(m.get('warmup', 0) + m.get('iterations', 1))),
             ('TRAIN.SAVE_FREQ', '1000000'), ('TRAIN.VALIDATION_FREQ', '1000000'),
             ('TRAIN.PRINT_FREQ', '1000000'), ('TRAIN.TENSORBOARD', 'false')]
    if m.get('root'):
        pairs.append(('DIR.DATASET_ROOT', m['root']))
    if m.get('width'):
        pairs.append(('NETWORK.WIDTH', str(m['width'])))
    if m.get('batch'):
        pairs.append(('CONST.BATCH_SIZE', str(m['batch'])))
    if m.get('n_views'):
        pairs.append(('CONST.N_VIEWS', str(m['n_views'])))
    return load_config([repo_path(m['cfg'])], pairs)


def _matmul_peak(dtype, sizes, reps=5):
    """The best GFLOP/s of square matrix products over sizes (the study's matmul rows do the same)."""
    import tensorflow as tf
    best = 0.0
    for n in sizes:
        a = tf.cast(tf.random.stateless_normal((n, n), (0, 1)), dtype)
        b = tf.cast(tf.random.stateless_normal((n, n), (0, 2)), dtype)
        f = tf.function(lambda a, b: tf.matmul(a, b)[0, 0])
        f(a, b).numpy()
        for _ in range(reps):
            t0 = time.perf_counter()
            f(a, b).numpy()
            best = max(best, 2 * n ** 3 / (time.perf_counter() - t0) / 1e9)
    return best


def _median_time(fn, reps):
    from lib.bench.probe import timed
    return statistics.median(timed(fn, 0, reps)[0])


def _run_seconds(log_path, warmup):
    """Seconds per iteration after the warm-up, from the run's own log (its clock has 0.1 s steps),
    and the iterations after the first that took over 1.5 s longer than the median (a step traced
    again for a new input shape costs seconds)."""
    import csv
    with open(log_path) as f:
        rows = [(int(r['iteration']), float(r['seconds'])) for r in csv.DictReader(f)]
    (i0, t0), (i1, t1) = rows[warmup - 1], rows[-1]
    durations = [b[1] - a[1] for a, b in zip(rows, rows[1:])]
    typical = statistics.median(durations)
    slow = [rows[i + 1][0] for i, d in enumerate(durations) if d > typical + 1.5]
    return (t1 - t0) / (i1 - i0), slow


def _step_profile(network, cfg, reps):
    """The training step alone per number of views; the 3-view forward by part."""
    import numpy as np
    import keras
    trainer = _trainer(cfg, network)
    rng = np.random.default_rng(0)
    batch, n, size = cfg.CONST.BATCH_SIZE, cfg.CONST.N_VOX, cfg.CONST.IMG_H
    y = (rng.random((batch, n, n, n)) < 0.2).astype(np.uint8)
    step = {}
    for v in range(1, cfg.CONST.N_VIEWS + 1):   # every number the run can draw (its mean weighs them as drawn)
        x = rng.random((batch, v, size, size, 3), dtype=np.float32)
        trainer.train_on_batch(x, y)
        step[v] = _median_time(lambda: trainer.train_on_batch(x, y), reps)
    # the forward of 3 views (fewer where the run draws fewer) by part, each part compiled alone on
    # the input it sees in the network
    import tensorflow as tf
    nv = min(3, cfg.CONST.N_VIEWS)
    x = tf.constant(rng.random((batch, nv, size, size, 3), dtype=np.float32))
    encoder, recurrence, decoder = (network.get_layer(k) for k in ('encoder', 'recurrence', 'decoder'))
    features = tf.stack([encoder(x[:, i]) for i in range(nv)], axis=1)
    hidden = recurrence(features)
    parts = {'encoder': (tf.function(lambda x: tf.stack([encoder(x[:, i]) for i in range(nv)], axis=1)), x),
             'recurrence': (tf.function(lambda f: recurrence(f)), features),
             'decoder': (tf.function(lambda h: decoder(h)), hidden),
             'forward': (tf.function(lambda x: network(x, training=False)), x)}
    forward = {}
    for name, (fn, arg) in parts.items():
        keras.ops.convert_to_numpy(fn(arg))   # traced once
        forward[name] = _median_time(lambda: keras.ops.convert_to_numpy(fn(arg)), reps)
    return step, forward


def _pipeline_profile(cfg, pairs, batches):
    """One batch made on one thread: first draws (each model's files checked) and drawn again."""
    from lib.data_process import TrainBatches
    data = TrainBatches(cfg, pairs, seed=cfg.CONST.RNG_SEED + 1, length=batches)
    t0 = time.perf_counter()
    for k in range(batches):
        data.batch(k)
    first = (time.perf_counter() - t0) / batches
    t0 = time.perf_counter()
    for k in range(batches):
        data.batch(k)
    return first, (time.perf_counter() - t0) / batches


def measure_default_run(m):
    import keras
    from lib.bench.count import count_macs, macs_per_call
    from lib.bench.probe import LoadProbe
    from lib.config import load_config
    from lib.data_io import category_model_pairs, dataset_root, repo_path
    from lib.data_process import TrainBatches
    from lib.test_net import evaluate
    from lib.train_net import train
    from models import build_network, spec_from_config
    # the peaks first, in a fresh process (measured after the run they came out lower)
    sizes = (512,) if m.get('batch') else (1024, 2048, 3072)
    peaks = {'float32': _matmul_peak('float32', sizes), 'bfloat16': _matmul_peak('bfloat16', sizes)}
    with tempfile.TemporaryDirectory() as tmp:
        cfg = _config(m, os.path.join(tmp, 'run'))
        root = dataset_root(cfg)   # checked by the command first (default_run_data_missing)
        train_pairs = category_model_pairs(cfg, cfg.TRAIN.DATASET_PORTION, weighted=True)
        test_pairs = category_model_pairs(cfg, cfg.TEST.DATASET_PORTION)
        if not train_pairs or not test_pairs:   # a folder of a few models (the tests' sample): all of it
            train_pairs = test_pairs = category_model_pairs(cfg, [0.0, 1.0])
        keras.utils.set_random_seed(cfg.CONST.RNG_SEED)
        network = build_network(spec_from_config(cfg))
        counts = count_macs(network)
        total = cfg.TRAIN.NUM_ITERATION
        drawn = TrainBatches(cfg, train_pairs, seed=cfg.CONST.RNG_SEED, length=total)
        views = [drawn.views(k) for k in range(m['warmup'], total)]
        checks = {}   # the input pipeline's model checks, kept for the second run
        probe = LoadProbe().start()
        train(cfg, network, train_pairs, cfg.DIR.OUT_PATH, log=lambda s: None, model_checks=checks)
        first_s, slow = _run_seconds(os.path.join(cfg.DIR.OUT_PATH, 'train_log.csv'), m['warmup'])
        # the same batches again, their models already checked: a run's iterations after its first pass
        again = _config(m, os.path.join(tmp, 'again'))
        train(again, network, train_pairs, again.DIR.OUT_PATH, log=lambda s: None, model_checks=checks)
        load = probe.stop()
        later_s, slow_again = _run_seconds(os.path.join(again.DIR.OUT_PATH, 'train_log.csv'), m['warmup'])
        schedule = load_config([repo_path(m['cfg'])]).TRAIN.NUM_ITERATION   # the config's own length
        first_pass = min(schedule, len(train_pairs) / cfg.CONST.BATCH_SIZE)
        run_s = (first_pass * first_s + (schedule - first_pass) * later_s) / schedule
        useful = sum(3 * macs_per_call(counts, cfg.CONST.BATCH_SIZE, v) for v in views) / len(views)
        step, forward = _step_profile(network, cfg, m['reps'])
        step_mean = sum(step[v] for v in views) / len(views)
        first, again_s = _pipeline_profile(cfg, train_pairs, 3 if m.get('batch') else 12)
        val_pairs = test_pairs[:8]
        t0 = time.perf_counter()
        evaluate(network, cfg, val_pairs, view_counts=[cfg.CONST.N_VIEWS], batch_size=cfg.TEST.BATCH_SIZE)
        per_model = (time.perf_counter() - t0) / max(1, len(val_pairs))
    precision = cfg.NETWORK.PRECISION
    peak_dtype = 'bfloat16' if precision == 'mixed_bfloat16' else 'float32'
    gflops = 2 * useful / run_s / 1e9
    return [run_s], load, {
        'precision': precision, 'width': cfg.NETWORK.WIDTH, 'batch': cfg.CONST.BATCH_SIZE,
        'data': root, 'models': len(train_pairs), 'views_drawn': views, 'mean_views': sum(views) / len(views),
        'useful_gmac': useful / 1e9, 'gflops': gflops, 'peaks': peaks, 'peak_dtype': peak_dtype,
        'precision_peak_fraction': gflops / peaks[peak_dtype], 'peak_fraction': gflops / peaks['float32'],
        'step_by_views': {str(v): t for v, t in step.items()}, 'step_mean_s': step_mean,
        'step_gflops': 2 * useful / step_mean / 1e9, 'forward3': forward,
        'run_first_pass_s': first_s, 'run_later_s': later_s, 'schedule_iterations': schedule,
        'first_pass_iterations': first_pass,
        'pipeline_first_s': first, 'pipeline_again_s': again_s, 'slow_iterations': slow + slow_again,
        'validation_per_model_s': per_model,
        'validation_per_iteration_s': per_model * cfg.TEST.NUM_VALIDATION_MODELS / cfg.TRAIN.VALIDATION_FREQ,
        'iterations': m['iterations'], 'warmup': m['warmup'], 'n_views': cfg.CONST.N_VIEWS}


def _trainer(cfg, network=None):
    """What fit() runs (VoxelTrainer, Adam, weight decay), around network or a new one of cfg's."""
    import keras
    from lib.solver import VoxelTrainer, make_optimizer
    from models import build_network, spec_from_config
    if network is None:
        keras.utils.set_random_seed(cfg.CONST.RNG_SEED)
        network = build_network(spec_from_config(cfg))
    trainer = VoxelTrainer(network, cfg.TRAIN.WEIGHT_DECAY)
    trainer.compile(optimizer=make_optimizer(cfg.TRAIN, precision=cfg.NETWORK.PRECISION), jit_compile=False)
    return trainer


def _onednn_ops(lines):
    """{(primitive, propagation): ms} and {(primitive, propagation, problem): ms} from oneDNN's
    profile_exec lines (onednn_verbose,v1,primitive,exec,cpu,KIND,IMPL,PROP,...,PROBLEM,MS)."""
    by_kind, by_op = {}, {}
    for line in lines:
        f = line.strip().split(',')
        if len(f) < 10 or f[0] != 'onednn_verbose' or 'exec' not in f[2:4]:
            continue
        i = f.index('exec')
        try:
            ms = float(f[-1])
        except ValueError:
            continue
        kind, prop, problem = f[i + 2], f[i + 4], f[-2]
        by_kind[(kind, prop)] = by_kind.get((kind, prop), 0.0) + ms
        by_op[(kind, prop, problem)] = by_op.get((kind, prop, problem), 0.0) + ms
    return by_kind, by_op


def measure_step_ops(m):
    """The 3-view training step's ops by kind, from oneDNN's own timing (this worker was started with
    ONEDNN_VERBOSE=profile_exec, whose lines go to stdout: parked in a file while the steps run)."""
    from lib.bench.probe import LoadProbe
    with tempfile.TemporaryDirectory() as tmp:
        cfg = _config(m, os.path.join(tmp, 'run'))
    step = _fixed_step(m, cfg)
    import sys
    sys.stdout.flush()
    saved = os.dup(1)
    with tempfile.TemporaryFile('w+') as parked:
        os.dup2(parked.fileno(), 1)
        probe = LoadProbe().start()
        try:
            t0 = time.perf_counter()
            for _ in range(m['reps']):
                step()
            wall = (time.perf_counter() - t0) / m['reps']
        finally:
            sys.stdout.flush()
            os.dup2(saved, 1)
            os.close(saved)
        load = probe.stop()
        parked.seek(0)
        by_kind, by_op = _onednn_ops(parked)
    per_step = lambda d: {' '.join(k): v / m['reps'] for k, v in sorted(d.items(), key=lambda kv: -kv[1])}
    onednn = sum(by_kind.values()) / m['reps']
    return [wall], load, {'ops_by_kind': per_step(by_kind), 'top_ops': dict(list(per_step(by_op).items())[:8]),
                          'onednn_ms': onednn, 'wall_ms': 1000 * wall, 'width': cfg.NETWORK.WIDTH,
                          'batch': cfg.CONST.BATCH_SIZE, 'precision': cfg.NETWORK.PRECISION, 'views': m['views']}


def _fixed_step(m, cfg):
    """The training step of cfg's network on fixed arrays of m['views'] views, run twice (traced)."""
    import numpy as np
    trainer = _trainer(cfg)
    rng = np.random.default_rng(0)
    batch, n, size = cfg.CONST.BATCH_SIZE, cfg.CONST.N_VOX, cfg.CONST.IMG_H
    x = rng.random((batch, m['views'], size, size, 3), dtype=np.float32)
    y = (rng.random((batch, n, n, n)) < 0.2).astype(np.uint8)
    for _ in range(2):
        trainer.train_on_batch(x, y)
    return lambda: trainer.train_on_batch(x, y)


def profiled_op_types(logdir):
    """{op type: [ms, count]} of the TensorFlow ops in a profiler trace (its .xplane.pb files under
    logdir); forward convolutions and their gradients apart. None where this TensorFlow's trace
    format cannot be read."""
    import glob
    try:
        from tensorflow.tsl.profiler.protobuf import xplane_pb2
    except ImportError:
        return None
    types = {}
    for path in glob.glob(os.path.join(logdir, '**', '*.xplane.pb'), recursive=True):
        space = xplane_pb2.XSpace()
        with open(path, 'rb') as f:
            space.ParseFromString(f.read())
        for plane in space.planes:
            names = {k: v.name for k, v in plane.event_metadata.items()}
            for line in plane.lines:
                if not line.name.startswith('tf_Compute'):   # the executor's threads
                    continue
                for event in line.events:
                    name = names.get(event.metadata_id, '')
                    if ':' not in name or '::' in name:   # ops are 'scope/name:Type'; the rest
                        continue                               # (ExecutorState::Process) is the executor's
                    kind = name.rsplit(':', 1)[1].replace('_MklNative', '').replace('_Mkl', '')
                    if 'Conv' in kind:
                        kind += ' (gradient)' if name.startswith('gradient_tape/') else ' (forward)'
                    entry = types.setdefault(kind, [0.0, 0])
                    entry[0] += event.duration_ps / 1e9
                    entry[1] += 1
    return types


def measure_step_kernels(m):
    """The step's TensorFlow ops by type, one op at a time, from TensorFlow's profiler."""
    import tensorflow as tf
    from lib.bench.probe import LoadProbe
    with tempfile.TemporaryDirectory() as tmp:
        cfg = _config(m, os.path.join(tmp, 'run'))
        step = _fixed_step(m, cfg)
        t0 = time.perf_counter()
        for _ in range(m['reps']):
            step()
        plain = (time.perf_counter() - t0) / m['reps']
        probe = LoadProbe().start()
        tf.profiler.experimental.start(os.path.join(tmp, 'trace'))
        t0 = time.perf_counter()
        for _ in range(m['reps']):
            step()
        wall = (time.perf_counter() - t0) / m['reps']
        tf.profiler.experimental.stop()
        load = probe.stop()
        types = profiled_op_types(os.path.join(tmp, 'trace'))
    per_step = {k: [ms / m['reps'], n // m['reps']] for k, (ms, n) in
                sorted((types or {}).items(), key=lambda kv: -kv[1][0])}
    return [plain], load, {'op_types': per_step, 'ops_ms': sum(v[0] for v in per_step.values()),
                           'profiled_wall_ms': 1000 * wall, 'views': m['views'], 'readable': types is not None}


def default_run_ratios(results):
    """The target row of the default run, for bench's ratios table ({} where it did not run)."""
    r = results.get('default_run')
    if not r:
        return {}
    value = r['precision_peak_fraction']
    return {'default_run': {
        'what': f'default training run ({DEFAULT_CFG}, real input pipeline, 1..{r["n_views"]} views): useful GFLOP/s / '
                f'{"bf16" if r["peak_dtype"] == "bfloat16" else "fp32"} matmul peak',
        'value': value, 'op': '>=', 'target': TARGET_PEAK_FRACTION, 'met': value >= TARGET_PEAK_FRACTION,
        'busy': r['busy'], 'source': 'one process'}}


def _kernel_lines(k):
    """The step's TensorFlow ops by type as one report line ([] where the worker did not run)."""
    if not k:
        return []
    if not k['readable'] or not k['op_types']:
        return ["- TensorFlow's ops by type: not measured (this TensorFlow's profiler trace could not be read)"]
    total = k['ops_ms']
    share = lambda ms: f'{100 * ms / total:.0f} %'
    conv = {name: v for name, v in k['op_types'].items() if 'Conv' in name}
    forward = sum(v[0] for name, v in conv.items() if name.endswith('(forward)'))
    gradient = sum(v[0] for name, v in conv.items() if name.endswith('(gradient)'))
    others = [(name, v) for name, v in k['op_types'].items() if name not in conv]
    top = '; '.join(f'{name} {share(ms)} ({n} ops)' for name, (ms, n) in others[:6])
    rest = sum(v[0] for _, v in others[6:])
    return [f"- TensorFlow's ops by type (the {k['views']}-view step one op at a time under TensorFlow's profiler: "
            f"{total:.0f} ms of ops in a {k['profiled_wall_ms']:.0f} ms step, {1000 * k['median']:.0f} ms unprofiled): "
            f'convolutions {share(forward + gradient)} (forward {share(forward)}, gradients {share(gradient)}); '
            f'then {top}; the other {sum(v[1] for _, v in others[6:])} ops {share(rest)}']


def default_run_lines(results):
    """Where the default run's time goes, as report lines ([] where it did not run)."""
    r = results.get('default_run')
    if not r:
        return []
    ms = lambda s: f'{1000 * s:.0f} ms'
    f, fv = r['forward3'], min(3, r['n_views'])
    pct = lambda part: f'{100 * f[part] / f["forward"]:.0f} %'
    step_views = ', '.join(f'{v} views {ms(t)}' for v, t in sorted(r['step_by_views'].items()))
    ops = results.get('step_ops')
    if ops and ops['ops_by_kind']:
        share = lambda ms: f'{100 * ms / ops["onednn_ms"]:.0f} %'
        kinds = '; '.join(f'{k} {share(v)}' for k, v in list(ops['ops_by_kind'].items())[:7])
        top = '; '.join(f'{k} {share(v)}' for k, v in list(ops['top_ops'].items())[:4])
        overlap = ops['onednn_ms'] / ops['wall_ms']
        rest = (f'TensorFlow\'s own kernels (wall time - oneDNN) {100 * (1 - overlap):.0f} % of the wall time'
                if overlap < 1 else
                f'oneDNN\'s times add up to {overlap:.2f}x the wall time (ops run side by side on the threads), '
                'so the share of TensorFlow\'s own kernels cannot be read from them')
        ops_lines = [f'- ops by kind ({ops["views"]}-view step timed by oneDNN, {ops["wall_ms"]:.0f} ms a step under its timing; '
                     f'shares of oneDNN\'s summed time): {kinds}; {rest}. Largest ops: {top}']
    else:
        ops_lines = ['- ops by kind: not measured' + (' (oneDNN reported no primitives: not an x86 build?)'
                                                      if ops else '')]
    lines = [
        f'The default training run ({DEFAULT_CFG}: width {r["width"]:g}, batch {r["batch"]}, {r["precision"]}) on '
        f'{r["models"]} training models of {r["data"]}, {r["iterations"]} iterations after {r["warmup"]} of warm-up '
        f'({r["mean_views"]:.2f} views on average):',
        f'- the run: {ms(r["median"])} per iteration over the config\'s {r["schedule_iterations"]:,} iterations, '
        f'{r["gflops"]:.0f} useful GFLOP/s ({r["useful_gmac"]:.1f} GMAC per step) = '
        f'{100 * r["precision_peak_fraction"]:.0f} % of the {r["peak_dtype"]} matmul peak '
        f'({r["peaks"][r["peak_dtype"]]:.0f} GFLOP/s; fp32 peak {r["peaks"]["float32"]:.0f}, bf16 '
        f'{r["peaks"]["bfloat16"]:.0f}): its first pass over the models ({r["first_pass_iterations"]:.0f} '
        f'iterations, each model\'s files checked on its first draw) at {ms(r["run_first_pass_s"])} per '
        f'iteration, the iterations after it at {ms(r["run_later_s"])} (the same batches run again with '
        f'the checks kept)',
        f'- the step alone (fixed arrays, no pipeline, no callbacks): {step_views}; weighted as drawn '
        f'{ms(r["step_mean_s"])} ({r["step_gflops"]:.0f} GFLOP/s); an iteration after the first pass adds '
        f'{ms(r["run_later_s"] - r["step_mean_s"])} around it',
        f'- forward of {fv} views: {ms(f["forward"])} (encoder {pct("encoder")}, recurrence {pct("recurrence")}, '
        f'decoder {pct("decoder")}, each part timed alone); the {fv}-view step is '
        f'{ms(r["step_by_views"][str(fv)])}, so gradients and the optimizer take the rest',
        *ops_lines, *_kernel_lines(results.get('step_kernels')),
        f'- input pipeline on one thread: {ms(r["pipeline_first_s"])} per batch the first time its models '
        f'are drawn (their files checked), {ms(r["pipeline_again_s"])} after',
        '- graphs: ' + ('one for every number of views (no iteration after the first took seconds longer)'
                         if not r['slow_iterations'] else
                         f'iterations {r["slow_iterations"][:8]} took seconds longer than the others (traced again?)'),
        f'- validation: {ms(r["validation_per_model_s"])} per model of {r["n_views"]} views; '
        f'{ms(r["validation_per_iteration_s"])} per iteration at the config\'s rate',
    ]
    return lines
