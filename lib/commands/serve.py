"""./run.sh serve: the local web app of lib/demo/server.py (parsing here, before Keras loads)."""
import argparse
import os

from lib.commands.common import CommandError, backend_ready, given_path
from lib.commands.networks import SHIPPED_WEIGHTS
from lib.data_io import repo_path


def cmd_serve(argv):
    from lib.demo.server import MAX_VIEWS
    parser = argparse.ArgumentParser(
        prog='./run.sh serve',
        description=f'A local web app: drop 1 to {MAX_VIEWS} photos of one object, see the reconstruction in '
                    'the viewer and download .binvox, .obj and .glb. Listens on 127.0.0.1 only.')
    parser.add_argument('--port', type=int, default=8000, help='port (default 8000; 0 picks a free one)')
    parser.add_argument('--weights', help=f'.weights.h5 (default: the shipped {SHIPPED_WEIGHTS})')
    parser.add_argument('--net', help='network name, for weights files that do not store it')
    parser.add_argument('--threshold', type=float, default=0.4, help='occupancy threshold (default 0.4)')
    args = parser.parse_args(argv)
    if not 0 <= args.port <= 65535:
        raise CommandError(f'--port must be 0..65535, got {args.port}')
    if not 0.0 < args.threshold < 1.0:
        raise CommandError(f'--threshold must be between 0 and 1, got {args.threshold}')
    weights = given_path(args.weights, '--weights') or repo_path(SHIPPED_WEIGHTS)
    if not os.path.isfile(weights):
        raise CommandError(f'weights file not found: {weights}')
    backend_ready()
    from lib.demo.reconstruct import Reconstructor
    from lib.demo.server import serve
    reconstructor = Reconstructor(weights, net=args.net)
    try:
        return serve(reconstructor, port=args.port, threshold=args.threshold)
    except OSError as e:
        raise CommandError(f'cannot listen on 127.0.0.1:{args.port}: {e.strerror or e}') from None
