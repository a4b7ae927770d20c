"""`./run.sh test` and `./run.sh train` on real photographs: --dataset pascal3d | pix3d.

The dataset's readers (datasets/photos/pascal3d.py, datasets/photos/pix3d.py) list the samples of a split; they are
written once into a ShapeNet-layout view of the dataset (datasets/photos/layout.py) and from there the
ShapeNet commands run unchanged with one view per object: lib.test_net's evaluation and reports
(with the paper's PASCAL 3D+ table beside ours), lib.train_net's training for fine-tuning. As in
every command, the arguments and the split are checked before Keras is loaded.
"""
import datetime
import os

from lib.commands.common import (CommandError, apply_stored_network, backend_ready, command_line,
                            config_from_args, given_path, network_from_cfg, output_folder, parse_list,
                            shown_path)
from lib.data_io import repo_path

DATASETS = ('shapenet', 'pascal3d', 'pix3d')
NAMES = {'pascal3d': 'PASCAL 3D+', 'pix3d': 'Pix3D'}
PHOTO_FLAGS = ('split_file', 'train_split_file', 'categories', 'mask', 'keep_truncated', 'cache')


def add_photo_arguments(parser, command):
    parser.add_argument('--dataset', choices=DATASETS, default='shapenet',
                        help='shapenet (default: ShapeNet renderings), or real photographs: pascal3d (the '
                             "paper's PASCAL 3D+ comparison) or pix3d; --data is then the dataset's folder")
    group = parser.add_argument_group('real photographs (--dataset pascal3d or pix3d)')
    group.add_argument('--split-file', metavar='FILE',
                       help="PASCAL 3D+: Kar et al.'s pascalTrainValIds.mat or a text list of image ids (default: "
                            "the release's VOC 2012 train.txt / val.txt); Pix3D: Mesh R-CNN's pix3d_s1_{train,test}.json "
                            'or a text list of img paths (default for test: every photo)')
    if command == 'test':
        group.add_argument('--train-split-file', metavar='FILE',
                           help='the train split whose mean shape is the baseline (PASCAL 3D+ default: the '
                                "release's train list; Pix3D: none unless given)")
    group.add_argument('--categories', help='comma-separated classes (default: PASCAL 3D+ the paper\'s ten, Pix3D all nine)')
    group.add_argument('--mask', action='store_true', help="Pix3D: replace the background by the dataset's object mask")
    group.add_argument('--keep-truncated', action='store_true',
                       help="keep truncated and occluded objects (the paper's rule leaves them out)")
    group.add_argument('--pix3d-voxels', choices=['mesh', 'mat'], default='mesh',
                       help='Pix3D ground truth: model.obj voxelised (default) or the dataset\'s voxel.mat')
    group.add_argument('--cache', metavar='DIR', help='where the framed photos and voxels go (default DATA/r2n2_cache)')


def _flag_given(argv, flag):
    return any(a == flag or a.startswith(flag + '=') for a in argv)


def check_photo_arguments(args, argv, command):
    """The real-photo flags, checked without loading anything: (dataset root, split file or None)."""
    if args.dataset == 'shapenet':
        given = [f'--{f.replace("_", "-")}' for f in PHOTO_FLAGS if getattr(args, f, None)]
        if given or _flag_given(argv, '--pix3d-voxels'):
            raise CommandError(f'{(given or ["--pix3d-voxels"])[0]} is for real photographs (--dataset pascal3d or pix3d)')
        return None, None
    name = NAMES[args.dataset]
    if not args.data:
        raise CommandError(f'--dataset {args.dataset} needs --data, the {name} folder')
    root = given_path(args.data, '--data')
    if not os.path.isdir(root):
        raise CommandError(f'--data {args.data}: no such folder')
    if args.dataset == 'pascal3d' and (args.mask or _flag_given(argv, '--pix3d-voxels')):
        raise CommandError(f'{"--mask" if args.mask else "--pix3d-voxels"} is for --dataset pix3d (PASCAL 3D+ has no masks here)')
    for flag in ('split_file', 'train_split_file'):
        path = getattr(args, flag, None)
        if path is not None and not os.path.isfile(given_path(path)):
            raise CommandError(f'--{flag.replace("_", "-")} {path}: no such file')
    if command == 'test' and getattr(args, 'baseline_data', None):
        raise CommandError('--baseline-data is for ShapeNet trees; real photographs take --train-split-file')
    if isinstance(args.categories, str):   # checked once (the commands call this before dispatching)
        args.categories = parse_list(args.categories, str, '--categories')
    return root, given_path(args.split_file) if args.split_file else None


def list_samples(args, root, split, split_file, skips):
    """The samples of one split ('train', 'test' or 'all'); a DataError names what is missing."""
    if args.dataset == 'pascal3d':
        from datasets.photos import pascal3d
        return pascal3d.list_samples(root, split, skips, split_file, tuple(args.categories or pascal3d.CLASSES),
                                     keep_truncated=args.keep_truncated)
    from datasets.photos import pix3d
    if split == 'train' and not split_file:
        raise CommandError("Pix3D has no train split of its own: give --split-file (e.g. Mesh R-CNN's pix3d_s1_train.json)")
    return pix3d.list_samples(root, skips, split_file if split != 'all' else None,
                              tuple(args.categories or pix3d.CATEGORIES), args.keep_truncated, args.pix3d_voxels)


def _baseline_samples(args, root, split_file):
    """The train split for the mean-shape baseline, or None (with the reason) when there is none."""
    from datasets.photos.layout import Skips
    from lib.data_io import DataError
    chosen = given_path(args.train_split_file) if args.train_split_file else None
    if chosen is None and split_file and split_file.endswith('.mat'):
        chosen = split_file   # Kar et al.'s file holds both splits
    if args.dataset == 'pix3d' and chosen is None:
        return None, 'no Pix3D train split given (--train-split-file)'
    try:
        samples = list_samples(args, root, 'train', chosen, Skips())
    except (DataError, CommandError) as e:
        return None, str(e)
    return samples or None, 'the train split is empty'


def _view(args, root):
    from datasets.photos.layout import view_root
    cache = given_path(args.cache, '--cache') if args.cache else os.path.join(root, 'r2n2_cache')
    return view_root(cache, args.dataset, args.mask)


def photo_test(args, argv, views, thresholds, weights, out_dir):
    """./run.sh test --dataset pascal3d|pix3d: single-view IoU per class, the reports of a ShapeNet test."""
    from datasets.photos.layout import Skips, build_view, view_config, write_split
    root, split_file = check_photo_arguments(args, argv, 'test')
    if _flag_given(argv, '--views') and views != [1]:
        raise CommandError('real photographs have one view per object: --views 1')
    output_folder(out_dir)
    name = NAMES[args.dataset]
    skips = Skips()
    samples = list_samples(args, root, args.split, split_file, skips)
    if args.limit:
        samples = samples[:args.limit]
    if not samples:
        raise CommandError(f'the {args.split} split of {name} at {root} holds no sample that fits the rule'
                           + (f' ({len(skips)} skipped for bad data)' if len(skips) else ''))
    baseline_samples, no_baseline = _baseline_samples(args, root, split_file)
    backend_ready()   # the arguments and the split are good: now load Keras
    from lib.test_net import evaluate, mean_shape_baseline, write_reports
    from lib.weights import load_weights
    from models import paper_name
    cfg = config_from_args(args)
    stored = apply_stored_network(cfg, weights, args.net)
    view = _view(args, root)
    print(f'{name}: {len(samples)} objects listed in the {args.split} split of {root}')
    pairs = build_view(samples, view, skips, masked=args.mask, workers=cfg.TRAIN.NUM_WORKER)
    if not pairs:
        raise CommandError(f'no {name} sample could be prepared ({len(skips)} skipped for bad data)')
    view_config(cfg, view, write_split(view, args.split, pairs))
    network = network_from_cfg(cfg, args.net)
    load_weights(network, weights)
    print(f'evaluating {network.name} ({weights}) on {len(pairs)} objects, one photo each')
    result = evaluate(network, cfg, pairs, [1], thresholds, batch_size=cfg.TEST.BATCH_SIZE, n_examples=6,
                      progress='objects')
    if not result.models:
        raise CommandError('no object could be evaluated')
    result.skipped = list(skips.items) + result.skipped   # bad data before and during the evaluation
    baseline, baseline_data = None, no_baseline
    if baseline_samples:
        train_pairs = build_view(baseline_samples, view, Skips(), images=False, workers=cfg.TRAIN.NUM_WORKER,
                                 log=lambda text: None)
        baseline = mean_shape_baseline(cfg, train_pairs, result, thresholds)
        baseline_data = f'{name} ({len(train_pairs)} objects)'
    background = "background replaced by 240 outside the dataset's mask" if args.mask else 'background kept'
    meta = {'network': network.name, 'paper_name': paper_name(network.name), 'weights': shown_path(weights),
            'command': command_line('test', argv), 'date': datetime.date.today().isoformat(), 'spec': stored,
            'dataset': f'{name} at {shown_path(root)}', 'dataset_kind': args.dataset, 'dataset_short': name,
            'split': args.split, 'split_file': shown_path(split_file) if split_file else None,
            'views_note': f'one photo per object, framed by its annotated box like a rendering ({background}), '
                          'test preprocessing (centre crop): deterministic',
            'skipped_for_bad_data': len(skips), 'baseline_data': baseline_data, 'baseline': baseline}
    markdown = write_reports(out_dir, result, meta)
    print(markdown)
    if baseline is None:
        print(f'no mean-shape baseline: {baseline_data}')
    if len(skips):
        print(f'{len(skips)} objects skipped for bad data (listed in results.md)')
    print(f'reports written to {out_dir}/ (results.json, results.md, iou_vs_views.png, reconstructions.png)')
    return 0


def photo_train(args, argv, train_and_validate):
    """./run.sh train --dataset pascal3d|pix3d --weights W: fine-tuning on the train split, single view."""
    from datasets.photos.layout import Skips, build_view, view_config, write_split
    root, split_file = check_photo_arguments(args, argv, 'train')
    if not args.weights:
        raise CommandError(f'--dataset {args.dataset} fine-tunes a trained network: give --weights W')
    weights = given_path(args.weights, '--weights')
    if not os.path.isfile(weights):
        raise CommandError(f'weights file not found: {args.weights}')
    name = NAMES[args.dataset]
    skips = Skips()
    samples = list_samples(args, root, 'train', split_file, skips)
    if not samples:
        raise CommandError(f'the train split of {name} at {root} holds no sample that fits the rule')
    validation = []
    if args.dataset == 'pascal3d':   # Kar et al.'s test split; Pix3D's S1 test is not read while training
        validation = list_samples(args, root, 'test', split_file if split_file and split_file.endswith('.mat')
                                  else None, Skips())
    out = given_path(args.out, '--out') or repo_path(f'output/finetune_{args.dataset}')   # as DIR.OUT_PATH
    extra = {'NETWORK.NAME': args.net, 'DIR.OUT_PATH': out, 'CONST.WEIGHTS': weights,
             'TRAIN.NUM_ITERATION': None if args.iter is None else str(args.iter)}
    cfg = config_from_args(args, **extra)
    apply_stored_network(cfg, weights, args.net)
    cfg.CONST.N_VIEWS = 1   # the paper fine-tuned on single images
    output_folder(out)
    backend_ready()   # the arguments and the split are good: now load Keras
    from lib.devices.distribute import make_strategy
    from models import spec_from_config
    spec_from_config(cfg)   # a network no machine can hold is refused before the photos are prepared
    strategy = make_strategy(cfg)
    view = _view(args, root)
    print(f'{name}: {len(samples)} training objects in {root}')
    train_pairs = build_view(samples, view, skips, masked=args.mask, workers=cfg.TRAIN.NUM_WORKER)
    if not train_pairs:
        raise CommandError(f'no {name} training sample could be prepared ({len(skips)} skipped for bad data)')
    step = max(1, len(validation) // max(1, cfg.TEST.NUM_VALIDATION_MODELS))
    validation = validation[::step][:cfg.TEST.NUM_VALIDATION_MODELS]
    val_pairs = build_view(validation, view, Skips(), masked=args.mask, workers=cfg.TRAIN.NUM_WORKER) if validation else []
    view_config(cfg, view, write_split(view, 'train', train_pairs))
    if len(skips):
        print(f'{len(skips)} training objects skipped for bad data')
    train_and_validate(cfg, strategy, train_pairs, val_pairs)
    return 0
