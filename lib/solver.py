"""Training as the original solver did it, on Keras' own machinery.

- Adam (beta1 0.9, beta2 0.999, eps 1e-8) with the step schedule of TRAIN.LEARNING_RATES (Keras'
  PiecewiseConstantDecay: iteration 20,000 itself still uses 1e-4, as in the original loop).
- L2 weight decay added to the gradients of non-bias weights only: g + wd * w. It is implemented as
  0.5 * wd * |w|^2 added to the loss (whose gradient is exactly wd * w), so the train step stays
  Keras' own and backend-neutral; the reported loss is the voxel cross-entropy alone.
- Checkpoints (network weights, optimizer state, iteration, data position) written atomically:
  each into a temporary folder renamed into place, then the `latest` pointer replaced in one step.
  A run killed at any moment, even mid-save, resumes from the latest complete checkpoint.
"""
import json
import math
import os
import shutil
import sys
import time

import keras
import numpy as np
from keras import ops

from lib.output.atomic import atomic_write_text
from lib.layers import voxel_cross_entropy
from lib.output.progress import Progress
from lib.weights import first_non_finite, load_weights, save_weights

CHECKPOINTS = 'checkpoints'
LATEST = 'latest'


def learning_rate_schedule(train_cfg):
    """DEFAULT_LEARNING_RATE, then each LEARNING_RATES step (iteration -> rate) after that iteration."""
    steps = sorted((int(k), float(v)) for k, v in train_cfg.LEARNING_RATES.items())
    if not steps:
        return float(train_cfg.DEFAULT_LEARNING_RATE)
    return keras.optimizers.schedules.PiecewiseConstantDecay(
        boundaries=[s for s, _ in steps], values=[float(train_cfg.DEFAULT_LEARNING_RATE)] + [v for _, v in steps])


def make_optimizer(train_cfg, precision='float32'):
    """TRAIN.POLICY's optimizer; for NETWORK.PRECISION mixed_float16 inside Keras' dynamic loss
    scaling (float16 gradients underflow without it; a step whose scaled gradients overflow is
    skipped and the scale halved, so the schedule may trail the iteration by the skipped steps)."""
    schedule = learning_rate_schedule(train_cfg)
    if train_cfg.POLICY == 'adam':
        optimizer = keras.optimizers.Adam(schedule, beta_1=0.9, beta_2=0.999, epsilon=1e-8)
    elif train_cfg.POLICY == 'sgd':
        optimizer = keras.optimizers.SGD(schedule, momentum=train_cfg.MOMENTUM)
    else:
        raise ValueError(f'TRAIN.POLICY must be adam or sgd, got {train_cfg.POLICY!r}')
    if precision == 'mixed_float16':
        return keras.optimizers.LossScaleOptimizer(optimizer)
    return optimizer


def current_learning_rate(optimizer):
    lr = optimizer.learning_rate
    return float(np.asarray(lr))


def is_decayed(variable):
    """Weight decay applies to every trainable weight but the biases (1-D: conv/fc/transition b)."""
    return len(variable.shape) > 1


class LastValue(keras.metrics.Metric):
    """A metric that reports the value of the latest batch (Keras metrics average otherwise)."""

    def __init__(self, name, **kwargs):
        super().__init__(name=name, **kwargs)
        # Under tf.distribute each replica holds its own value; reading it outside a replica gives
        # their mean, the global batch's value (equal per-replica batches).
        self.value = self.add_variable(shape=(), initializer='zeros', name='value', aggregation='mean')

    def update_state(self, value):
        self.value.assign(ops.cast(value, self.value.dtype))

    def result(self):
        return ops.convert_to_tensor(self.value)

    def reset_state(self):
        self.value.assign(0.0)


def share_per_replica(loss):
    """loss / the number of replicas of the TensorFlow distribution strategy in use (loss itself on
    one replica or another backend): Keras' private scale_loss_for_distribution, which its train_step
    undoes (multiplying by the number of replicas) for the logs."""
    if keras.backend.backend() == 'tensorflow':
        import tensorflow as tf
        replicas = tf.distribute.get_strategy().num_replicas_in_sync
        if replicas > 1:
            loss = loss * ops.cast(1.0 / replicas, loss.dtype)
    return loss


def _multi_worker(strategy):
    if strategy is None or keras.backend.backend() != 'tensorflow':
        return False
    import tensorflow as tf
    return isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy)


class VoxelTrainer(keras.Model):
    """Wraps a network for training: computes logits, the voxel loss and the weight decay.

    The network itself (probabilities out) is what gets saved; the trainer only adds the loss.
    """

    def __init__(self, network, weight_decay=0.0, **kwargs):
        super().__init__(name=f'{network.name}_trainer', **kwargs)
        self.network = network
        # The same layers up to the decoder's logits: the loss is computed from logits (stable).
        self.logits_model = keras.Model(network.inputs, network.get_layer('softmax').input,
                                        name=f'{network.name}_logits')
        self.weight_decay = float(weight_decay)
        self.voxel_loss = LastValue('voxel_loss')

    def call(self, images, training=False):
        return self.logits_model(images, training=training)

    def decay_term(self):
        squares = [ops.sum(ops.square(ops.cast(w, 'float32')))
                   for w in self.network.trainable_weights if is_decayed(w)]
        return 0.5 * self.weight_decay * ops.sum(ops.stack(squares))

    def every_parameter_term(self):
        """0 * (sum of every parameter): zero, but every parameter gets a gradient (zero where the loss
        does not reach it, as in Theano's full graph). From the zero start state a single view never
        uses the GRU's reset gate or the LSTM's forget gate, and where the fast path skips those
        products the eager backends would give no gradient at all, and Adam would skip the step
        of those parameters instead of moving them by its momentum as the original did."""
        return 0.0 * ops.sum(ops.stack([ops.sum(ops.cast(w, 'float32')) for w in self.network.trainable_weights]))

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        loss = voxel_cross_entropy(y, y_pred)
        self.voxel_loss.update_state(loss)
        if training:
            loss = loss + self.every_parameter_term()
        if self.weight_decay and training:
            loss = loss + self.decay_term()
        # Under tf.distribute with N replicas each replica's gradients are summed, so each returns
        # 1/N of its loss (a no-op for one replica): the sum is the mean of the per-replica
        # cross-entropies, i.e. the global batch's, plus the decay once. Keras applies this in its
        # own compile losses, not to an overridden compute_loss; train_step undoes it for its logs.
        return share_per_replica(loss)

    # Two workarounds for Keras' fit() under a multi-worker strategy (keras-team/keras#20585);
    # neither applies on one device or under 'mirrored'.

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        logs = super().compute_metrics(x, y, y_pred, sample_weight=sample_weight)
        if _multi_worker(getattr(self, '_distribute_strategy', None)):
            # Keras averages each step's logs over the workers along axis 0, which a scalar lacks
            return {k: ops.reshape(v, (1,)) for k, v in logs.items()}
        return logs

    def _maybe_symbolic_build(self, iterator=None, data_batch=None):
        # Keras peeks at the first batch and reduces the whole (x, y) pair across workers, which
        # fails. Nothing here needs a batch to be built (the network is built when made): only
        # the optimizer is left.
        if iterator is not None and _multi_worker(getattr(self, '_distribute_strategy', None)):
            with self.distribute_strategy.scope():
                if not self.optimizer.built:
                    self.optimizer.build(self.trainable_variables)
            return
        return super()._maybe_symbolic_build(iterator=iterator, data_batch=data_batch)

    @property
    def metrics(self):
        return [self.voxel_loss]


# ---------------------------------------------------------------------------------------------
# Checkpoints


def save_checkpoint(out_dir, network, optimizer, iteration, extra=None, keep=2):
    """Write checkpoint `iteration` under out_dir/checkpoints and point `latest` at it."""
    root = os.path.join(out_dir, CHECKPOINTS)
    os.makedirs(root, exist_ok=True)
    name = f'ckpt-{iteration:07d}'
    final = os.path.join(root, name)
    tmp = os.path.join(root, f'.{name}.partial')
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    save_weights(network, os.path.join(tmp, 'network.weights.h5'))
    # Tests set R2N2_SAVE_DELAY=ITERATION:SECONDS to kill a run while that checkpoint is half-written
    # (the weights written, the optimizer state and iteration not yet).
    delay_at, _, seconds = os.environ.get('R2N2_SAVE_DELAY', '').partition(':')
    if delay_at and int(delay_at) == iteration:
        time.sleep(float(seconds))
    np.savez(os.path.join(tmp, 'optimizer.npz'),
             **{f'{i:04d}': np.asarray(v) for i, v in enumerate(optimizer.variables)})
    atomic_write_text(os.path.join(tmp, 'state.json'), json.dumps({
        'iteration': int(iteration),
        'optimizer_variables': [v.path for v in optimizer.variables],
        **(extra or {})}, indent=1))
    _fsync_dir(tmp)
    shutil.rmtree(final, ignore_errors=True)
    os.replace(tmp, final)
    _fsync_dir(root)
    # the pointer moves only once the checkpoint is complete
    atomic_write_text(os.path.join(root, LATEST), name + '\n')
    for old in sorted(d for d in os.listdir(root) if d.startswith('ckpt-'))[:-keep]:
        shutil.rmtree(os.path.join(root, old), ignore_errors=True)
    return final


def _fsync_dir(path):
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class CheckpointError(RuntimeError):
    """A run's checkpoint folder that cannot be resumed from."""


def set_aside_checkpoint(out_dir, iteration):
    """If the latest checkpoint is that of `iteration`, rename it diverged-ckpt-N and point `latest`
    back at the one before (or at none). Returns the new folder name, or None if nothing moved."""
    root = os.path.join(out_dir, CHECKPOINTS)
    name = f'ckpt-{iteration:07d}'
    pointer = os.path.join(root, LATEST)
    if not os.path.isfile(pointer):
        return None
    with open(pointer) as f:
        if f.read().strip() != name:
            return None
    earlier = sorted(d for d in os.listdir(root) if d.startswith('ckpt-') and d < name)
    if earlier:
        atomic_write_text(pointer, earlier[-1] + '\n')
    else:
        os.remove(pointer)
    aside = 'diverged-' + name
    shutil.rmtree(os.path.join(root, aside), ignore_errors=True)
    os.replace(os.path.join(root, name), os.path.join(root, aside))
    return os.path.join(CHECKPOINTS, aside)


def checkpoint_problem(folder):
    """Why a checkpoint folder cannot be resumed from (its files read back in full), or None."""
    from lib.weights import WeightsError, read_weight_arrays
    try:
        state = read_checkpoint_state(folder)
        if not isinstance(state, dict) or not isinstance(state.get('iteration'), int):
            return 'state.json holds no iteration'
    except FileNotFoundError:
        return 'no state.json'
    except (OSError, ValueError) as e:
        return f'state.json is damaged ({type(e).__name__})'
    try:
        read_weight_arrays(os.path.join(folder, 'network.weights.h5'))
    except WeightsError:
        return 'network.weights.h5 is damaged'
    try:
        with np.load(os.path.join(folder, 'optimizer.npz')) as saved:
            for key in saved.files:   # reading every array checks its CRC: a truncated file fails
                saved[key]
    except FileNotFoundError:
        return 'no optimizer.npz'
    except Exception as e:   # zipfile.BadZipFile, EOFError, ValueError, ...
        return f'optimizer.npz is damaged ({type(e).__name__})'
    return None


def latest_checkpoint(out_dir, repair=False, log=None):
    """The folder of the latest complete checkpoint, or None when there is none to resume from.

    If the one `latest` names is damaged (or `latest` names none), the previous complete one is used
    (two are kept). With repair, the damaged newer ones are renamed damaged-ckpt-N (their timeline
    is abandoned) and `latest` is pointed at the one used; log(text) says so.
    """
    root = os.path.join(out_dir, CHECKPOINTS)
    pointer = os.path.join(root, LATEST)
    if not os.path.isfile(pointer):
        return None
    with open(pointer, errors='replace') as f:
        name = f.read().strip()
    folders = sorted((d for d in os.listdir(root) if d.startswith('ckpt-') and os.path.isdir(os.path.join(root, d))),
                     reverse=True)
    named = name in folders
    # the named checkpoint, then the older ones, newest first; a pointer naming none: all of them
    candidates = [d for d in folders if d <= name] if named else folders
    damaged = []
    for candidate in candidates:
        problem = checkpoint_problem(os.path.join(root, candidate))
        if problem is None:
            break
        damaged.append(f'{candidate}: {problem}')
    else:
        what = (f'{LATEST} is empty' if not name
                else f'{LATEST} names {name!r}' + ('' if named else ', which does not exist'))
        raise CheckpointError(f'{root} holds no complete checkpoint to resume from ('
                              + ('; '.join(damaged) if damaged else what)
                              + f'); delete {root} to start over')
    if candidate != name:
        why = '; '.join(damaged) if damaged else (f'{LATEST} names {name!r}, which does not exist' if name
                                                  else f'{LATEST} is empty')
        if log is not None:
            log(f'the latest checkpoint cannot be used ({why}): resuming from the previous complete one, {candidate}')
        if repair:
            for newer in folders:
                if newer > candidate:
                    aside = os.path.join(root, 'damaged-' + newer)
                    shutil.rmtree(aside, ignore_errors=True)
                    os.replace(os.path.join(root, newer), aside)
            atomic_write_text(pointer, candidate + '\n')
    return os.path.join(root, candidate)


def read_checkpoint_state(folder):
    """The state dict of a checkpoint (iteration, data position, ...)."""
    with open(os.path.join(folder, 'state.json')) as f:
        return json.load(f)


def load_checkpoint(folder, network, optimizer):
    """Restore network weights and optimizer state; returns the checkpoint's state dict."""
    state = read_checkpoint_state(folder)
    load_weights(network, os.path.join(folder, 'network.weights.h5'))
    optimizer.build(network.trainable_variables)
    saved = np.load(os.path.join(folder, 'optimizer.npz'))
    variables = optimizer.variables
    if len(saved.files) != len(variables):
        raise CheckpointError(f'{folder}: optimizer state has {len(saved.files)} variables, '
                           f'this run needs {len(variables)} (another optimizer or network?)')
    for i, v in enumerate(variables):
        value = saved[f'{i:04d}']
        if tuple(value.shape) != tuple(v.shape):
            raise CheckpointError(f'{folder}: optimizer variable {v.path} has shape {value.shape}, '
                               f'expected {tuple(v.shape)}')
        v.assign(value)
    return state


def clean_partial_checkpoints(out_dir):
    root = os.path.join(out_dir, CHECKPOINTS)
    if os.path.isdir(root):
        for d in os.listdir(root):
            if d.endswith('.partial'):
                shutil.rmtree(os.path.join(root, d), ignore_errors=True)


# ---------------------------------------------------------------------------------------------
# Callbacks

class TrainingDiverged(RuntimeError):
    pass


class Supervisor(keras.callbacks.Callback):
    """Progress bar, loss log, loss-limit/NaN stop, validation and checkpoints, by global iteration."""

    def __init__(self, out_dir, start, total, cfg, data_state, validate=None, log=print):
        super().__init__()
        self.out_dir = out_dir
        self.start = start
        self.total = total
        self.cfg = cfg
        self.data_state = data_state
        self.validate = validate
        self.log = log
        self.iteration = start
        self.diverged = None
        self.recent = []
        self.loss_log = open(os.path.join(out_dir, 'train_log.csv'), 'a')
        if self.loss_log.tell() == 0:
            self.loss_log.write('iteration,loss,learning_rate,seconds\n')
        self.t0 = time.time()

    def on_train_begin(self, logs=None):
        # on stdout, beside the run's other lines: redrawn on a terminal, a line per PRINT_FREQ in a log
        self.progress = Progress(self.total, 'iteration', stream=sys.stdout, start=self.start,
                                 every=self.cfg.TRAIN.PRINT_FREQ)

    def on_train_batch_end(self, batch, logs=None):
        logs = logs or {}
        self.iteration += 1
        it = self.iteration
        loss = float(logs.get('voxel_loss', logs.get('loss', float('nan'))))
        lr = current_learning_rate(self.model.optimizer)
        self.recent = (self.recent + [loss])[-self.cfg.TRAIN.PRINT_FREQ:]
        self.loss_log.write(f'{it},{loss:.6f},{lr:.3g},{time.time() - self.t0:.1f}\n')
        if not math.isfinite(loss) or loss > self.cfg.TRAIN.LOSS_LIMIT:
            # this loss was computed with the weights after update it - 1: a checkpoint of those is bad
            set_aside = set_aside_checkpoint(self.out_dir, it - 1)
            self.diverged = (f'training stopped at iteration {it}: loss {loss} '
                             + ('is not a number' if not math.isfinite(loss)
                                else f'exceeds TRAIN.LOSS_LIMIT {self.cfg.TRAIN.LOSS_LIMIT}')
                             + (f'; checkpoint {it - 1}, whose weights gave it, moved to {set_aside}'
                                if set_aside else '')
                             + ('; the last good checkpoint is kept' if latest_checkpoint(self.out_dir)
                                else '; no good checkpoint is left: a rerun starts over'))
            self.model.stop_training = True
            return
        # the loss shown: the mean of the last PRINT_FREQ iterations
        self.progress.update(1, note=f'loss {np.mean(self.recent):.4f}  lr {lr:.1e}')
        if self.validate is not None and (it % self.cfg.TRAIN.VALIDATION_FREQ == 0 or it == self.total):
            self.loss_log.flush()
            self.validate(it)
        if it % self.cfg.TRAIN.SAVE_FREQ == 0 or it == self.total:
            self.loss_log.flush()
            bad = first_non_finite(self.model.network)
            if bad:   # a finite loss does not prove this step's update was: never save such weights
                self.diverged = (f'training stopped at iteration {it}: {bad} holds values that are not '
                                 f'finite numbers; nothing was saved at this iteration')
                self.model.stop_training = True
                return
            save_checkpoint(self.out_dir, self.model.network, self.model.optimizer, it,
                            extra=self.data_state(it))

    def on_train_end(self, logs=None):
        self.loss_log.close()
