"""How long a comparison will take on this machine, from step times measured now (compare --dry-run).

A training step is timed as training runs it (the protocol's network, batch, precision, optimizer
and weight decay, Keras' train_on_batch) on random images and occupancies: their content does not
change the time. It is timed at 3 views, the mean of the 1..5 views a training batch draws: the
encoder and the recurrence cost in proportion to the views and the decoder does not, so the time at
3 views is the mean step time. The input pipeline runs in parallel worker threads and is left out
(about 20 ms a batch, experiments/results/bench.md). Evaluation is timed as one forward pass of a
test batch at 5 views (a test reads every number of views from that one pass), per model.
"""
import datetime
import statistics
import time

MEASURED_VIEWS = 3
WARMUP, REPS = 2, 5


def _median_time(fn, warmup=WARMUP, reps=REPS):
    for _ in range(max(0, warmup)):
        fn()
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def measure_network(cfg, warmup=WARMUP, reps=REPS):
    """{'train_s': seconds per training step, 'forward_s': seconds per test model, 'first_s': building
    the network and its first step (the step's tracing, which training repeats once per number of
    views)} of cfg's network."""
    import keras
    import numpy as np
    from lib.devices.backend import resolve_jit_compile
    from lib.solver import VoxelTrainer, make_optimizer
    from lib.train_net import _quiet_grappler_remapper
    from models import build_network, spec_from_config
    _quiet_grappler_remapper()   # as training does (it only silences a log line)
    t0 = time.perf_counter()
    keras.utils.set_random_seed(0)
    network = build_network(spec_from_config(cfg))
    trainer = VoxelTrainer(network, cfg.TRAIN.WEIGHT_DECAY)
    trainer.compile(optimizer=make_optimizer(cfg.TRAIN, precision=cfg.NETWORK.PRECISION),
                    jit_compile=resolve_jit_compile(cfg.TRAIN.JIT_COMPILE))
    rng = np.random.default_rng(0)
    size, n, batch = cfg.CONST.IMG_W, cfg.CONST.N_VOX, cfg.CONST.BATCH_SIZE
    x = rng.random((batch, MEASURED_VIEWS, size, size, 3), dtype=np.float32)
    y = (rng.random((batch, n, n, n)) < 0.2).astype(np.uint8)
    trainer.train_on_batch(x, y)
    first_s = time.perf_counter() - t0
    train_s = _median_time(lambda: trainer.train_on_batch(x, y), warmup - 1, reps)
    test_batch = cfg.TEST.BATCH_SIZE
    x_test = rng.random((test_batch, cfg.CONST.N_VIEWS, size, size, 3), dtype=np.float32)
    forward_s = _median_time(lambda: network.predict_on_batch(x_test), warmup, reps) / test_batch
    return {'train_s': train_s, 'forward_s': forward_s, 'first_s': first_s}


def measure(configs, warmup=WARMUP, reps=REPS, log=print):
    """{net: measure_network(cfg)} for {net: cfg}, with the machine's load around the measurement."""
    from lib.bench.probe import LoadProbe
    probe = LoadProbe().start()
    started = datetime.datetime.now(datetime.timezone.utc)
    times = {}
    for net, cfg in configs.items():
        log(f'  measuring {net}: {warmup} + {reps} training steps and test batches ...')
        times[net] = measure_network(cfg, warmup, reps)
    load = probe.stop()
    return {'times': times, 'load': load, 'started': started.strftime('%Y-%m-%d %H:%M UTC'),
            'warmup': warmup, 'reps': reps}


def busy_note(load, cores):
    """One sentence on how busy the machine was while the times were measured."""
    others, before, after = load.get('others_cores'), load.get('load_before'), load.get('load_after')
    avg = '' if before is None else f'load average {before:.2f} before, {after:.2f} after; '
    if others is None:
        return avg + 'the load of other processes could not be read (no /proc/stat)'
    verdict = ('BUSY: the times are longer than on a quiet machine' if others > 0.25 * cores
               else 'quiet enough for these times to hold')
    return f'{avg}other processes used {others:.2f} of {cores} cores while measuring: {verdict}'


def estimate(plan, measured, traces=5):
    """(low, high) seconds of the plan [(net, iterations, evaluated models)] from measured step times,
    with `traces` tracings of the step per trained run (one per number of views); a network not
    measured lies between the fastest and the slowest measured one."""
    times = measured['times']
    low = high = 0.0
    for net, iterations, models in plan:
        if net in times:
            cands = [times[net]]
        else:
            cands = [min(times.values(), key=lambda t: t['train_s']), max(times.values(), key=lambda t: t['train_s'])]
        costs = [iterations * t['train_s'] + (traces * t['first_s'] if iterations else 0) + models * t['forward_s']
                 for t in cands]
        low, high = low + min(costs), high + max(costs)
    return low, high


def hours(seconds):
    return f'{seconds / 3600:.1f} h' if seconds >= 3600 else f'{seconds / 60:.0f} min'
