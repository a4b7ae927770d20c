"""What every ./run.sh command shares: the one-line error type, config flags, paths typed on the
command line, and the late, quiet import of TensorFlow (after the arguments are parsed, so --help and
usage errors answer at once)."""
import os

from lib.devices.backend import backend_ready, import_tensorflow_quietly   # noqa: F401 (the commands import them from here)


class CommandError(Exception):
    """An expected failure, reported as one line."""


def add_config_args(parser):
    parser.add_argument('--cfg', action='append', default=[], metavar='FILE',
                        help='YAML config file merged over the defaults (repeatable)')
    parser.add_argument('--set', action='append', nargs=2, default=[], metavar=('KEY', 'VALUE'),
                        help='set one config key, e.g. --set CONST.BATCH_SIZE 8 (repeatable)')


def config_from_args(args, **extra_pairs):
    """The config tree of a command: defaults, --cfg files, --set pairs, then command flags."""
    from lib.config import load_config
    pairs = list(args.set) + [(k, v) for k, v in extra_pairs.items() if v is not None]
    return load_config(args.cfg, pairs)

def output_folder(path):
    """path, if it can be an output folder (absent or a folder); a one-line error otherwise."""
    if os.path.exists(path) and not os.path.isdir(path):
        raise CommandError(f'{path} exists and is not a folder; give another output folder (--out)')
    return path


def given_path(path, flag=None):
    """A path typed on the command line: relative to the caller's folder (None stays None)."""
    if path is not None and not path.strip():   # '' would silently mean the current folder
        raise CommandError(f'{flag or "a path"}: empty path given')
    return None if path is None else os.path.abspath(os.path.expanduser(path))


def at_least(flag, value, low):
    """A one-line error naming the flag if a given number is below low (None: not given)."""
    if value is not None and value < low:
        raise CommandError(f'{flag} must be at least {low}, got {value}')
    return value


def network_from_cfg(cfg, net=None):
    from models import build_network, spec_from_config
    if net:
        cfg.NETWORK.NAME = net
    return build_network(spec_from_config(cfg))


def apply_stored_network(cfg, weights, net=None):
    """The network's structure from the weights file into cfg, unless --net names one; returns the
    stored spec dict ({} for a file that stores none)."""
    from lib.weights import read_spec
    from models import use_stored_network
    stored = read_spec(weights) or {}
    if stored and not net:
        use_stored_network(cfg.NETWORK, stored)
    return stored


def ensure_dataset(cfg, log=print):
    """The embedded dataset is generated on first use when no ShapeNet root is configured."""
    from lib.data_io import dataset_root
    root = dataset_root(cfg)
    if not cfg.DIR.DATASET_ROOT:
        from datasets.embedded.generator import ensure_embedded_dataset
        ensure_embedded_dataset(cfg, root)
    return root


def shown_path(path):
    """A path as reports show it: relative to the repository when inside it."""
    from lib.data_io import REPO_ROOT
    path = os.path.abspath(path)
    inside = os.path.commonpath([path, str(REPO_ROOT)]) == str(REPO_ROOT)
    return os.path.relpath(path, REPO_ROOT) if inside else path


def dataset_meta(cfg):
    from datasets.embedded.generator import MANIFEST
    from lib.data_io import dataset_root
    root = shown_path(dataset_root(cfg))
    generated = os.path.isfile(os.path.join(dataset_root(cfg), MANIFEST))   # also when given with --data
    if cfg.DIR.DATASET_ROOT and not generated:
        return {'dataset': f'ShapeNet layout at {root}', 'dataset_kind': 'shapenet', 'dataset_short': 'ShapeNet'}
    return {'dataset': f'embedded dataset at {root}', 'dataset_kind': 'embedded', 'dataset_short': 'embedded data'}


def command_line(name, argv):
    import shlex
    return ' '.join(['./run.sh', name] + [shlex.quote(a) for a in argv])


def parse_list(text, kind, flag):
    try:
        values = [kind(v) for v in text.split(',') if v.strip()]
    except ValueError:
        raise CommandError(f'{flag}: expected a comma-separated list of {kind.__name__}s, got {text!r}') from None
    if not values:
        raise CommandError(f'{flag}: empty list')
    return values
