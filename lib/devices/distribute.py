"""Training on several devices or machines with tf.distribute (TRAIN.STRATEGY).

  none          one device, no strategy (the default; exactly the single-device code path)
  mirrored      one machine: every GPU, or without GPUs every logical CPU device (one replica each)
  multi_worker  several machines (or processes), each with its own devices, from TF_CONFIG

CONST.BATCH_SIZE stays the global batch: tf.data splits every batch evenly over the replicas, and
the trainer scales the loss so that one step equals the single-device step on the same global batch
(lib/solver.py, VoxelTrainer.compute_loss). Only the chief writes the run's folder; the other
workers write their logs into a temporary folder that is deleted at the end (TensorFlow's
multi-worker guidance). The output folder must be one every worker sees (a shared file system)
for a run to resume.
"""
import contextlib
import json
import os

from lib.config import ConfigError

STRATEGIES = ('none', 'mirrored', 'multi_worker')


def make_strategy(cfg):
    """The tf.distribute strategy TRAIN.STRATEGY asks for, or None for 'none'.

    Call it before anything else touches TensorFlow's runtime: a multi-worker strategy configures
    the collective ops, which is only possible at program start.
    """
    name = cfg.TRAIN.STRATEGY
    if name not in STRATEGIES:
        raise ConfigError(f'config key TRAIN.STRATEGY: expected one of {", ".join(STRATEGIES)}, got {name!r}')
    if name == 'none':
        return None
    import keras
    if keras.backend.backend() != 'tensorflow':
        raise ConfigError(f'TRAIN.STRATEGY {name} is tf.distribute: it needs the TensorFlow backend, '
                          f'not KERAS_BACKEND={keras.backend.backend()}')
    import tensorflow as tf
    if name == 'mirrored':
        devices = tf.config.list_logical_devices('GPU') or tf.config.list_logical_devices('CPU')
        strategy = tf.distribute.MirroredStrategy([d.name for d in devices])
    else:
        if not os.environ.get('TF_CONFIG'):
            raise ConfigError('TRAIN.STRATEGY multi_worker needs the TF_CONFIG environment variable '
                              '(cluster and task of this worker; see docs/gpus-and-backends.md)')
        try:
            task = json.loads(os.environ['TF_CONFIG']).get('task', {})
        except ValueError as e:
            raise ConfigError(f'TF_CONFIG is not valid JSON: {e}') from None
        if not task.get('type'):
            raise ConfigError('TF_CONFIG has no task type (task: {"type": "worker", "index": N})')
        strategy = tf.distribute.MultiWorkerMirroredStrategy()
    check_batch_split(cfg, strategy)
    return strategy


def replicas(strategy):
    return 1 if strategy is None else strategy.num_replicas_in_sync


def check_batch_split(cfg, strategy):
    n = replicas(strategy)
    if cfg.CONST.BATCH_SIZE % n:
        raise ConfigError(f'CONST.BATCH_SIZE {cfg.CONST.BATCH_SIZE} does not split evenly over {n} replicas '
                          f'(TRAIN.STRATEGY {cfg.TRAIN.STRATEGY}); use a multiple of {n}')


def scope(strategy):
    """The strategy's scope (variables made inside are mirrored), or nothing for no strategy."""
    return contextlib.nullcontext() if strategy is None else strategy.scope()


def is_chief(strategy):
    """Whether this process writes the run's folder: always, but on a non-chief worker."""
    return strategy is None or strategy.extended.should_checkpoint


def worker_name(strategy):
    resolver = getattr(strategy, 'cluster_resolver', None)
    if resolver is None or resolver.task_type is None:
        return 'worker'
    return f'{resolver.task_type} {resolver.task_id}'


def distribute_options(dataset, strategy):
    """Shard the batch stream by data: every worker builds the same batches (batch k is a pure
    function of the seed and k) and keeps its own part of each. (Sharding by file does not apply:
    the batches come from a Python generator.)"""
    if strategy is None:
        return dataset
    import tensorflow as tf
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return dataset.with_options(options)


def gather_from_replicas(strategy, value):
    """An integer of every replica (one per device of every worker), e.g. to check that all agree."""
    if strategy is None:   # one device (and any backend: TensorFlow is not imported)
        return [int(value)]
    import tensorflow as tf
    if not isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy) or replicas(strategy) == 1:
        return [int(value)]   # one process: its replicas share everything

    @tf.function   # (strategy.run outside a tf.function warns of its overhead)
    def gather():
        return strategy.gather(strategy.run(lambda: tf.constant([int(value)], tf.int64)), axis=0)
    return [int(v) for v in gather().numpy()]
