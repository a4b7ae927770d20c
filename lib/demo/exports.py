"""Files to share a reconstruction: its mesh as GLB or PLY (through trimesh) and a turntable GIF.

The mesh is the same marching-cubes surface as prediction.obj (lib.voxel.occupancy_mesh): same
vertices, same faces, y up, in the grid's unit cube. GLB is glTF's one-file form (y up too), which
Blender, Windows' 3D viewer, three.js and <model-viewer> open; PLY is what MeshLab users expect.
The turntable is drawn by the project's own renderer (lib/rendering/render.py), one frame per step
of azimuth at the preview's elevation.
"""
import os

import numpy as np

from lib.output.atomic import atomic_write
from lib.rendering.render import PREVIEW_AZIMUTH, PREVIEW_ELEVATION, render_voxel_preview

MESH_FORMATS = ('glb', 'ply')


def write_mesh(path, vertices, faces):
    """Write the mesh as .glb or .ply (by the file's suffix) atomically; returns path."""
    import trimesh
    kind = os.path.splitext(path)[1].lstrip('.').lower()
    if kind not in MESH_FORMATS:
        raise ValueError(f'write_mesh: {path}: the suffix must be one of {", ".join(MESH_FORMATS)}')
    # process=False: keep every vertex as given (merging would renumber them)
    mesh = trimesh.Trimesh(np.asarray(vertices, np.float64), np.asarray(faces, np.int64), process=False)
    data = mesh.export(file_type=kind)

    def write(tmp):
        with open(tmp, 'wb') as f:
            f.write(data)
    atomic_write(path, write)
    return path


def read_mesh_vertices(path):
    """The vertices of a .glb/.ply/.obj file as trimesh reads them back (every mesh of a scene)."""
    import trimesh
    loaded = trimesh.load(path, process=False)
    if isinstance(loaded, trimesh.Scene):
        loaded = loaded.to_geometry()
    return np.asarray(loaded.vertices)


def turntable_frames(occupancy, threshold=0.4, frames=36, size=200):
    """The shape turning once about its vertical axis: `frames` RGB pictures (size, size, 3)."""
    return [render_voxel_preview(occupancy, size=size, threshold=threshold, supersample=2,
                                 azimuth=PREVIEW_AZIMUTH + 360.0 * i / frames, elevation=PREVIEW_ELEVATION)
            for i in range(frames)]


def write_turntable(path, occupancy, threshold=0.4, frames=36, size=200, seconds=4.0):
    """turntable.gif: one turn in `seconds`, looping forever; returns path."""
    from PIL import Image
    pictures = [Image.fromarray(f) for f in turntable_frames(occupancy, threshold, frames, size)]
    # one palette for all frames (taken from a strip of a few of them): the colours do not flicker
    sample = pictures[::max(1, frames // 6)]
    strip = Image.new('RGB', (size, size * len(sample)))
    for i, picture in enumerate(sample):
        strip.paste(picture, (0, size * i))
    palette = strip.quantize(colors=255, method=Image.Quantize.MEDIANCUT)
    indexed = [p.quantize(palette=palette, dither=Image.Dither.NONE) for p in pictures]

    def write(tmp):
        indexed[0].save(tmp, format='GIF', save_all=True, append_images=indexed[1:],
                        duration=round(1000 * seconds / frames), loop=0, disposal=1)
    atomic_write(path, write)
    return path
