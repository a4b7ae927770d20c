"""The entry point of every ./run.sh command: dispatch, and how failures are reported.

The commands live in lib/commands/networks.py (those that build networks) and lib/commands/data.py (data and
set-up), their shared helpers in lib/commands/common.py. Each command function takes its argv list, parses
it before loading anything heavy, and returns an exit code. Expected failures (bad config,
missing or wrong files, bad data) are printed as one line `error: ...` with exit code 1; a usage
error exits 2 (argparse's convention).
"""
import errno
import importlib
import os
import sys

os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')
os.environ.setdefault('COLUMNS', '120')   # Keras summaries are rich tables sized to the terminal


# Exception types that are the user's input, not a bug (one line, exit 1), by module. Only the modules
# already imported are asked: an error can only come from code that ran, and asking costs nothing.
EXPECTED_ERRORS = [
    ('lib.commands.common', 'CommandError'), ('lib.config', 'ConfigError'), ('lib.weights', 'WeightsError'),
    ('lib.binvox_rw', 'BinvoxError'), ('lib.solver', 'CheckpointError'), ('lib.solver', 'TrainingDiverged'),
    ('lib.train_net', 'RunMismatch'), ('lib.output.run_lock', 'RunLocked'), ('models', 'UnknownNetwork'),
    ('lib.data_io', 'DataError'),
    ('lib.rendering.calibration', 'CalibrationError'), ('datasets.embedded.generator', 'EmbeddedDatasetError'),
    ('lib.analysis.compare', 'CompareError'),
    ('lib.rendering.shapes_map', 'ShapesError'),
]


def _expected_errors():
    loaded = [getattr(sys.modules[m], name) for m, name in EXPECTED_ERRORS if m in sys.modules]
    return tuple(loaded) + (FileNotFoundError, OSError)   # OSError: a disk, folder or permission


def _one_line(error):
    """The message of an expected error, on one line; an OS error names its file and says what failed."""
    if isinstance(error, OSError) and error.strerror:   # not our own OSErrors, which carry a sentence
        where = error.filename if error.filename is not None else ''
        also = f' -> {error.filename2}' if getattr(error, 'filename2', None) else ''
        reason = 'no space left on the device' if error.errno == errno.ENOSPC else error.strerror.lower()
        text = f'{where}{also}: {reason}' if where else reason
    else:
        text = str(error) or type(error).__name__
    return ' '.join(line.strip() for line in text.splitlines() if line.strip())


# command -> (module, function); a command's module is imported only when it runs
COMMANDS = {
    'bench': ('lib.commands.bench', 'cmd_bench'),
    'calibrate': ('lib.commands.data', 'cmd_calibrate'),
    'check-data': ('lib.commands.data', 'cmd_check_data'),
    'compare': ('lib.commands.networks', 'cmd_compare'),
    'convert': ('lib.commands.networks', 'cmd_convert'),
    'coverage': ('lib.commands.data', 'cmd_coverage'),
    'demo': ('lib.commands.networks', 'cmd_demo'),
    'generate-data': ('lib.commands.data', 'cmd_generate_data'),
    'get-shapes': ('lib.commands.get_shapes', 'cmd_get_shapes'),
    'render-shapes': ('lib.commands.shapes', 'cmd_render_shapes'),
    'mix-data': ('lib.commands.data', 'cmd_mix_data'),
    'serve': ('lib.commands.serve', 'cmd_serve'),
    'setup': ('lib.commands.data', 'cmd_setup'),
    'summary': ('lib.commands.networks', 'cmd_summary'),
    'test': ('lib.commands.networks', 'cmd_test'),
    'train': ('lib.commands.networks', 'cmd_train'),
}


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] not in COMMANDS:
        known = ', '.join(sorted(COMMANDS))
        print(f'usage: ./run.sh COMMAND ...  (commands here: {known})', file=sys.stderr)
        return 2
    name, rest = argv[0], argv[1:]
    module, function = COMMANDS[name]
    try:
        return getattr(importlib.import_module(module), function)(rest)
    except SystemExit:   # argparse: --help (0) and usage errors (2), already printed
        raise
    except _expected_errors() as e:
        print(f'error: {_one_line(e)}', file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print('interrupted', file=sys.stderr)
        return 130


if __name__ == '__main__':
    sys.exit(main())
