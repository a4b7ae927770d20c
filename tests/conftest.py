"""Shared fixtures: the test data the repository carries (tests/data/, see its README.md)."""
import os
import pathlib

import pytest

REPO = pathlib.Path(__file__).resolve().parents[1]
TEST_DATA = REPO / 'tests' / 'data'
os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')


def _carried(path):
    # These folders are part of the repository: their absence is a broken checkout, not a skip.
    assert path.is_dir(), f'test data missing at {path} (part of the repository; see tests/data/README.md)'
    return path


@pytest.fixture(scope='session')
def golden_dir():
    """Outputs of the original Theano code on a fixed input (tests/data/golden)."""
    return _carried(TEST_DATA / 'golden')


@pytest.fixture(scope='session')
def shapenet_sample():
    """The three real ShapeNet models (ShapeNetRendering/ and ShapeNetVox32/ under one root)."""
    return _carried(TEST_DATA / 'shapenet-sample')


def build_dataset_tree(shapenet_sample, root, models_per_category=4):
    """A small ShapeNet-layout tree at root: each real model of the sample copied under the ids
    m000, m001, ... of its own category (copies, not links, so a test may corrupt them)."""
    import shutil
    for kind in ('ShapeNetRendering', 'ShapeNetVox32'):
        for category in sorted((shapenet_sample / kind).iterdir()):
            (real_model,) = [p for p in category.iterdir() if p.is_dir()]
            for i in range(models_per_category):
                for src in real_model.rglob('*'):
                    if src.is_file():
                        dst = root / kind / category.name / f'm{i:03d}' / src.relative_to(real_model)
                        dst.parent.mkdir(parents=True, exist_ok=True)
                        shutil.copyfile(src, dst)
    return root


def cli_in_one_process(cases, timeout=300):
    """[(exit code, stderr)] of the CLI's main() (what ./run.sh runs) on each argument list of cases, all
    in one Python process, so TensorFlow starts once for all of them (for error cases: each returns)."""
    import subprocess
    import sys
    end = '--- end of case'
    script = ('import sys\nfrom lib.commands.cli import main\n'
              f'for args in {[[str(a) for a in case] for case in cases]!r}:\n'
              '    code = main(args)\n'
              f'    print("exit code", code, flush=True)\n    print({end!r}, file=sys.stderr, flush=True)\n')
    done = subprocess.run([sys.executable, '-c', script], cwd=REPO, capture_output=True, text=True,
                          timeout=timeout)
    codes = [int(line.split()[-1]) for line in done.stdout.splitlines() if line.startswith('exit code ')]
    errors = done.stderr.split(end + '\n')
    assert len(codes) == len(cases) and len(errors) == len(cases) + 1, done.stdout + done.stderr
    return list(zip(codes, errors))


@pytest.fixture(scope='session')
def embedded_one_per_category(tmp_path_factory):
    """Model 0 of each of the 13 categories of the embedded dataset (version 2, seed 0), generated once
    for the session: the generator's, check-data's and the byte tests read it (read only)."""
    from datasets.embedded.generator import generate_dataset
    root = tmp_path_factory.mktemp('embedded') / 'data'
    assert generate_dataset(root, 1, seed=0, workers=1, progress=False) == 13
    return root


@pytest.fixture
def make_dataset_tree(shapenet_sample, tmp_path):
    """Build a small ShapeNet-layout tree from copies of the real sample files.

    make_dataset_tree(models_per_category=4, name='tree') -> root (see build_dataset_tree).
    """
    def build(models_per_category=4, name='tree'):
        return build_dataset_tree(shapenet_sample, tmp_path / name, models_per_category)
    return build
