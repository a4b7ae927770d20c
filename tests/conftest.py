"""Shared fixtures: where the real ShapeNet sample and the golden outputs live."""
import os
import pathlib

import pytest

REPO = pathlib.Path(__file__).resolve().parents[1]
os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')


def _shared_dir():
    return pathlib.Path(os.environ.get('R2N2_SHARED', REPO.parent / 'shared'))


@pytest.fixture(scope='session')
def shared_dir():
    path = _shared_dir()
    if not path.is_dir():
        pytest.skip(f'shared data folder not found at {path} (set R2N2_SHARED)')
    return path


@pytest.fixture(scope='session')
def golden_dir(shared_dir):
    path = shared_dir / 'golden'
    if not path.is_dir():
        pytest.skip(f'golden outputs not found at {path}')
    return path


@pytest.fixture(scope='session')
def shapenet_sample(shared_dir):
    """The three real ShapeNet models (ShapeNetRendering/ and ShapeNetVox32/ under one root)."""
    path = shared_dir / 'data' / 'shapenet-sample'
    if not (path / 'ShapeNetVox32').is_dir() or not (path / 'ShapeNetRendering').is_dir():
        pytest.skip(f'real ShapeNet sample not found at {path}')
    return path


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


@pytest.fixture
def make_dataset_tree(shapenet_sample, tmp_path):
    """Build a small ShapeNet-layout tree from copies of the real sample files.

    make_dataset_tree(models_per_category=4, name='tree') -> root (see build_dataset_tree).
    """
    def build(models_per_category=4, name='tree'):
        return build_dataset_tree(shapenet_sample, tmp_path / name, models_per_category)
    return build
