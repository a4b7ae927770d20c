"""Runs the five networks under the Keras backend named by KERAS_BACKEND (tests/core/test_backends.py
starts it in a subprocess, since the backend is fixed when Keras is imported).

    python tests/backend_probe.py make DIR        # tiny networks' weights, inputs and targets -> DIR,
                                                  # then `run DIR DIR/tensorflow.npz`
    python tests/backend_probe.py run DIR OUT.npz # forward passes and training steps -> OUT.npz

`make` runs once (under TensorFlow); `run` runs under every backend on the same files, so the
outputs can be compared number by number.
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

WIDTH = 0.0625
BATCH, VIEWS = 2, 3
LEARNING_RATE = 1.0   # plain SGD: the update is the gradient itself, so gradients are compared
# What `./run.sh demo` runs (lib.demo.reconstruct) is also compared, on the demo views of the repository.
DEMO_VIEWS = [os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'experiments', 'demo',
                           f'chair_{i:02d}.png') for i in range(3)]


def build(name, literal=False, **view_state):
    """The network at the probe's width; view_state (batch_size, stateful) for the product's network."""
    from lib.bench.theano_form import literal_network
    from models import build_network
    if literal:
        return literal_network(name, width=WIDTH)
    return build_network(name, width=WIDTH, **view_state)


def variants():
    """Other ways a network may be computed from the same weights (forward pass only)."""
    return {'literal': {'literal': True}}


def make(folder):
    import keras
    from lib.weights import save_weights
    from models import NETWORKS
    rng = np.random.default_rng(0)
    np.savez(os.path.join(folder, 'inputs.npz'),
             images=rng.random((BATCH, VIEWS, 127, 127, 3), dtype=np.float32),
             voxels=(rng.random((BATCH, 32, 32, 32)) < 0.3).astype(np.uint8))
    for i, name in enumerate(NETWORKS):
        keras.utils.set_random_seed(i)
        save_weights(build(name), os.path.join(folder, f'{name}.weights.h5'))


def run(folder, out):
    import keras
    from lib.solver import VoxelTrainer
    from lib.weights import load_weights
    from models import NETWORKS
    data = np.load(os.path.join(folder, 'inputs.npz'))
    images, voxels = data['images'], data['voxels']
    results = {}
    for name in NETWORKS:
        network = build(name)
        load_weights(network, os.path.join(folder, f'{name}.weights.h5'))
        trainer = VoxelTrainer(network, weight_decay=5e-5)
        results[f'{name}/probabilities'] = keras.ops.convert_to_numpy(network(images))
        results[f'{name}/logits'] = keras.ops.convert_to_numpy(trainer(images))
        # one training step of VoxelTrainer
        before = [keras.ops.convert_to_numpy(w) for w in network.trainable_weights]
        trainer.compile(optimizer=keras.optimizers.SGD(LEARNING_RATE), jit_compile=False)
        logs = trainer.train_on_batch(images, voxels, return_dict=True)
        after = [keras.ops.convert_to_numpy(w) for w in network.trainable_weights]
        results[f'{name}/loss'] = np.float32(logs['voxel_loss'])
        # the step's change of every weight, in the network's order: LEARNING_RATE * (grad + wd * w)
        results[f'{name}/update'] = np.concatenate([(a - b).ravel() for a, b in zip(after, before)])
        results[f'{name}/paths'] = np.array([w.path for w in network.trainable_weights])
        # the stateful recurrence fed one view at a time (reset between two sequences)
        stateful = build(name, batch_size=BATCH, stateful=True)
        load_weights(stateful, os.path.join(folder, f'{name}.weights.h5'))
        recurrence = stateful.get_layer('recurrence')
        steps = []
        for _ in range(2):
            recurrence.reset_state()
            steps += [keras.ops.convert_to_numpy(stateful(images[:, v:v + 1])) for v in range(VIEWS)]
        results[f'{name}/stateful'] = np.stack(steps)
        for label, variant in variants().items():
            other = build(name, **variant)
            load_weights(other, os.path.join(folder, f'{name}.weights.h5'))
            results[f'{name}/{label}/probabilities'] = keras.ops.convert_to_numpy(other(images))
        print(f'{keras.backend.backend()}: {name} ok', flush=True)
    # the demo's path: a weights file, image files, the shape after each view and view by view
    from lib.demo.reconstruct import Reconstructor
    reconstructor = Reconstructor(os.path.join(folder, 'res_gru_3.weights.h5'))
    results['demo/refine'] = reconstructor.refine(DEMO_VIEWS)
    stream = reconstructor.stream()
    results['demo/stream'] = np.stack([stream.add(view) for view in DEMO_VIEWS])
    # tf.distribute strategies are TensorFlow's: another backend refuses them in one line
    from lib.config import ConfigError, load_config
    from lib.devices.distribute import make_strategy
    try:
        make_strategy(load_config(set_pairs=[('TRAIN.STRATEGY', 'mirrored')]))
        results['strategy_refused'] = np.int32(0)
    except ConfigError:
        results['strategy_refused'] = np.int32(1)
    np.savez(out, backend=keras.backend.backend(), **results)


if __name__ == '__main__':
    os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')
    if sys.argv[1] == 'make':
        make(sys.argv[2])
        run(sys.argv[2], os.path.join(sys.argv[2], 'tensorflow.npz'))
    elif sys.argv[1] == 'run':
        run(sys.argv[2], sys.argv[3])
    else:
        sys.exit(f'unknown mode {sys.argv[1]!r}')
