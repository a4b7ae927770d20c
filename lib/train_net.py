"""One training run: config -> data -> network -> solver, resumable from its output folder.

Output folder:
    config.yaml                 the full config of the run (a rerun must match it to resume)
    checkpoints/ckpt-NNNNNNN/   network.weights.h5, optimizer.npz, state.json (latest two kept)
    checkpoints/latest          name of the latest complete checkpoint
    train_log.csv               iteration, loss, learning rate, seconds
    validation.csv              iteration, test loss, test IoU
    <net>.weights.h5            the final weights
    training_curve.png          loss and validation IoU against iterations
    tensorboard/                TensorBoard logs (shapes/: validation models reconstructed, lib/tensorboard_shapes.py)
"""
import csv
import os
import shutil
import sys
import tempfile

import numpy as np

from lib.config import dump_config
from lib.data_process import TrainBatches, threaded_batches
from lib.devices.backend import device_kind, resolve_jit_compile, tensorflow_available
from lib.devices.distribute import distribute_options, gather_from_replicas, is_chief, scope, worker_name
from lib.solver import (Supervisor, TrainingDiverged, VoxelTrainer, clean_partial_checkpoints,
                        latest_checkpoint, load_checkpoint, make_optimizer, read_checkpoint_state)
from lib.output.atomic import atomic_write_text
from lib.output.run_lock import run_lock
from lib.weights import load_weights, save_weights
from lib.tensorboard_shapes import write_validation_shapes


class RunMismatch(RuntimeError):
    pass


def cut_log(path, iteration):
    """Keep the header and the complete rows up to `iteration` of a CSV log: a resumed run writes the
    rows after its checkpoint again, and a row torn by a kill would merge with the next one."""
    if not os.path.exists(path):
        return
    with open(path, errors='replace') as f:
        text = f.read()
    lines = text.split('\n')[:-1]   # the last piece has no newline: torn or empty
    if not lines or not lines[0].startswith('iteration,'):
        return
    width = lines[0].count(',')
    kept = [lines[0]]
    for line in lines[1:]:
        first = line.split(',', 1)[0]
        if line.count(',') == width and first.isdigit() and int(first) <= iteration:
            kept.append(line)
    cut = '\n'.join(kept) + '\n'
    if cut != text:
        atomic_write_text(path, cut)


def batch_stream(batches, workers, errors=None):
    """The batches of a TrainBatches as fit() takes them: decoded `workers` at a time in threads and
    read ahead (lib.data_process.threaded_batches), so loading overlaps training. On TensorFlow a
    tf.data pipeline (what tf.distribute splits over replicas), on JAX and PyTorch the plain
    generator, which needs no TensorFlow. The number of views varies per batch. An error while
    loading is appended to `errors` (tf.data re-raises it as its own error type)."""
    import keras
    if keras.backend.backend() != 'tensorflow':
        return threaded_batches(batches, workers, errors)
    import tensorflow as tf
    cfg = batches.cfg
    n = cfg.CONST.N_VOX
    signature = (tf.TensorSpec((batches.batch_size, None, cfg.CONST.IMG_H, cfg.CONST.IMG_W, 3), tf.float32),
                 tf.TensorSpec((batches.batch_size, n, n, n), tf.uint8))
    return tf.data.Dataset.from_generator(lambda: threaded_batches(batches, workers, errors),
                                          output_signature=signature).prefetch(2)


# Keys a rerun may change and still resume: the length of the run and how it reports.
RESUMABLE_CHANGES = {('TRAIN', 'NUM_ITERATION'), ('TRAIN', 'PRINT_FREQ'), ('TRAIN', 'VALIDATION_FREQ'),
                     ('TRAIN', 'SAVE_FREQ'), ('TRAIN', 'NUM_WORKER'), ('TRAIN', 'TENSORBOARD'),
                     ('DIR', 'OUT_PATH'), ('CONST', 'WEIGHTS'), ('TEST', 'NUM_VALIDATION_MODELS'),
                     ('TRAIN', 'STRATEGY'),   # the same global batch gives the same steps on any devices
                     ('TRAIN', 'JIT_COMPILE')}   # how the step is compiled, not what it computes


def _differences(old, new):
    keys = set()
    for section in set(old) | set(new):
        a, b = old.get(section, {}), new.get(section, {})
        for key in set(a) | set(b):
            if a.get(key) != b.get(key) and (section, key) not in RESUMABLE_CHANGES:
                keys.add(f'{section}.{key}')
    return sorted(keys)


def prepare_output(out_dir, cfg):
    """Create the folder and write config.yaml; resuming a run with another config is an error."""
    import yaml
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, 'config.yaml')
    if os.path.exists(path) and latest_checkpoint(out_dir) is not None:
        with open(path) as f:
            previous = yaml.safe_load(f) or {}
        changed = _differences(previous, cfg.to_dict())
        if changed:
            raise RunMismatch(f'{out_dir} holds a run with another config ({", ".join(changed)} differ); '
                              f'use another --out, or delete the folder to start over')
    atomic_write_text(path, dump_config(cfg))


def train(cfg, network, train_pairs, out_dir, validate=None, initial_weights=None, log=print, strategy=None,
          model_checks=None):
    """Train `network` on train_pairs until TRAIN.NUM_ITERATION, resuming from out_dir if it holds a
    checkpoint. validate(iteration) -> dict (loss, iou) is called every VALIDATION_FREQ iterations.
    With a tf.distribute strategy (lib/devices/distribute.py) the network must have been built in its scope.
    model_checks: the input pipeline's model check results to share with another run over the same
    unchanged files (TrainBatches). Returns the path of the final weights."""
    if is_chief(strategy):
        with run_lock(out_dir):
            prepare_output(out_dir, cfg)
            clean_partial_checkpoints(out_dir)
            return _train(cfg, network, train_pairs, out_dir, out_dir, validate, initial_weights, log, strategy,
                          model_checks)
    # Another worker of a multi-worker run reads the chief's checkpoints but writes only to a folder
    # of its own, deleted at the end (TensorFlow's multi-worker guidance).
    work_dir = tempfile.mkdtemp(prefix='r2n2_worker_')
    try:
        return _train(cfg, network, train_pairs, out_dir, work_dir, None, initial_weights,
                      lambda text: log(f'{worker_name(strategy)}: {text}'), strategy, model_checks)
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)


def _quiet_grappler_remapper():
    """Turn off TensorFlow's graph remapper for the training run.

    The remapper fuses conv + bias + activation; in the training graph it cannot (the gradient of the
    leaky ReLU needs the unfused bias output), fails, and prints an INVALID_ARGUMENT error line on
    every run. Grappler then keeps the graph as it was before that pass, so turning it off only
    drops the noise. Evaluation outside training (./run.sh test, demo) keeps it.
    """
    import keras
    if keras.backend.backend() == 'tensorflow':
        import tensorflow as tf
        tf.config.optimizer.set_experimental_options({'remapping': False})


def _train(cfg, network, train_pairs, out_dir, work_dir, validate, initial_weights, log, strategy, model_checks):
    """train() with the folder to resume from (out_dir) and the one to write (work_dir)."""
    import keras
    chief = work_dir == out_dir
    total = cfg.TRAIN.NUM_ITERATION
    seed = cfg.CONST.RNG_SEED
    _quiet_grappler_remapper()
    with scope(strategy):   # the optimizer's variables are mirrored like the network's
        trainer = VoxelTrainer(network, cfg.TRAIN.WEIGHT_DECAY)
        optimizer = make_optimizer(cfg.TRAIN, precision=cfg.NETWORK.PRECISION)
        jit_compile = resolve_jit_compile(cfg.TRAIN.JIT_COMPILE)
        trainer.compile(optimizer=optimizer, jit_compile=jit_compile)
        if strategy is not None:
            # made now on every worker alike (making a variable is a collective step there)
            optimizer.build(network.trainable_variables)

        start = 0
        checkpoint = latest_checkpoint(out_dir, repair=chief, log=log)   # falls back past a damaged one
        found = read_checkpoint_state(checkpoint)['iteration'] if checkpoint else 0
        starts = gather_from_replicas(strategy, found)
        if len(set(starts)) > 1:
            raise RunMismatch(f'the workers would resume from different iterations ({sorted(set(starts))}): '
                              f'the output folder {out_dir} must be on a file system every worker sees')
        if checkpoint:
            state = load_checkpoint(checkpoint, network, optimizer)
            start = state['iteration']
            if state.get('seed', seed) != seed:
                raise RunMismatch(f'{checkpoint} was trained with seed {state["seed"]}, not {seed}')
            log(f'resuming from {checkpoint} (iteration {start} of {total})')
        elif initial_weights:
            load_weights(network, initial_weights)
            log(f'starting from the weights {initial_weights} (fine-tuning)')
    final_path = os.path.join(out_dir, f'{network.name}.weights.h5')
    if start >= total:
        log(f'already trained to iteration {total}')
        if chief and not os.path.exists(final_path):
            save_weights(network, final_path)
        return final_path

    batches = TrainBatches(cfg, train_pairs, seed=seed, length=total - start, offset=start,
                           model_checks=model_checks)
    validation_log = os.path.join(work_dir, 'validation.csv')
    for done in (os.path.join(work_dir, 'train_log.csv'), validation_log):
        cut_log(done, start)   # back to the checkpoint: its rows follow from here once

    def run_validation(iteration):
        if validate is None:
            return
        result = validate(iteration)
        new = not os.path.exists(validation_log)
        with open(validation_log, 'a') as f:
            if new:
                f.write('iteration,loss,iou\n')
            f.write(f"{iteration},{result['loss']:.6f},{result['iou']:.6f}\n")
        log(f"{'' if not sys.stdout.isatty() else chr(10)}validation at iteration {iteration}: test loss {result['loss']:.4f}, test IoU {result['iou']:.4f}"
            f" ({result.get('what', '')})")
        if result.get('examples') and cfg.TRAIN.TENSORBOARD and chief:   # the shapes, not only the numbers
            write_validation_shapes(os.path.join(out_dir, 'tensorboard', 'shapes'), iteration, result['examples'],
                                    result.get('threshold', cfg.TEST.VOXEL_THRESH[0]))

    supervisor = Supervisor(work_dir, start, total, cfg,
                            data_state=lambda it: {'seed': seed, 'data_offset': it,
                                                   'bad_models': len(batches.bad_models)},
                            validate=run_validation if validate else None, log=log)
    callbacks = [supervisor]
    if cfg.TRAIN.TENSORBOARD and chief:
        if tensorflow_available():   # Keras writes TensorBoard logs with tf.summary, on every backend
            callbacks.append(keras.callbacks.TensorBoard(os.path.join(out_dir, 'tensorboard'),
                                                         update_freq=cfg.TRAIN.PRINT_FREQ))
        else:
            log('no TensorBoard logs: Keras writes them with TensorFlow, which is not installed here '
                '(train_log.csv and training_curve.png are written as always)')
    log(f'training {network.name} ({network.count_params():,} parameters) on {len(train_pairs)} models, '
        f'iterations {start}..{total}, batch {cfg.CONST.BATCH_SIZE} x 1..{cfg.CONST.N_VIEWS} views'
        + (f' over {strategy.num_replicas_in_sync} replica{"s" if strategy.num_replicas_in_sync != 1 else ""}'
           if strategy is not None else ''))
    log(f'computing on {keras.backend.backend()} ({device_kind()}), {cfg.NETWORK.PRECISION}, '
        f'jit_compile {"on" if jit_compile else "off"} (TRAIN.JIT_COMPILE {cfg.TRAIN.JIT_COMPILE})')
    # tf.data splits each global batch evenly over the replicas (lib/devices/distribute.py)
    loading_errors = []
    try:
        trainer.fit(distribute_options(batch_stream(batches, cfg.TRAIN.NUM_WORKER, loading_errors), strategy),
                    epochs=1, steps_per_epoch=total - start, verbose=0, callbacks=callbacks, shuffle=False)
    except Exception:
        if loading_errors:   # the data's own one-line error, not tf.data's wrapping of it
            raise loading_errors[0] from None
        raise
    if batches.bad_models:
        log(f'{len(batches.bad_models)} bad models were skipped ({batches.substitutions} samples replaced)')
    if supervisor.diverged:
        raise TrainingDiverged(supervisor.diverged)
    if chief:
        save_weights(network, final_path)
        plot_training_curve(out_dir)
        log(f'final weights: {final_path}')
    return final_path


def _read_csv(path):
    """Columns of a log as arrays; a resumed run appends, so the last record of an iteration wins."""
    if not os.path.exists(path):
        return {}
    with open(path) as f:
        rows = {int(r['iteration']): r for r in csv.DictReader(f)}
    ordered = [rows[k] for k in sorted(rows)]
    return {k: np.array([float(r[k]) for r in ordered]) for k in (ordered[0] if ordered else {})}


def plot_training_curve(out_dir):
    """training_curve.png: training loss (smoothed) and test loss/IoU against iterations."""
    from lib.output.figures import new_figure, save_figure
    train = _read_csv(os.path.join(out_dir, 'train_log.csv'))
    val = _read_csv(os.path.join(out_dir, 'validation.csv'))
    if not train:
        return None
    it, loss = train['iteration'], train['loss']
    fig, ax = new_figure(figsize=(6.5, 4), dpi=110)
    window = max(1, len(loss) // 50)
    smooth = np.convolve(loss, np.ones(window) / window, mode='valid')
    ax.plot(it, loss, color='tab:blue', alpha=0.25, lw=0.6)
    ax.plot(it[window - 1:], smooth, color='tab:blue', label='training loss')
    if val:
        ax.plot(val['iteration'], val['loss'], 'o-', color='tab:orange', label='test loss')
        ax2 = ax.twinx()
        ax2.plot(val['iteration'], val['iou'], 's-', color='tab:green', label='test IoU')
        ax2.set_ylabel('test IoU')
        ax2.set_ylim(0, 1)
        ax2.legend(loc='upper center', fontsize=8)
    ax.set_xlabel('iteration')
    ax.set_ylabel('voxel cross-entropy')
    ax.legend(loc='upper right', fontsize=8)
    ax.grid(alpha=0.3)
    return save_figure(fig, os.path.join(out_dir, 'training_curve.png'))
