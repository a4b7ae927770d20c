"""Argument parsing for every ./run.sh command, one small function each.

Each command function takes its argv list and returns an exit code. Expected failures (bad config,
missing or wrong files, bad data) are printed as one line `error: ...` with exit code 1; a usage
error exits 2 (argparse's convention).
"""
import argparse
import os
import sys

os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')
os.environ.setdefault('COLUMNS', '120')   # Keras summaries are rich tables sized to the terminal


def import_tensorflow_quietly():
    """Import TensorFlow with its start-up chatter (absl INFO lines on stderr) hidden.

    The chatter is written by C++ before any log level applies, so stderr is parked in a temporary
    file for the import and replayed only if the import fails.
    """
    import tempfile
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as parked:
        os.dup2(parked.fileno(), 2)
        try:
            import tensorflow
            tensorflow.config.list_physical_devices()   # device probing logs too (cuInit)
        except BaseException:
            os.dup2(saved, 2)
            parked.seek(0)
            sys.stderr.write(parked.read().decode(errors='replace'))
            raise
        finally:
            os.dup2(saved, 2)
            os.close(saved)


class CommandError(Exception):
    """An expected failure, reported as one line."""


def _expected_errors():
    """Exception types that are the user's input, not a bug: one line, exit 1."""
    from lib.binvox_rw import BinvoxError
    from lib.config import ConfigError
    from lib.weights import WeightsError
    errors = [CommandError, ConfigError, WeightsError, BinvoxError, FileNotFoundError]
    try:
        from models import UnknownNetwork
        errors.append(UnknownNetwork)
    except ImportError:
        pass
    try:
        from lib.data_io import DataError
        errors.append(DataError)
    except ImportError:
        pass
    return tuple(errors)


def add_config_args(parser):
    parser.add_argument('--cfg', action='append', default=[], metavar='FILE',
                        help='YAML config file merged over the defaults (repeatable)')
    parser.add_argument('--set', action='append', nargs=2, default=[], metavar=('KEY', 'VALUE'),
                        help='set one config key, e.g. --set TRAIN.BATCH_SIZE 8 (repeatable)')


def config_from_args(args, **extra_pairs):
    """The config tree of a command: defaults, --cfg files, --set pairs, then command flags."""
    from lib.config import load_config
    pairs = list(args.set) + [(k, v) for k, v in extra_pairs.items() if v is not None]
    return load_config(args.cfg, pairs)


def cmd_summary(argv):
    from models import NETWORKS, build_network, paper_name, spec_from_config
    parser = argparse.ArgumentParser(prog='./run.sh summary',
                                     description="Print a network's Keras summary.")
    parser.add_argument('net', help='network name: ' + ', '.join(NETWORKS))
    add_config_args(parser)
    args = parser.parse_args(argv)
    cfg = config_from_args(args)
    cfg.NETWORK.NAME = args.net
    spec = spec_from_config(cfg)
    model = build_network(spec)
    print(f'{paper_name(spec.name)}: {spec.describe()}')
    model.summary(expand_nested=True, line_length=110)
    print(f'Total parameters of {spec.name}: {model.count_params():,}')
    return 0


def cmd_convert(argv):
    from lib.weights import convert_original, read_original_file, save_weights
    from models import NETWORKS, build_network, spec_from_config
    parser = argparse.ArgumentParser(
        prog='./run.sh convert',
        description="Convert the original release's Theano weights (.npy list of arrays) to Keras "
                    "weights (.weights.h5). The released file holds ResidualGRUNet (res_gru_3).")
    parser.add_argument('original', help='the original weights file, e.g. ResidualGRUNet.npy')
    parser.add_argument('output', help='where to write the Keras weights (must end with .weights.h5)')
    parser.add_argument('--net', default='res_gru_3', help='network of the file: ' + ', '.join(NETWORKS))
    add_config_args(parser)
    args = parser.parse_args(argv)
    if not args.output.endswith('.weights.h5'):
        raise CommandError(f'{args.output}: the output name must end with .weights.h5')
    cfg = config_from_args(args)
    cfg.NETWORK.NAME = args.net
    model = build_network(spec_from_config(cfg))
    arrays = read_original_file(args.original)
    convert_original(model, arrays)
    save_weights(model, args.output)
    print(f'converted {len(arrays)} arrays ({sum(a.size for a in arrays):,} parameters) of '
          f'{args.original} into {model.name}: {args.output}')
    return 0


COMMANDS = {
    'summary': cmd_summary,
    'convert': cmd_convert,
}


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] not in COMMANDS:
        known = ', '.join(sorted(COMMANDS))
        print(f'usage: ./run.sh COMMAND ...  (commands here: {known})', file=sys.stderr)
        return 2
    name, rest = argv[0], argv[1:]
    import_tensorflow_quietly()
    try:
        return COMMANDS[name](rest)
    except _expected_errors() as e:
        print(f'error: {e}', file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print('interrupted', file=sys.stderr)
        return 130


if __name__ == '__main__':
    sys.exit(main())
