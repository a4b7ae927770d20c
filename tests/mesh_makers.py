"""Small meshes the rendering and real-shape tests write into their model folders."""
import numpy as np
import trimesh


def chair_mesh(back):
    """An L: a seat slab and a backrest on the side `back` (a unit vector), y up."""
    back = np.asarray(back, np.float64)
    seat = trimesh.creation.box(extents=(1.0, 0.1, 1.0))
    extents = np.where(np.abs(back) > 0, 0.1, 1.0)
    extents[1] = 1.0
    rest = trimesh.creation.box(extents=extents)
    rest.apply_translation(back * 0.45 + [0, 0.55, 0])
    return trimesh.util.concatenate([seat, rest])
