"""Everything one reconstruction writes to its folder; used by `./run.sh demo` and `./run.sh serve` alike.

    prediction.binvox   the voxels at the threshold (ShapeNetVox32's format)
    prediction.obj      the marching-cubes surface at the threshold
    prediction.glb      the same surface for viewers and 3D tools (prediction.ply on request)
    prediction.html     the viewer: turn, zoom, threshold, and the shape after each view (offline)
    prediction.png      a shaded picture of the voxels
    refinement.png      each input view above the shape after that view (the paper's figure)
    turntable.gif       the final shape turning once
"""
import os

import numpy as np

from lib.binvox_rw import Voxels, write_binvox
from lib.data_io import warn
from lib.demo.exports import write_mesh, write_turntable
from lib.demo.viewer import write_viewer
from lib.voxel import occupancy_mesh, write_obj

# the files a quick answer needs (serve) and the pictures the demo adds
CORE = ('binvox', 'obj', 'glb', 'html')
PICTURES = ('png', 'refinement', 'turntable')


def write_reconstruction(out, views, refinement, threshold=0.4, network='3D-R2N2', what=CORE + PICTURES,
                         ply=False):
    """Write the outputs named in `what` (and prediction.ply if ply) of one reconstruction to the
    folder out; returns {kind: path} in the order written.

    views: the network's inputs (V, 127, 127, 3) in [0, 1]; refinement: P(occupied) after each
    view (V, N, N, N); the last one is the prediction.
    """
    occupancy = np.asarray(refinement[-1])
    solid = occupancy >= threshold
    if not solid.any() or solid.all():   # still a result: every file is written (a full grid is a cube)
        warn(f'the prediction is {"empty" if not solid.any() else "entirely occupied"} at threshold '
             f'{threshold:g} (another threshold may show a shape)')
    os.makedirs(out, exist_ok=True)
    path = lambda name: os.path.join(out, name)   # noqa: E731
    written = {}
    if 'binvox' in what:
        written['voxels'] = write_binvox(Voxels(solid, translate=(-0.5, -0.5, -0.5), scale=1.0),
                                         path('prediction.binvox'))
    if solid.any():   # the grid is padded with empty voxels, so a full one gives the cube's surface
        vertices, faces = occupancy_mesh(occupancy, level=threshold)
    else:
        vertices, faces = np.zeros((0, 3)), np.zeros((0, 3), int)   # an empty mesh
    if 'obj' in what:
        written['mesh'] = write_obj(path('prediction.obj'), vertices, faces)
    if 'glb' in what:
        written['glb'] = write_mesh(path('prediction.glb'), vertices, faces)
    if ply:
        written['ply'] = write_mesh(path('prediction.ply'), vertices, faces)
    if 'html' in what:
        written['viewer'] = write_viewer(path('prediction.html'), refinement, views, threshold, network)
    if 'png' in what:
        written['picture'] = save_png(path('prediction.png'), voxel_picture(occupancy, threshold))
    if 'refinement' in what:
        written['refinement'] = plot_refinement(path('refinement.png'), views, refinement, threshold)
    if 'turntable' in what:
        written['turntable'] = write_turntable(path('turntable.gif'), occupancy, threshold)
    return written


def voxel_picture(occupancy, threshold):
    from lib.rendering.render import render_voxel_preview
    return render_voxel_preview(occupancy, threshold=threshold)


def save_png(path, array):
    from PIL import Image
    from lib.output.atomic import atomic_write
    atomic_write(path, lambda tmp: Image.fromarray(array).save(tmp, format='PNG'))
    return path


def plot_refinement(path, views, refinement, threshold):
    """The paper's refinement figure: each input view above the shape after that view."""
    from lib.output.figures import new_figure, save_figure
    n = len(views)
    fig, axes = new_figure(2, n, figsize=(2.0 * n, 4.1), dpi=100, squeeze=False)
    for i in range(n):
        axes[0, i].imshow(views[i])
        axes[0, i].set_title(f'view {i + 1}', fontsize=9)
        axes[1, i].imshow(voxel_picture(refinement[i], threshold))
        axes[1, i].set_title(f'after {i + 1} view{"s" if i else ""}', fontsize=9)
        for ax in axes[:, i]:
            ax.axis('off')
    return save_figure(fig, path)
