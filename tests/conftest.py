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
