"""The commands that build networks: summary, convert, train, test, demo, compare, bench.

Each one parses its arguments before it loads Keras (lib.commands.common.backend_ready), so --help and
usage errors answer without waiting for TensorFlow."""
import argparse
import os

from lib.commands.common import (CommandError, add_config_args, apply_stored_network, at_least, backend_ready,
                            command_line, config_from_args, dataset_meta, ensure_dataset, given_path,
                            network_from_cfg, output_folder, parse_list, shown_path)
from lib.commands.photos import add_photo_arguments, check_photo_arguments, photo_test, photo_train
from lib.data_io import repo_path
from lib.output.run_lock import check_not_locked


DEFAULT_TRAIN_CFG = 'experiments/cfgs/cpu_default.yaml'


def cmd_summary(argv):
    from models import NETWORKS, build_network, canonical_name, paper_name, spec_from_config
    parser = argparse.ArgumentParser(prog='./run.sh summary',
                                     description="Print a network's Keras summary.")
    parser.add_argument('net', help='network name: ' + ', '.join(NETWORKS))
    add_config_args(parser)
    args = parser.parse_args(argv)
    canonical_name(args.net)   # an unknown name and a bad config are quick errors, before Keras loads
    cfg = config_from_args(args)
    backend_ready()
    cfg.NETWORK.NAME = args.net
    spec = spec_from_config(cfg)
    model = build_network(spec)
    print(f'{paper_name(spec.name)}: {spec.describe()}')
    model.summary(expand_nested=True, line_length=110)
    print(f'Total parameters of {spec.name}: {model.count_params():,}')
    return 0


def cmd_convert(argv):
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
    # the file and the output checked before Keras loads (seconds): a bad one is a quick error
    from lib.output.atomic import check_writable
    from lib.weights import read_original_file
    arrays = read_original_file(args.original)
    check_writable(args.output)
    backend_ready()
    from lib.weights import convert_original, save_weights
    cfg = config_from_args(args)
    cfg.NETWORK.NAME = args.net
    model = build_network(spec_from_config(cfg))
    convert_original(model, arrays)
    save_weights(model, args.output)
    print(f'converted {len(arrays)} arrays ({sum(a.size for a in arrays):,} parameters) of '
          f'{args.original} into {model.name}: {args.output}')
    return 0


def cmd_train(argv):
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
    add_photo_arguments(parser, 'train')
    args = parser.parse_args(argv)
    if not args.cfg:
        args.cfg = [repo_path(DEFAULT_TRAIN_CFG)]
    at_least('--iter', args.iter, 1)
    check_photo_arguments(args, argv, 'train')
    if args.dataset != 'shapenet':
        return photo_train(args, argv, train_and_validate)
    extra = {'NETWORK.NAME': args.net, 'DIR.OUT_PATH': given_path(args.out, '--out'),
             'TRAIN.NUM_ITERATION': args.iter, 'DIR.DATASET_ROOT': given_path(args.data, '--data'),
             'CONST.WEIGHTS': given_path(args.weights, '--weights')}
    cfg = config_from_args(args, **{k: (str(v) if v is not None else None) for k, v in extra.items()})
    # a file in the way, or another run writing the folder: a quick error, not after Keras loads
    out_dir = output_folder(repo_path(cfg.DIR.OUT_PATH))
    if cfg.TRAIN.STRATEGY != 'multi_worker':   # there only the chief locks, and the others share its folder
        check_not_locked(out_dir)
    backend_ready()   # the arguments and the config are good: now load Keras
    from lib.data_io import category_model_pairs
    from models import spec_from_config
    spec_from_config(cfg)   # a network no machine can hold is refused before the data is made
    from lib.devices.distribute import make_strategy
    strategy = make_strategy(cfg)   # first: a multi-worker strategy must be made at program start
    ensure_dataset(cfg)
    train_pairs = category_model_pairs(cfg, cfg.TRAIN.DATASET_PORTION, weighted=True)
    test_pairs = category_model_pairs(cfg, cfg.TEST.DATASET_PORTION)
    train_and_validate(cfg, strategy, train_pairs, test_pairs)
    return 0


def train_and_validate(cfg, strategy, train_pairs, test_pairs):
    """Build the network (seeded, in the strategy's scope) and train it on train_pairs, validating on
    an even spread of test_pairs; shared by ShapeNet training and fine-tuning on photos."""
    import keras
    from lib.devices.distribute import scope
    from lib.tensorboard_shapes import VALIDATION_SHAPES
    from lib.test_net import evaluate
    from lib.train_net import train
    keras.utils.set_random_seed(cfg.CONST.RNG_SEED)   # the initial weights are part of the run
    with scope(strategy):   # variables made inside are mirrored over the replicas
        network = network_from_cfg(cfg)
    # validation: an even spread of test models, all N_VIEWS first views, the first threshold
    step = max(1, len(test_pairs) // max(1, cfg.TEST.NUM_VALIDATION_MODELS))
    val_pairs = test_pairs[::step][:cfg.TEST.NUM_VALIDATION_MODELS]
    threshold = cfg.TEST.VOXEL_THRESH[0]

    def validate(iteration):
        result = evaluate(network, cfg, val_pairs, view_counts=[cfg.CONST.N_VIEWS], thresholds=[threshold],
                          batch_size=cfg.TEST.BATCH_SIZE, n_examples=VALIDATION_SHAPES)
        s = result.summary()
        key = f'{cfg.CONST.N_VIEWS}@{threshold:g}'
        return {'loss': s['loss'][str(cfg.CONST.N_VIEWS)], 'iou': s['mean_over_categories'][key],
                'what': f'{len(result.models)} test models, {cfg.CONST.N_VIEWS} views, IoU at {threshold:g}',
                'examples': result.examples, 'threshold': threshold}   # shapes for TensorBoard

    out_dir = output_folder(repo_path(cfg.DIR.OUT_PATH))
    train(cfg, network, train_pairs, out_dir, validate=validate if val_pairs else None,
          initial_weights=repo_path(cfg.CONST.WEIGHTS) if cfg.CONST.WEIGHTS else None, strategy=strategy)


# the models a test runs on: config portions, or a whole (small, real) folder
SPLITS = {'test': lambda cfg: cfg.TEST.DATASET_PORTION, 'train': lambda cfg: cfg.TRAIN.DATASET_PORTION,
          'all': lambda cfg: [0.0, 1.0]}


def _baseline_config(cfg, args):
    """The config of the dataset whose train split gives the mean-shape baseline."""
    import copy
    if args.baseline_data:
        root = given_path(args.baseline_data)
    elif args.split == 'test':
        return cfg
    else:
        root = ''   # the embedded dataset: what the default network is trained on
    other = copy.deepcopy(cfg)
    other.DIR.DATASET_ROOT = root
    return other


def cmd_test(argv):
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
    add_photo_arguments(parser, 'test')
    args = parser.parse_args(argv)
    views = parse_list(args.views, int, '--views')
    thresholds = parse_list(args.thresholds, float, '--thresholds')
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
    at_least('--limit', args.limit, 0)
    given_out = given_path(args.out, '--out')
    weights = os.path.abspath(args.weights)
    if not os.path.isfile(weights):
        raise CommandError(f'weights file not found: {args.weights}')
    check_photo_arguments(args, argv, 'test')
    if args.dataset != 'shapenet':
        return photo_test(args, argv, views, thresholds, weights,
                          given_out or f'{_default_test_out(weights)}_{args.dataset}')
    backend_ready()   # the arguments are good: now load Keras
    from lib.data_io import category_model_pairs
    from lib.test_net import VIEWS_NOTE, evaluate, mean_shape_baseline, write_reports
    from lib.weights import load_weights
    from models import paper_name
    cfg = config_from_args(args, **{'DIR.DATASET_ROOT': os.path.abspath(args.data) if args.data else None})
    stored = apply_stored_network(cfg, weights, args.net)   # the config may not repeat the structure
    ensure_dataset(cfg)
    network = network_from_cfg(cfg, args.net)
    load_weights(network, weights)
    pairs = category_model_pairs(cfg, SPLITS[args.split](cfg))
    if args.limit:
        pairs = pairs[:args.limit]
    if not pairs:
        raise CommandError(f'the {args.split} split of {shown_path(ensure_dataset(cfg))} holds no model')
    baseline_cfg = _baseline_config(cfg, args)
    out_dir = output_folder(given_out or _default_test_out(weights))
    print(f'evaluating {network.name} ({weights}) on {len(pairs)} {args.split}-split models; {VIEWS_NOTE}')
    result = evaluate(network, cfg, pairs, views, thresholds, batch_size=cfg.TEST.BATCH_SIZE, n_examples=6,
                      progress='models')
    if not result.models:
        raise CommandError('no test model could be evaluated')
    import datetime
    meta = {'network': network.name, 'paper_name': paper_name(network.name), 'weights': shown_path(weights),
            'command': command_line('test', argv), 'date': datetime.date.today().isoformat(),
            'spec': stored, **dataset_meta(cfg),
            'split': args.split, 'baseline_data': shown_path(ensure_dataset(baseline_cfg)),
            'baseline': mean_shape_baseline(cfg, category_model_pairs(baseline_cfg, baseline_cfg.TRAIN.DATASET_PORTION),
                                            result, thresholds, train_cfg=baseline_cfg)}
    markdown = write_reports(out_dir, result, meta)
    print(markdown)
    print(f'reports written to {out_dir}/ (results.json, results.md, iou_vs_views.png, reconstructions.png)')
    return 0


def _default_test_out(weights):
    """test_<name>/ next to the weights, except for the committed ones (keep experiments/ as committed)."""
    name = 'test_' + os.path.basename(weights).split('.')[0]
    experiments = repo_path('experiments')
    if os.path.commonpath([weights, experiments]) == experiments:
        return repo_path(os.path.join('output', name))
    return os.path.join(os.path.dirname(weights), name)


SHIPPED_WEIGHTS = 'experiments/results/cpu_real_w8/res_gru_3.weights.h5'


def cmd_demo(argv):
    parser = argparse.ArgumentParser(
        prog='./run.sh demo',
        description='Reconstruct one object from one or more images of it (any size; RGB, RGBA or grey). '
                    'Writes prediction.binvox, .obj, .glb, prediction.html (a viewer that opens offline: turn, '
                    'zoom, threshold, the shape after each view), prediction.png, refinement.png and turntable.gif.')
    parser.add_argument('images', nargs='+', help='image files, one view each')
    parser.add_argument('--weights', help=f'.weights.h5 (default: the shipped {SHIPPED_WEIGHTS})')
    parser.add_argument('--net', help='network name, for weights files that do not store it')
    parser.add_argument('--out', help='output folder (default output/demo in the repository)')
    parser.add_argument('--threshold', type=float, default=0.4, help='occupancy threshold (default 0.4)')
    parser.add_argument('--ply', action='store_true', help='also write prediction.ply')
    add_config_args(parser)
    args = parser.parse_args(argv)
    if not 0.0 < args.threshold < 1.0:
        raise CommandError(f'--threshold must be between 0 and 1, got {args.threshold}')
    if any(not image.strip() for image in args.images):
        raise CommandError('demo: an image path is empty')
    cfg = config_from_args(args)
    out = output_folder(given_path(args.out, '--out') or repo_path('output/demo'))
    weights = args.weights
    if not weights:
        weights = repo_path(SHIPPED_WEIGHTS)
        if not os.path.isfile(weights):
            raise CommandError(f'no --weights given and the shipped weights {SHIPPED_WEIGHTS} are missing')
        print(f'using the shipped weights {SHIPPED_WEIGHTS} (trained on the embedded dataset, '
              f'not the paper\'s ShapeNet weights)')
    backend_ready()   # the arguments are good: now load Keras
    from lib.demo.reconstruct import Reconstructor, reconstruct_to_folder
    reconstructor = Reconstructor(weights, net=_demo_network(args, cfg), cfg=cfg)
    occupancy, written = reconstruct_to_folder(reconstructor, args.images, out, args.threshold, ply=args.ply)
    solid = occupancy >= args.threshold
    n = occupancy.shape[0]
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


def cmd_compare(argv):
    from lib.analysis.compare import NETWORK_ORDER, PROTOCOLS, run_comparison
    parser = argparse.ArgumentParser(
        prog='./run.sh compare',
        description='Train and test the five networks of Table 1 under one protocol and write '
                    'experiments/results/<table>.md, .json and _views.png (table1 for cpu, table1_cpu2, '
                    'table1_paper). Each finished seed is added to the results; rerun to resume (docs/table1.md).')
    parser.add_argument('--protocol', choices=sorted(PROTOCOLS), default='cpu',
                        help='cpu: embedded dataset v1, width 0.25, fp32, ~2 hours on 2 cores; cpu2: the default '
                             'embedded dataset (or a mix, --data), bf16, ~6 hours for 3 seeds; paper: full '
                             'networks on ShapeNet (--data), 60k iterations, for a GPU')
    parser.add_argument('--seeds', default='0', help='comma-separated seeds (default 0); seeds already in the '
                                                     'results are not run again')
    parser.add_argument('--nets', default=','.join(NETWORK_ORDER), help='networks to run')
    parser.add_argument('--data', help='dataset root: ShapeNet (required for --protocol paper) or a training '
                                       'mix made by ./run.sh mix-data (cpu2)')
    parser.add_argument('--real-eval', metavar='ROOT', help='also test every finished run on this folder of '
                        'real renderings, all of it (e.g. ../shared/data/real-eval): measured, never used to choose')
    parser.add_argument('--out', help='folder of the runs (default output/compare_<protocol>)')
    parser.add_argument('--results', help='folder of the tables (default experiments/results)')
    parser.add_argument('--commit', action='store_true', help='git-commit the three results files as soon as '
                                                              'a seed is added to them')
    parser.add_argument('--dry-run', action='store_true', help='list the runs still to make and the time they '
                                                               'should take here, measured now; make none')
    parser.add_argument('--measure', default='res_gru_3,gru_1',
                        help='with --dry-run: networks whose step time is measured (default res_gru_3,gru_1: '
                             'the slowest and a fastest), "all", or "none"')
    args = parser.parse_args(argv)
    if args.protocol == 'paper' and not args.data and not args.dry_run:
        raise CommandError('--protocol paper needs the real ShapeNet: --data /path/to/ShapeNet')
    from models import canonical_name
    nets = [canonical_name(n) for n in parse_list(args.nets, str, '--nets')]
    seeds = parse_list(args.seeds, int, '--seeds')
    if min(seeds) < 0:
        raise CommandError('--seeds: seeds are whole numbers >= 0')
    measure = {'none': [], 'all': NETWORK_ORDER}.get(args.measure)
    if measure is None:
        measure = [canonical_name(n) for n in parse_list(args.measure, str, '--measure')]
    for flag, root in (('--data', args.data), ('--real-eval', args.real_eval)):
        if root and not os.path.isdir(given_path(root, flag)):
            raise CommandError(f'{flag} {root}: no such folder')
    if args.dry_run and measure:
        backend_ready()   # the dry run measures step times
    run_comparison(args.protocol, seeds, nets, given_path(args.out, '--out') or f'output/compare_{args.protocol}',
                   data=given_path(args.data, '--data'), real_eval=given_path(args.real_eval, '--real-eval'),
                   dry_run=args.dry_run, results_dir=given_path(args.results, '--results'),
                   command=command_line('compare', argv), commit=args.commit, measure=measure)
    return 0
