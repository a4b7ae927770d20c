"""Training shows shapes, not only numbers: a few validation models' reconstructions in TensorBoard.

At every validation, for each example model (the first validation model of each category, at most
VALIDATION_SHAPES; lib.test_net.evaluate keeps them): an image "input view | prediction | ground truth" (the
project's voxel renderer, at the validation threshold), and the prediction's marching-cubes surface
through TensorBoard's mesh plugin, coloured by P(occupied). Written with tf.summary under the run's
tensorboard/shapes/; nothing is written where TensorFlow is not installed (Keras' own TensorBoard
logs need it too).
"""
import numpy as np

from lib.rendering.render import render_voxel_preview
from lib.voxel import occupancy_mesh

VALIDATION_SHAPES = 4   # example models a validation shows
_writers = {}   # one event file per log folder for the whole run, not one per validation


def shape_strip(view, truth, occupancy, threshold, size=127):
    """(size, 3 * size, 3) uint8: the first input view, the prediction, the ground truth."""
    view = np.asarray(view)
    if view.dtype != np.uint8:
        view = np.round(np.clip(view, 0.0, 1.0) * 255.0).astype(np.uint8)
    if view.shape[:2] != (size, size):
        from PIL import Image
        view = np.asarray(Image.fromarray(view).resize((size, size)))
    prediction = render_voxel_preview(occupancy, size=size, threshold=threshold, supersample=2)
    truth = render_voxel_preview(np.asarray(truth, bool), size=size, supersample=2)
    return np.concatenate([view[..., :3], prediction, truth], axis=1)


def _probability_colours(vertices, occupancy):
    """uint8 RGB per vertex: P(occupied) of the voxel the vertex lies in, from blue (0.4) to yellow (1)."""
    n = occupancy.shape[0]
    index = np.clip(np.floor((vertices + 0.5) * n).astype(int), 0, n - 1)
    p = occupancy[index[:, 0], index[:, 1], index[:, 2]]
    t = np.clip((p - 0.4) / 0.6, 0.0, 1.0)[:, None]
    return np.round((1 - t) * np.array([59, 82, 139]) + t * np.array([253, 231, 37])).astype(np.uint8)


def write_validation_shapes(log_dir, step, examples, threshold=0.4):
    """Write the examples [(synset, model, views, truth, occupancy)] at step; False where TensorFlow
    is missing, else True."""
    try:
        import tensorflow as tf
        from tensorboard.plugins.mesh import summary_v2 as mesh_summary
    except ImportError:
        return False
    writer = _writers.get(log_dir)
    if writer is None:
        writer = _writers[log_dir] = tf.summary.create_file_writer(log_dir)
    with writer.as_default():
        for synset, model, views, truth, occupancy in examples:
            name = f'{synset}/{model}'
            strip = shape_strip(views[0], truth, occupancy, threshold)
            tf.summary.image(f'validation/{name}', strip[None], step=step,
                             description=f'input view | prediction at {threshold:g} | ground truth')
            occupancy = np.asarray(occupancy, np.float32)
            if occupancy.max() < threshold or occupancy.min() > threshold:
                continue   # no surface at this threshold (the image shows it empty)
            vertices, faces = occupancy_mesh(occupancy, level=threshold)
            mesh_summary.mesh(f'validation_mesh/{name}', vertices=vertices[None].astype(np.float32),
                              faces=faces[None].astype(np.int32),
                              colors=_probability_colours(vertices, occupancy)[None], step=step,
                              description=f'prediction at {threshold:g}, coloured by P(occupied)')
    writer.flush()
    return True
