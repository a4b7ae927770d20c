"""Argument parsing for every ./run.sh command, one small function each.

Each command function takes its argv list and returns an exit code. Expected failures (bad config,
missing or wrong files, bad data) are printed as one line `error: ...` with exit code 1; a usage
error exits 2 (argparse's convention).
"""
import argparse
import errno
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
    from lib.solver import CheckpointError, TrainingDiverged
    from lib.train_net import RunMismatch
    errors = [CommandError, ConfigError, WeightsError, BinvoxError, FileNotFoundError, TrainingDiverged,
              RunMismatch, CheckpointError]
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
    from lib.calibration import CalibrationError
    from datasets.embedded import EmbeddedDatasetError
    errors += [CalibrationError, EmbeddedDatasetError, OSError]   # OSError: a disk, folder or permission
    return tuple(errors)


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


def cmd_check_data(argv):
    from lib.data_process import all_models, check_models
    parser = argparse.ArgumentParser(
        prog='./run.sh check-data',
        description='Decode every voxel file and rendering of a dataset tree (ShapeNet layout); print '
                    'one line per bad model (file: problem) and a summary; exit 1 if any is bad.')
    parser.add_argument('root', help='folder holding ShapeNetRendering/ and ShapeNetVox32/')
    parser.add_argument('--all-problems', action='store_true',
                        help='print every problem of a bad model, not only the first')
    parser.add_argument('--workers', type=int, default=os.cpu_count() or 2, help='decoding threads')
    add_config_args(parser)
    args = parser.parse_args(argv)
    cfg = config_from_args(args)
    cfg.DIR.DATASET_ROOT = os.path.abspath(args.root)
    pairs = all_models(cfg)
    bad = 0
    for (synset, model), problems in check_models(cfg, pairs, args.workers):
        if not problems:
            continue
        bad += 1
        shown = problems if args.all_problems else problems[:1]
        more = len(problems) - len(shown)
        for line in shown:
            print(line + (f' (+{more} more problems in {synset}/{model})' if more else ''))
    categories = len({synset for synset, _ in pairs})
    print(f'check-data: {len(pairs)} models in {categories} categories under {cfg.DIR.DATASET_ROOT}: '
          f'{bad} bad' + ('' if bad else ', all good'))
    return 1 if bad else 0


DEFAULT_TRAIN_CFG = 'experiments/cfgs/cpu_default.yaml'


def _repo_path(path):
    from lib.data_io import repo_path
    return repo_path(path)


def _output_folder(path):
    """path, if it can be an output folder (absent or a folder); a one-line error otherwise."""
    if os.path.exists(path) and not os.path.isdir(path):
        raise CommandError(f'{path} exists and is not a folder; give another output folder (--out)')
    return path


def _given_path(path, flag=None):
    """A path typed on the command line: relative to the caller's folder (None stays None)."""
    if path is not None and not path.strip():   # '' would silently mean the current folder
        raise CommandError(f'{flag or "a path"}: empty path given')
    return None if path is None else os.path.abspath(os.path.expanduser(path))


def _at_least(flag, value, low):
    """A one-line error naming the flag if a given number is below low (None: not given)."""
    if value is not None and value < low:
        raise CommandError(f'{flag} must be at least {low}, got {value}')
    return value


def _network_from_cfg(cfg, net=None):
    from models import build_network, spec_from_config
    if net:
        cfg.NETWORK.NAME = net
    return build_network(spec_from_config(cfg))


def _ensure_dataset(cfg, log=print):
    """The embedded dataset is generated on first use when no ShapeNet root is configured."""
    from lib.data_io import dataset_root
    root = dataset_root(cfg)
    if not cfg.DIR.DATASET_ROOT:
        from datasets.embedded import ensure_embedded_dataset
        ensure_embedded_dataset(cfg, root)
    return root


def _shown_path(path):
    """A path as reports show it: relative to the repository when inside it."""
    from lib.data_io import REPO_ROOT
    path = os.path.abspath(path)
    inside = os.path.commonpath([path, str(REPO_ROOT)]) == str(REPO_ROOT)
    return os.path.relpath(path, REPO_ROOT) if inside else path


def _dataset_meta(cfg):
    from datasets.embedded import MANIFEST
    from lib.data_io import dataset_root
    root = _shown_path(dataset_root(cfg))
    generated = os.path.isfile(os.path.join(dataset_root(cfg), MANIFEST))   # also when given with --data
    if cfg.DIR.DATASET_ROOT and not generated:
        return {'dataset': f'ShapeNet layout at {root}', 'dataset_kind': 'shapenet', 'dataset_short': 'ShapeNet'}
    return {'dataset': f'embedded dataset at {root}', 'dataset_kind': 'embedded', 'dataset_short': 'embedded data'}


def _command_line(name, argv):
    import shlex
    return ' '.join(['./run.sh', name] + [shlex.quote(a) for a in argv])


def cmd_train(argv):
    from lib.data_io import category_model_pairs
    from lib.test_net import evaluate
    from lib.train_net import train
    parser = argparse.ArgumentParser(
        prog='./run.sh train',
        description=f'Train a network. Without --cfg it uses {DEFAULT_TRAIN_CFG} (the embedded dataset, '
                    'generated on first use, and a reduced-width network that trains on a 2-core CPU in '
                    'about an hour); experiments/cfgs/paper.yaml is the paper\'s setting. Rerunning the '
                    'same command resumes from the latest checkpoint in --out.')
    add_config_args(parser)
    parser.add_argument('--net', help='network name (NETWORK.NAME)')
    parser.add_argument('--out', help='output folder (DIR.OUT_PATH)')
    parser.add_argument('--iter', type=int, help='number of iterations (TRAIN.NUM_ITERATION)')
    parser.add_argument('--data', help='dataset root with ShapeNetRendering/ and ShapeNetVox32/ (DIR.DATASET_ROOT)')
    parser.add_argument('--weights', help='start from these .weights.h5 (fine-tuning)')
    args = parser.parse_args(argv)
    if not args.cfg:
        args.cfg = [_repo_path(DEFAULT_TRAIN_CFG)]
    _at_least('--iter', args.iter, 1)
    extra = {'NETWORK.NAME': args.net, 'DIR.OUT_PATH': _given_path(args.out, '--out'),
             'TRAIN.NUM_ITERATION': args.iter, 'DIR.DATASET_ROOT': _given_path(args.data, '--data'),
             'CONST.WEIGHTS': _given_path(args.weights, '--weights')}
    cfg = config_from_args(args, **{k: (str(v) if v is not None else None) for k, v in extra.items()})
    from models import spec_from_config
    spec_from_config(cfg)   # a network no machine can hold is refused before the data is made
    from lib.distribute import make_strategy, scope
    strategy = make_strategy(cfg)   # first: a multi-worker strategy must be made at program start
    _ensure_dataset(cfg)
    import keras
    keras.utils.set_random_seed(cfg.CONST.RNG_SEED)   # the initial weights are part of the run
    with scope(strategy):   # variables made inside are mirrored over the replicas
        network = _network_from_cfg(cfg)
    train_pairs = category_model_pairs(cfg, cfg.TRAIN.DATASET_PORTION)
    test_pairs = category_model_pairs(cfg, cfg.TEST.DATASET_PORTION)
    # validation: an even spread of test models, all N_VIEWS first views, the first threshold
    step = max(1, len(test_pairs) // max(1, cfg.TEST.NUM_VALIDATION_MODELS))
    val_pairs = test_pairs[::step][:cfg.TEST.NUM_VALIDATION_MODELS]
    threshold = cfg.TEST.VOXEL_THRESH[0]

    def validate(iteration):
        result = evaluate(network, cfg, val_pairs, view_counts=[cfg.CONST.N_VIEWS], thresholds=[threshold],
                          batch_size=cfg.TEST.BATCH_SIZE)
        s = result.summary()
        key = f'{cfg.CONST.N_VIEWS}@{threshold:g}'
        return {'loss': s['loss'][str(cfg.CONST.N_VIEWS)], 'iou': s['mean_over_categories'][key],
                'what': f'{len(result.models)} test models, {cfg.CONST.N_VIEWS} views, IoU at {threshold:g}'}

    out_dir = _output_folder(_repo_path(cfg.DIR.OUT_PATH))
    train(cfg, network, train_pairs, out_dir, validate=validate if val_pairs else None,
          initial_weights=_repo_path(cfg.CONST.WEIGHTS) if cfg.CONST.WEIGHTS else None, strategy=strategy)
    return 0


def _parse_list(text, kind, flag):
    try:
        values = [kind(v) for v in text.split(',') if v.strip()]
    except ValueError:
        raise CommandError(f'{flag}: expected a comma-separated list of {kind.__name__}s, got {text!r}') from None
    if not values:
        raise CommandError(f'{flag}: empty list')
    return values


# the models a test runs on: config portions, or a whole (small, real) folder
SPLITS = {'test': lambda cfg: cfg.TEST.DATASET_PORTION, 'train': lambda cfg: cfg.TRAIN.DATASET_PORTION,
          'all': lambda cfg: [0.0, 1.0]}


def _baseline_config(cfg, args):
    """The config of the dataset whose train split gives the mean-shape baseline."""
    import copy
    if args.baseline_data:
        root = _given_path(args.baseline_data)
    elif args.split == 'test':
        return cfg
    else:
        root = ''   # the embedded dataset: what the default network is trained on
    other = copy.deepcopy(cfg)
    other.DIR.DATASET_ROOT = root
    return other


def cmd_test(argv):
    from lib.data_io import category_model_pairs
    from lib.test_net import VIEWS_NOTE, evaluate, mean_shape_baseline, write_reports
    from lib.weights import build_overrides, load_weights, read_spec
    from models import paper_name
    parser = argparse.ArgumentParser(
        prog='./run.sh test',
        description='Evaluate weights on the test split: IoU per category for every number of views and '
                    'threshold, written to results.json, results.md, iou_vs_views.png and reconstructions.png.')
    parser.add_argument('--weights', required=True, help='.weights.h5 to evaluate')
    parser.add_argument('--out', help='report folder (default: next to the weights, test_<name>/; for weights '
                                      'inside experiments/, output/test_<name>/)')
    parser.add_argument('--views', default='1,2,3,4,5', help='numbers of views (default 1,2,3,4,5)')
    parser.add_argument('--thresholds', default='0.2,0.3,0.4,0.5', help='IoU thresholds (default 0.2,0.3,0.4,0.5)')
    parser.add_argument('--net', help='network name (default: the one stored in the weights file)')
    parser.add_argument('--data', help='dataset root (DIR.DATASET_ROOT); default: the embedded dataset')
    parser.add_argument('--limit', type=int, default=0, help='evaluate only the first N test models (0 = all)')
    parser.add_argument('--split', choices=sorted(SPLITS), default='test',
                        help='which models: test (TEST.DATASET_PORTION, default), train '
                             '(TRAIN.DATASET_PORTION) or all (a small real folder evaluated whole)')
    parser.add_argument('--baseline-data', metavar='ROOT',
                        help="dataset whose train split gives the mean-shape baseline (default: the "
                             "evaluated one for --split test, else the embedded dataset)")
    add_config_args(parser)
    args = parser.parse_args(argv)
    views = _parse_list(args.views, int, '--views')
    thresholds = _parse_list(args.thresholds, float, '--thresholds')
    if min(views) < 1:
        raise CommandError('--views: numbers of views start at 1')
    bad = [t for t in thresholds if not 0.0 < t < 1.0]   # nan fails this too
    if bad:
        raise CommandError(f'--thresholds must be between 0 and 1, got {bad[0]:g}')
    # a repeated value used to fail with an IndexError after the whole evaluation
    for flag, values in (('--views', views), ('--thresholds', thresholds)):
        repeated = sorted({v for v in values if values.count(v) > 1})
        if repeated:
            raise CommandError(f'{flag}: {repeated[0]:g} is given twice')
    _at_least('--limit', args.limit, 0)
    given_out = _given_path(args.out, '--out')
    weights = os.path.abspath(args.weights)
    if not os.path.isfile(weights):
        raise CommandError(f'weights file not found: {args.weights}')
    stored = read_spec(weights) or {}
    cfg = config_from_args(args, **{'DIR.DATASET_ROOT': os.path.abspath(args.data) if args.data else None})
    if stored and not args.net:
        # the network's structure comes from the file; the config may not repeat it
        cfg.NETWORK.NAME = stored['name']
        for field, value in build_overrides(stored).items():
            key = field.upper()
            cfg.NETWORK[key] = type(cfg.NETWORK[key])(value)
    _ensure_dataset(cfg)
    network = _network_from_cfg(cfg, args.net)
    load_weights(network, weights)
    pairs = category_model_pairs(cfg, SPLITS[args.split](cfg))
    if args.limit:
        pairs = pairs[:args.limit]
    if not pairs:
        raise CommandError(f'the {args.split} split of {_shown_path(_ensure_dataset(cfg))} holds no model')
    baseline_cfg = _baseline_config(cfg, args)
    out_dir = _output_folder(given_out or _default_test_out(weights))
    print(f'evaluating {network.name} ({weights}) on {len(pairs)} {args.split}-split models; {VIEWS_NOTE}')

    def progress(done, total, seconds):
        end = '\n' if done >= total else ''
        print(f'\r  {done}/{total} models, {seconds:.0f} s', end=end, flush=True)

    result = evaluate(network, cfg, pairs, views, thresholds, batch_size=cfg.TEST.BATCH_SIZE, n_examples=6,
                      progress=progress)
    if not result.models:
        raise CommandError('no test model could be evaluated')
    import datetime
    meta = {'network': network.name, 'paper_name': paper_name(network.name), 'weights': _shown_path(weights),
            'command': _command_line('test', argv), 'date': datetime.date.today().isoformat(),
            'spec': stored, **_dataset_meta(cfg),
            'split': args.split, 'baseline_data': _shown_path(_ensure_dataset(baseline_cfg)),
            'baseline': mean_shape_baseline(cfg, category_model_pairs(baseline_cfg, baseline_cfg.TRAIN.DATASET_PORTION),
                                            result, thresholds, train_cfg=baseline_cfg)}
    markdown = write_reports(out_dir, result, meta)
    print(markdown)
    print(f'reports written to {out_dir}/ (results.json, results.md, iou_vs_views.png, reconstructions.png)')
    return 0


def _default_test_out(weights):
    """test_<name>/ next to the weights, except for the committed ones (keep experiments/ as committed)."""
    name = 'test_' + os.path.basename(weights).split('.')[0]
    experiments = _repo_path('experiments')
    if os.path.commonpath([weights, experiments]) == experiments:
        return _repo_path(os.path.join('output', name))
    return os.path.join(os.path.dirname(weights), name)


SHIPPED_WEIGHTS = 'experiments/results/cpu_default/res_gru_3.weights.h5'


def cmd_demo(argv):
    from lib.binvox_rw import Voxels, write_binvox
    from lib.reconstruct import Reconstructor
    from lib.voxel import occupancy_mesh, write_obj
    parser = argparse.ArgumentParser(
        prog='./run.sh demo',
        description='Reconstruct one object from one or more images of it (any size; RGB, RGBA or grey). '
                    'Writes prediction.binvox, prediction.obj, prediction.png and refinement.png.')
    parser.add_argument('images', nargs='+', help='image files, one view each')
    parser.add_argument('--weights', help=f'.weights.h5 (default: the shipped {SHIPPED_WEIGHTS})')
    parser.add_argument('--net', help='network name, for weights files that do not store it')
    parser.add_argument('--out', help='output folder (default output/demo in the repository)')
    parser.add_argument('--threshold', type=float, default=0.4, help='occupancy threshold (default 0.4)')
    add_config_args(parser)
    args = parser.parse_args(argv)
    if not 0.0 < args.threshold < 1.0:
        raise CommandError(f'--threshold must be between 0 and 1, got {args.threshold}')
    if any(not image.strip() for image in args.images):
        raise CommandError('demo: an image path is empty')
    cfg = config_from_args(args)
    out = _output_folder(_given_path(args.out, '--out') or _repo_path('output/demo'))
    weights = args.weights
    if not weights:
        weights = _repo_path(SHIPPED_WEIGHTS)
        if not os.path.isfile(weights):
            raise CommandError(f'no --weights given and the shipped weights {SHIPPED_WEIGHTS} are missing')
        print(f'using the shipped weights {SHIPPED_WEIGHTS} (trained on the embedded dataset, '
              f'not the paper\'s ShapeNet weights)')
    reconstructor = Reconstructor(weights, net=_demo_network(args, cfg), cfg=cfg)
    views = reconstructor.prepare(args.images)
    refinement = reconstructor.refine(args.images)
    occupancy = refinement[-1]
    solid = occupancy >= args.threshold
    if not solid.any() or solid.all():   # still a result: every file is written (a full grid is a cube)
        from lib.data_io import warn
        warn(f'the prediction is {"empty" if not solid.any() else "entirely occupied"} at threshold '
             f'{args.threshold:g} (another --threshold may show a shape)')
    os.makedirs(out, exist_ok=True)
    written = {}
    n = occupancy.shape[0]
    written['voxels'] = write_binvox(Voxels(solid, translate=(-0.5, -0.5, -0.5), scale=1.0),
                                     os.path.join(out, 'prediction.binvox'))
    if solid.any():   # the grid is padded with empty voxels, so a full one gives the cube's surface
        vertices, faces = occupancy_mesh(occupancy, level=args.threshold)
    else:
        import numpy as np
        vertices, faces = np.zeros((0, 3)), np.zeros((0, 3), int)   # an empty mesh
    written['mesh'] = write_obj(os.path.join(out, 'prediction.obj'), vertices, faces)
    written['picture'] = _save_png(os.path.join(out, 'prediction.png'),
                                   _voxel_picture(occupancy, args.threshold))
    written['refinement'] = _plot_refinement(os.path.join(out, 'refinement.png'), views, refinement,
                                             args.threshold)
    print(f'{reconstructor.name} on {len(args.images)} view(s): {int(solid.sum())} of {n ** 3} voxels occupied '
          f'at threshold {args.threshold:g}')
    for what, path in written.items():
        print(f'  {what:10s} {path}')
    return 0


def _demo_network(args, cfg):
    """The network demo builds: --net, or NETWORK.NAME when a --set or --cfg gave it (honoured like
    --net, so weights of another network are refused naming both); else the one the file stores."""
    from lib.config import get_default_config
    from models import canonical_name
    named = (cfg.NETWORK.NAME != get_default_config().NETWORK.NAME
             or any(key == 'NETWORK.NAME' for key, _ in args.set))
    if not named:
        return args.net
    if args.net and canonical_name(args.net) != canonical_name(cfg.NETWORK.NAME):
        raise CommandError(f'--net {args.net} and NETWORK.NAME {cfg.NETWORK.NAME} name different networks')
    return args.net or cfg.NETWORK.NAME


def _voxel_picture(occupancy, threshold):
    from lib.render import render_voxel_preview
    return render_voxel_preview(occupancy, threshold=threshold)


def _save_png(path, array):
    from PIL import Image
    from lib.weights import atomic_write
    atomic_write(path, lambda tmp: Image.fromarray(array).save(tmp, format='PNG'))
    return path


def _plot_refinement(path, views, refinement, threshold):
    """The paper's refinement figure: each input view above the shape after that view."""
    from lib.figures import new_figure, save_figure
    n = len(views)
    fig, axes = new_figure(2, n, figsize=(2.0 * n, 4.1), dpi=100, squeeze=False)
    for i in range(n):
        axes[0, i].imshow(views[i])
        axes[0, i].set_title(f'view {i + 1}', fontsize=9)
        axes[1, i].imshow(_voxel_picture(refinement[i], threshold))
        axes[1, i].set_title(f'after {i + 1} view{"s" if i else ""}', fontsize=9)
        for ax in axes[:, i]:
            ax.axis('off')
    return save_figure(fig, path)


def cmd_compare(argv):
    from lib.compare import NETWORK_ORDER, run_comparison
    parser = argparse.ArgumentParser(
        prog='./run.sh compare',
        description='Train and test the five networks of Table 1 under one protocol and write '
                    'experiments/results/table1.md, table1.json and table1_views.png. Rerun to resume.')
    parser.add_argument('--protocol', choices=['cpu', 'paper'], default='cpu',
                        help='cpu: embedded dataset, width 0.25, ~2 hours on 2 cores; paper: full networks '
                             'on ShapeNet (--data), 60k iterations, for a GPU')
    parser.add_argument('--seeds', default='0', help='comma-separated seeds (default 0)')
    parser.add_argument('--nets', default=','.join(NETWORK_ORDER), help='networks to run')
    parser.add_argument('--data', help='ShapeNet root (required for --protocol paper)')
    parser.add_argument('--out', help='folder of the runs (default output/compare_<protocol>)')
    parser.add_argument('--dry-run', action='store_true', help='list the runs without making them')
    args = parser.parse_args(argv)
    if args.protocol == 'paper' and not args.data and not args.dry_run:
        raise CommandError('--protocol paper needs the real ShapeNet: --data /path/to/ShapeNet')
    nets = _parse_list(args.nets, str, '--nets')
    from models import canonical_name
    nets = [canonical_name(n) for n in nets]
    seeds = _parse_list(args.seeds, int, '--seeds')
    run_comparison(args.protocol, seeds, nets, _given_path(args.out, '--out') or f'output/compare_{args.protocol}',
                   data=os.path.abspath(args.data) if args.data else None, dry_run=args.dry_run,
                   command=_command_line('compare', argv))
    return 0


def cmd_calibrate(argv):
    from lib.calibration import MIN_MODEL_IOU, calibrate, verdict
    parser = argparse.ArgumentParser(
        prog='./run.sh calibrate',
        description='Check the camera model against a ShapeNet-layout dataset: render each model\'s '
                    'ground-truth voxels (full cubes) at every viewpoint of its rendering_metadata.txt and '
                    'compare the silhouette with the rendering\'s alpha channel. Prints one line per model '
                    '(synset, model, mean and min IoU over its views) and the mean over models; exits 1 if '
                    'a model is below 0.60 or the mean below 0.75.')
    parser.add_argument('root', help='folder holding ShapeNetRendering/ and ShapeNetVox32/')
    parser.add_argument('--per-category', type=int, metavar='N',
                        help='check only the first N models (sorted by id) of each category')
    args = parser.parse_args(argv)
    if args.per_category is not None and args.per_category < 1:
        raise CommandError(f'--per-category must be at least 1, got {args.per_category}')
    results = []
    for r in calibrate(os.path.abspath(args.root), args.per_category):
        results.append(r)
        if r.problem:
            print(f'{r.synset}  {r.model}  error: {r.problem}', flush=True)
        else:
            flag = '' if r.mean >= MIN_MODEL_IOU else f'  BELOW {MIN_MODEL_IOU:.2f}'
            print(f'{r.synset}  {r.model}  mean IoU {r.mean:.3f}  min {r.min:.3f}  '
                  f'({len(r.ious)} views){flag}', flush=True)
    passed, _, text = verdict(results)
    print(text)
    return 0 if passed else 1


def cmd_coverage(argv):
    from datasets.embedded import ensure_embedded_dataset
    from lib.config import CATEGORY_NAMES
    from lib.coverage import write_report
    from lib.data_io import REPO_ROOT
    parser = argparse.ArgumentParser(
        prog='./run.sh coverage',
        description='How far generated data is from real data: for each real model, the best voxel IoU '
                    'against any generated model of its category (and which one), the mean, and the '
                    'colour and brightness statistics of object pixels, real next to generated. Writes '
                    'coverage.md, coverage.json and coverage.png (each real model beside its best match).')
    parser.add_argument('real_root', help='a real ShapeNet-layout folder (ShapeNetVox32/, ShapeNetRendering/)')
    parser.add_argument('generated_root', nargs='?',
                        help='a generated dataset (default: the embedded dataset of the config, made '
                             'on first use)')
    parser.add_argument('--out', metavar='DIR', help='report folder (default output/coverage)')
    add_config_args(parser)
    args = parser.parse_args(argv)
    real_root = _given_path(args.real_root)
    if not os.path.isdir(real_root):
        raise CommandError(f'{args.real_root}: no such folder')
    cfg = config_from_args(args)
    generated_root = _given_path(args.generated_root) or str(ensure_embedded_dataset(cfg))
    out = _given_path(args.out) or os.path.join(REPO_ROOT, 'output', 'coverage')
    text, _ = write_report(out, real_root, generated_root, CATEGORY_NAMES)
    print(text, end='')
    print(f'report: {out}/coverage.md, coverage.json, coverage.png')
    return 0


def cmd_generate_data(argv):
    from datasets.embedded import SYNSETS, generate_dataset
    from lib.data_io import repo_path
    parser = argparse.ArgumentParser(
        prog='./run.sh generate-data',
        description='Make the embedded dataset: procedural objects of the 13 categories in the ShapeNet '
                    'layout (24 renderings and a 32^3 binvox each). Resumes an interrupted run; returns at '
                    'once if the dataset is complete.')
    parser.add_argument('--out', metavar='ROOT', help='dataset folder (DIR.EMBEDDED_ROOT, default data/embedded)')
    parser.add_argument('--per-category', type=int, metavar='N', help='objects per category (EMBEDDED.N_PER_CATEGORY)')
    parser.add_argument('--seed', type=int, help='random seed (EMBEDDED.SEED)')
    parser.add_argument('--workers', type=int, help='processes (EMBEDDED.NUM_WORKERS)')
    parser.add_argument('--version', type=int, help='dataset format version (EMBEDDED.VERSION): 2 coloured '
                                                     '(default), 1 the first grey one')
    add_config_args(parser)
    args = parser.parse_args(argv)
    # the flags first, so their messages name them (the config's check names the keys)
    _at_least('--per-category', args.per_category, 1)
    _at_least('--seed', args.seed, 0)
    _at_least('--workers', args.workers, 1)
    cfg = config_from_args(args, **{'EMBEDDED.N_PER_CATEGORY': args.per_category, 'EMBEDDED.SEED': args.seed,
                                    'EMBEDDED.NUM_WORKERS': args.workers, 'EMBEDDED.VERSION': args.version})
    root = _given_path(args.out, '--out') or repo_path(cfg.DIR.EMBEDDED_ROOT)
    e = cfg.EMBEDDED
    written = generate_dataset(root, e.N_PER_CATEGORY, e.SEED, max(1, e.NUM_WORKERS), version=e.VERSION)
    total = e.N_PER_CATEGORY * len(SYNSETS)
    print(f'embedded dataset v{e.VERSION} in {root}: {total} models ({e.N_PER_CATEGORY} per category, seed {e.SEED}), '
          f'{written} made now' + ('' if written else ' (it was complete)'))
    return 0


# Optional Keras backends, pinned. TensorFlow (requirements.txt) stays the default and the only one
# installed unless asked. torch is the CPU build (+cpu, from PyTorch's CPU index or a local wheel
# folder pip is configured with): PyPI's torch is a multi-gigabyte CUDA build.
BACKEND_PACKAGES = {
    'jax': ['jax==0.10.2', 'jaxlib==0.10.2'],
    'torch': ['torch==2.13.0+cpu'],
}
BACKEND_PIP_ARGS = {
    'torch': ['--extra-index-url', 'https://download.pytorch.org/whl/cpu'],
}


def cmd_setup(argv):
    import subprocess
    parser = argparse.ArgumentParser(
        prog='./run.sh setup',
        description='Install optional Keras backends into .venv (pinned versions; the packages of '
                    'requirements.txt are kept as they are). Run a command on one with '
                    'KERAS_BACKEND=jax or KERAS_BACKEND=torch.')
    parser.add_argument('--backends', required=True, metavar='LIST',
                        help='comma-separated: ' + ', '.join(BACKEND_PACKAGES))
    args = parser.parse_args(argv)
    backends = _parse_list(args.backends, str, '--backends')
    unknown = [b for b in backends if b not in BACKEND_PACKAGES]
    if unknown:
        raise CommandError(f'--backends: unknown backend {unknown[0]!r}; known: {", ".join(BACKEND_PACKAGES)} '
                           f'(tensorflow is always installed)')
    for backend in backends:   # one pip call each: PyTorch's index is asked for torch only
        packages = BACKEND_PACKAGES[backend]
        # requirements.txt as constraints: a backend may not move TensorFlow's numpy, h5py, ...
        command = [sys.executable, '-m', 'pip', 'install', '--disable-pip-version-check', '-q',
                   '-c', _repo_path('requirements.txt'), *BACKEND_PIP_ARGS.get(backend, []), *packages]
        print('installing ' + ' '.join(packages), flush=True)
        if subprocess.run(command).returncode != 0:
            raise CommandError(f'pip could not install {" ".join(packages)}')
    print(f'installed backends: {", ".join(backends)} (use with KERAS_BACKEND=' + '|'.join(backends) + ')')
    return 0


def cmd_bench(argv):
    from lib.benchmark import main as bench_main
    return bench_main(argv)


COMMANDS = {
    'bench': cmd_bench,
    'calibrate': cmd_calibrate,
    'coverage': cmd_coverage,
    'generate-data': cmd_generate_data,
    'summary': cmd_summary,
    'check-data': cmd_check_data,
    'convert': cmd_convert,
    'train': cmd_train,
    'test': cmd_test,
    'demo': cmd_demo,
    'compare': cmd_compare,
    'setup': cmd_setup,
}


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] not in COMMANDS:
        known = ', '.join(sorted(COMMANDS))
        print(f'usage: ./run.sh COMMAND ...  (commands here: {known})', file=sys.stderr)
        return 2
    name, rest = argv[0], argv[1:]
    if name != 'setup':   # setup only runs pip
        import_tensorflow_quietly()
    try:
        return COMMANDS[name](rest)
    except (CommandError,) if name == 'setup' else _expected_errors() as e:   # setup never loads TensorFlow
        print(f'error: {_one_line(e)}', file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print('interrupted', file=sys.stderr)
        return 130


if __name__ == '__main__':
    sys.exit(main())
