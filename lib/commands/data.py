"""The commands on data and set-up: check-data, calibrate, coverage, generate-data, setup.

None of them needs a network; check-data loads Keras (its decoder is the training one) only once its
arguments are parsed."""
import argparse
import os
import sys

from lib.commands.common import (CommandError, add_config_args, at_least, config_from_args,
                            given_path, parse_list)
from lib.data_io import repo_path


def cmd_check_data(argv):
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
    from lib.data_process import all_models, check_models   # numpy and Pillow: no Keras to load
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


def cmd_calibrate(argv):
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
    from lib.rendering.calibration import MIN_MODEL_IOU, calibrate, verdict
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
    from datasets.embedded.generator import ensure_embedded_dataset
    from lib.config import CATEGORY_NAMES
    from lib.analysis.coverage import write_report
    from lib.data_io import REPO_ROOT
    real_root = given_path(args.real_root)
    if not os.path.isdir(real_root):
        raise CommandError(f'{args.real_root}: no such folder')
    cfg = config_from_args(args)
    generated_root = given_path(args.generated_root) or str(ensure_embedded_dataset(cfg))
    out = given_path(args.out) or os.path.join(REPO_ROOT, 'output', 'coverage')
    text, _ = write_report(out, real_root, generated_root, CATEGORY_NAMES)
    print(text, end='')
    print(f'report: {out}/coverage.md, coverage.json, coverage.png')
    return 0


def cmd_generate_data(argv):
    parser = argparse.ArgumentParser(
        prog='./run.sh generate-data',
        description='Make the embedded dataset: procedural objects of the 13 categories in the ShapeNet '
                    'layout (24 renderings and a 32^3 binvox each). Resumes an interrupted run; returns at '
                    'once if the dataset is complete.')
    parser.add_argument('--out', metavar='ROOT', help='dataset folder (DIR.EMBEDDED_ROOT, default data/embedded)')
    parser.add_argument('--per-category', type=int, metavar='N',
                        help='objects per category at least (EMBEDDED.N_PER_CATEGORY)')
    parser.add_argument('--shapenet-share', type=float, metavar='F',
                        help="and at least this share of the category's ShapeNet models; 0: N for every "
                             'category (EMBEDDED.SHAPENET_SHARE, default 0.1)')
    parser.add_argument('--seed', type=int, help='random seed (EMBEDDED.SEED)')
    parser.add_argument('--workers', type=int, help='processes (EMBEDDED.NUM_WORKERS)')
    parser.add_argument('--version', type=int, help='dataset format version (EMBEDDED.VERSION): 2 coloured '
                                                     '(default), 1 the first grey one')
    add_config_args(parser)
    args = parser.parse_args(argv)
    from datasets.embedded.generator import category_counts, describe_counts, generate_dataset
    from lib.data_io import repo_path
    # the flags first, so their messages name them (the config's check names the keys)
    at_least('--per-category', args.per_category, 1)
    at_least('--seed', args.seed, 0)
    at_least('--workers', args.workers, 1)
    if args.shapenet_share is not None and not 0 <= args.shapenet_share <= 1:
        raise CommandError(f'--shapenet-share must be between 0 and 1, got {args.shapenet_share:g}')
    cfg = config_from_args(args, **{'EMBEDDED.N_PER_CATEGORY': args.per_category, 'EMBEDDED.SEED': args.seed,
                                    'EMBEDDED.NUM_WORKERS': args.workers, 'EMBEDDED.VERSION': args.version,
                                    'EMBEDDED.SHAPENET_SHARE': args.shapenet_share})
    root = given_path(args.out, '--out') or repo_path(cfg.DIR.EMBEDDED_ROOT)
    e = cfg.EMBEDDED
    written = generate_dataset(root, e.N_PER_CATEGORY, e.SEED, max(1, e.NUM_WORKERS), version=e.VERSION,
                               shapenet_share=e.SHAPENET_SHARE)
    size = describe_counts(category_counts(e.N_PER_CATEGORY, e.SHAPENET_SHARE))
    print(f'embedded dataset v{e.VERSION} in {root}: {size}, seed {e.SEED}; '
          f'{written} made now' + ('' if written else ' (it was complete)'))
    return 0


def cmd_mix_data(argv):
    parser = argparse.ArgumentParser(
        prog='./run.sh mix-data',
        description='Make a training mix: several dataset roots (the embedded dataset, collections made by '
                    'render-shapes) seen as one root of links, each source split on its own, for '
                    '`./run.sh train --data OUT`. A source is ROOT, ROOT:WEIGHT (training sees its models '
                    'WEIGHT times per pass) or NAME=ROOT:WEIGHT.')
    parser.add_argument('sources', nargs='+', metavar='SOURCE', help='[NAME=]ROOT[:WEIGHT]')
    parser.add_argument('--out', required=True, metavar='ROOT', help='the mix folder (replaced if it is a mix)')
    args = parser.parse_args(argv)
    from datasets.mix import make_mix, parse_source
    sources = [parse_source(text) for text in args.sources]
    counts = make_mix(given_path(args.out, '--out'), sources)
    parts = ', '.join(f'{name} {counts[name]} models (weight {weight})' for name, _, weight in sources)
    print(f'mix {args.out}: {parts}')
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


def pinned_version(package):
    """The version requirements.txt pins for a package (e.g. tensorflow -> '2.21.0')."""
    with open(repo_path('requirements.txt')) as f:
        for line in f:
            name, _, version = line.split('#', 1)[0].strip().partition('==')
            if name.strip().lower() == package:
                return version.strip()
    raise CommandError(f'requirements.txt pins no {package} version')


def gpu_packages():
    """The CUDA build of the pinned TensorFlow: its and-cuda extra brings CUDA and cuDNN as pip packages."""
    return [f'tensorflow[and-cuda]=={pinned_version("tensorflow")}']


# What prints the devices TensorFlow sees, run by the Python of .venv once the CUDA build is in.
SHOW_DEVICES = ('import tensorflow as tf; gpus = tf.config.list_physical_devices("GPU"); '
                'print("TensorFlow", tf.__version__, "sees", len(gpus), "GPU(s):", '
                '", ".join(g.name for g in gpus) or "none")')


def cmd_setup(argv):
    import shutil
    import subprocess
    parser = argparse.ArgumentParser(
        prog='./run.sh setup',
        description='Install optional Keras backends (--backends) or the CUDA build of the pinned TensorFlow '
                    '(--gpu) into .venv (pinned versions; the packages of requirements.txt are kept as they '
                    'are). Run a command on another backend with KERAS_BACKEND=jax or KERAS_BACKEND=torch.')
    parser.add_argument('--backends', metavar='LIST', help='comma-separated: ' + ', '.join(BACKEND_PACKAGES))
    parser.add_argument('--gpu', action='store_true',
                        help='install tensorflow[and-cuda] (the pinned version) on a machine with an NVIDIA '
                             'driver, then print the GPUs TensorFlow sees')
    parser.add_argument('--dry-run', action='store_true', help='print the pip commands instead of running them')
    args = parser.parse_args(argv)
    if not args.backends and not args.gpu:
        parser.error('give --backends LIST and/or --gpu')
    installs = []   # (what, packages, extra pip arguments)
    backends = []
    if args.gpu:
        if shutil.which('nvidia-smi') is None:
            raise CommandError('setup --gpu needs an NVIDIA GPU and its driver: nvidia-smi is not on this '
                               'machine\'s PATH (nothing was installed)')
        installs.append(('the CUDA build of TensorFlow', gpu_packages(), []))
    if args.backends:
        backends = parse_list(args.backends, str, '--backends')
        unknown = [b for b in backends if b not in BACKEND_PACKAGES]
        if unknown:
            raise CommandError(f'--backends: unknown backend {unknown[0]!r}; known: {", ".join(BACKEND_PACKAGES)} '
                               f'(tensorflow is always installed)')
        installs += [(backend, BACKEND_PACKAGES[backend], BACKEND_PIP_ARGS.get(backend, [])) for backend in backends]
    for what, packages, pip_args in installs:   # one pip call each: PyTorch's index is asked for torch only
        # requirements.txt as constraints: a backend may not move TensorFlow's numpy, h5py, ...
        command = [sys.executable, '-m', 'pip', 'install', '--disable-pip-version-check', '-q',
                   '-c', repo_path('requirements.txt'), *pip_args, *packages]
        if args.dry_run:
            print(' '.join(command))
            continue
        print(f'installing {what}: ' + ' '.join(packages), flush=True)
        if subprocess.run(command).returncode != 0:
            raise CommandError(f'pip could not install {" ".join(packages)}')
    if args.gpu:
        show = [sys.executable, '-c', SHOW_DEVICES]
        if args.dry_run:
            print(' '.join(show[:2]) + f" '{SHOW_DEVICES}'")
        else:
            result = subprocess.run(show, capture_output=True, text=True,
                                    env={**os.environ, 'TF_CPP_MIN_LOG_LEVEL': '2'})
            lines = result.stdout.strip().splitlines()
            if result.returncode != 0 or not lines:
                tail = (result.stderr.strip().splitlines() or ['no output'])[-1]
                raise CommandError(f'the CUDA build of TensorFlow is installed but does not start: {tail}')
            print(lines[-1])
            if ' 0 GPU(s)' in lines[-1]:
                print('TensorFlow sees no GPU: check that the driver supports the CUDA of this TensorFlow '
                      '(nvidia-smi shows the highest CUDA version it supports)')
    if args.backends and not args.dry_run:
        print(f'installed backends: {", ".join(backends)} (use with KERAS_BACKEND=' + '|'.join(backends) + ')')
    return 0
