"""Validation shapes in TensorBoard: images of a few reconstructions and their meshes."""
import os

import numpy as np
import pytest

from lib.tensorboard_shapes import shape_strip, write_validation_shapes

tf = pytest.importorskip('tensorflow')


def event_tags(folder):
    """{tag: plugin name} of the summaries written under folder."""
    tags = {}
    for root, _, files in os.walk(folder):
        for name in files:
            if 'tfevents' not in name:
                continue
            for event in tf.compat.v1.train.summary_iterator(os.path.join(root, name)):
                for value in event.summary.value:
                    tags[value.tag] = value.metadata.plugin_data.plugin_name or tags.get(value.tag, '')
    return tags


def example(seed):
    rng = np.random.default_rng(seed)
    truth = np.zeros((32, 32, 32), bool)
    truth[8:24, 4:20, 10:22] = True
    occupancy = np.clip(truth * 0.8 + rng.random(truth.shape) * 0.3, 0, 1).astype(np.float32)
    views = rng.random((2, 127, 127, 3)).astype(np.float32)
    return ('03001627', f'm{seed:03d}', views, truth, occupancy)


def test_images_and_meshes_are_written(tmp_path):
    assert write_validation_shapes(str(tmp_path), 4, [example(0), example(1)], threshold=0.4)
    tags = event_tags(tmp_path)
    for model in ('m000', 'm001'):
        assert tags[f'validation/03001627/{model}'] == 'images'
        assert any(t.startswith(f'validation_mesh/03001627/{model}') and p == 'mesh' for t, p in tags.items())
    _, _, views, truth, occupancy = example(0)
    strip = shape_strip(views[0], truth, occupancy, 0.4)
    assert strip.shape == (127, 381, 3) and strip.dtype == np.uint8
    # the prediction and the truth panels show a shape
    assert (strip[:, 127:] < 250).any(axis=2).mean() > 0.05


@pytest.mark.slow   # the training run shared with test_train.py (tests/training_evaluation/conftest.py)
def test_training_writes_validation_shapes(finished_run):
    out, _ = finished_run   # trained with TRAIN.TENSORBOARD on, on 5 models per category
    tags = event_tags(out / 'tensorboard' / 'shapes')
    images = [t for t, p in tags.items() if p == 'images' and t.startswith('validation/')]
    assert len(images) >= 2, tags   # one model per category of the tree
