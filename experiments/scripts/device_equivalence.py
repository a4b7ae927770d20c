"""The same weights, the same inputs, two devices: how far apart are the outputs (issue 18: a GPU's
fp32 outputs equal the CPU's within 1e-4)?

    python experiments/scripts/device_equivalence.py run WEIGHTS DATA OUT.npz [--cpu] [--highest] [--models N]
    python experiments/scripts/device_equivalence.py compare REFERENCE.npz OTHER.npz [...]   # JSON on stdout

`run` computes the fp32 probabilities of the first N test models of DATA (their first 5 renderings,
test preprocessing) on the backend of KERAS_BACKEND, on its GPU, or on the CPU with --cpu.
--highest asks for full fp32 arithmetic in matrix products and convolutions (on a GPU the backends
may use TF32 for fp32 by default: JAX's default matmul precision, cuDNN's allow_tf32 in PyTorch,
TensorFlow's TF32 execution). `compare` prints the largest absolute difference of each file to the
first one, and whether it is within 1e-4.
"""
import argparse
import json
import os
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TOLERANCE = 1e-4


def run(args):
    if args.cpu:   # before any framework is imported
        os.environ['JAX_PLATFORMS'] = 'cpu'
        os.environ['CUDA_VISIBLE_DEVICES'] = ''
    sys.path.insert(0, REPO)
    import numpy as np
    from lib.commands.common import backend_ready
    backend_ready()
    import keras
    backend = keras.backend.backend()
    if args.highest:
        if backend == 'jax':
            import jax
            jax.config.update('jax_default_matmul_precision', 'highest')
        elif backend == 'torch':
            import torch
            torch.backends.cuda.matmul.allow_tf32 = False
            torch.backends.cudnn.allow_tf32 = False
        else:
            import tensorflow as tf
            tf.config.experimental.enable_tensor_float_32_execution(False)
    from lib.config import load_config
    from lib.data_io import category_model_pairs
    from lib.data_process import load_test_views
    from lib.devices.backend import accelerators
    from lib.weights import load_weights, read_spec
    from models import build_network
    stored = read_spec(args.weights) or {}
    cfg = load_config(set_pairs=[('DIR.DATASET_ROOT', os.path.abspath(args.data))])
    pairs = category_model_pairs(cfg, cfg.TEST.DATASET_PORTION)[:args.models]
    images = np.stack([load_test_views(cfg, synset, model, 5) for synset, model in pairs])
    overrides = {k: stored[k] for k in ('width', 'leaky_slope', 'grid_size', 'hidden_channels') if k in stored}
    network = build_network(stored.get('name', 'res_gru_3'), precision='float32', **overrides)
    load_weights(network, args.weights)
    probabilities = np.asarray(keras.ops.convert_to_numpy(network(images)), np.float64)
    device = ', '.join(accelerators(backend)) or 'cpu'
    np.savez(args.out, probabilities=probabilities, backend=backend, device=device,
             highest=bool(args.highest), models=np.array([f'{s}/{m}' for s, m in pairs]))
    print(f'{backend} on {device}{" (highest precision)" if args.highest else ""}: {len(pairs)} models -> {args.out}')


def compare(args):
    import numpy as np
    files = [np.load(path) for path in args.files]
    reference = files[0]
    rows = []
    for path, other in zip(args.files[1:], files[1:]):
        if list(other['models']) != list(reference['models']):
            raise SystemExit(f'{path}: other models than {args.files[0]}')
        diff = float(np.abs(other['probabilities'] - reference['probabilities']).max())
        rows.append({'file': os.path.basename(path), 'device': str(other['device']),
                     'highest': bool(other['highest']), 'max_abs_diff': diff, 'within_1e-4': diff <= TOLERANCE})
    print(json.dumps({'reference': {'file': os.path.basename(args.files[0]), 'device': str(reference['device']),
                                    'backend': str(reference['backend'])},
                      'models': len(reference['models']), 'compared': rows}, indent=1))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    sub = parser.add_subparsers(dest='mode', required=True)
    r = sub.add_parser('run')
    r.add_argument('weights')
    r.add_argument('data')
    r.add_argument('out')
    r.add_argument('--cpu', action='store_true', help='compute on the CPU')
    r.add_argument('--highest', action='store_true', help='full fp32 arithmetic (no TF32)')
    r.add_argument('--models', type=int, default=4)
    c = sub.add_parser('compare')
    c.add_argument('files', nargs='+')
    args = parser.parse_args()
    (run if args.mode == 'run' else compare)(args)


if __name__ == '__main__':
    main()
