"""Ground truth for real photographs: a CAD mesh (.off, .obj) as a solid 32^3 grid in the
ShapeNetVox32 convention, cached as a .binvox file next to the mesh.

The convention (lib/binvox_rw.py, REFERENCE.md) is that of `binvox -d 32 -cb` after the x-z-y ->
x-y-z reorder: the grid is indexed (x, y, z) with y up and the mesh's longest side spans the whole
grid. The real grids centre the cube on the model's origin; a CAD model of another dataset has its
origin anywhere (a car's may be on the ground), so its bounding box is centred instead (the same
grid wherever a ShapeNet model's box is centred on its origin; tests/rendering/test_voxelize.py). A dataset whose meshes use other axes passes a
rotation that takes its coordinates to ShapeNet's (x right, y up, front towards +x: the chairs'
backrests and the airplanes' tails of the real ShapeNetVox32 grids lie at low x).

Solid, whatever the mesh's topology ("watertight-agnostic"): every voxel the surface passes through
is marked, from points sampled on each triangle at most a quarter voxel apart, then every voxel the
outside cannot reach through face-adjacent empty voxels is filled. Holes in the mesh smaller than a
voxel therefore do not leak; a part modelled as a single sheet (a seat, a wing) keeps its marked
voxels. Mesh I/O is trimesh's (it parses the polygon faces, negative indices, groups and material
statements of real .off/.obj files); its own voxelizers are not used because their grids are
aligned to the pitch, not to the mesh's bounding box as `binvox -cb` does.
"""
import os

import numpy as np

from lib.binvox_rw import BinvoxError, Voxels, read_binvox, write_binvox
from lib.data_io import DataError

SAMPLE_SPACING = 0.25   # voxels between points sampled on a triangle
MESH_SUFFIX = '.r2n2_32.binvox'   # cached grids: <mesh stem>.r2n2_32.binvox (never another tool's .binvox)


def read_mesh(path):
    """(vertices float64 (V, 3), faces int64 (F, 3)) of a .off or .obj file; a DataError names it."""
    import trimesh
    if not os.path.isfile(path):
        raise DataError(f'{path}: mesh file missing')
    try:
        mesh = trimesh.load(path, force='mesh', process=False, skip_materials=True)
        vertices = np.asarray(mesh.vertices, np.float64)
        faces = np.asarray(mesh.faces, np.int64)
    except Exception as e:   # trimesh raises whatever its parser meets (ValueError, IndexError, ...)
        words = (str(e).splitlines() or [''])[0]
        words = words if len(words) <= 80 else words[:77] + '...'
        raise DataError(f'{path}: unreadable mesh ({type(e).__name__}: {words})') from None
    if faces.ndim != 2 or len(faces) == 0 or len(vertices) == 0:
        raise DataError(f'{path}: the mesh has no faces')
    if faces.min() < 0 or faces.max() >= len(vertices):
        raise DataError(f'{path}: a face refers to a vertex that does not exist')
    if not np.isfinite(vertices).all():
        raise DataError(f'{path}: a vertex coordinate is not finite')
    return vertices, faces


def to_grid_coordinates(vertices, n=32, cube=None):
    """Vertices in voxel units and the binvox header's (translate, scale).

    cube=None places the mesh as we do for every dataset: its bounding box centred in the grid, its
    longest side spanning it. cube=(centre, side) places the grid explicitly (the real ShapeNetVox32
    grids are centred on the model's origin, which is not always its bounding-box centre; the check
    against them uses this). translate is the bounding-box minimum, scale the grid's side, as in
    binvox's header.
    """
    low, high = vertices.min(axis=0), vertices.max(axis=0)
    if cube is None:
        centre, side = (low + high) / 2.0, float((high - low).max())
    else:
        centre, side = np.asarray(cube[0], np.float64), float(cube[1])
    if not side > 0:
        raise ValueError('the mesh has no extent (all its vertices coincide)')
    return (vertices - centre) / side * n + n / 2.0, tuple(float(v) for v in low), side


def _surface_points(tri, spacing):
    """Points on triangles (T, 3, 3) at most `spacing` apart: a barycentric lattice per triangle."""
    edges = np.linalg.norm(tri - np.roll(tri, 1, axis=1), axis=2).max(axis=1)
    steps = np.maximum(1, np.ceil(edges / spacing)).astype(np.int64)
    points = [tri.reshape(-1, 3)]   # the corners, also of degenerate triangles
    for k in np.unique(steps):
        group = tri[steps == k]
        i, j = np.meshgrid(np.arange(k + 1), np.arange(k + 1), indexing='ij')
        keep = i + j <= k
        a, b = i[keep] / k, j[keep] / k
        weights = np.stack([1 - a - b, a, b], axis=1)            # (P, 3)
        # in chunks, so a mesh of large triangles does not build one huge array
        per = max(1, 2_000_000 // len(weights))
        for start in range(0, len(group), per):
            points.append(np.einsum('pk,tkd->tpd', weights, group[start:start + per]).reshape(-1, 3))
    return np.concatenate(points)


def surface_voxels(points_tri, n=32, spacing=SAMPLE_SPACING):
    """Voxels (bool (n, n, n)) that the triangles (T, 3, 3), in voxel units, pass through."""
    grid = np.zeros((n, n, n), bool)
    if len(points_tri) == 0:
        return grid
    points = _surface_points(points_tri, spacing)
    # a voxel is [k, k+1); the far faces of the bounding box (at exactly n) belong to the last voxel
    index = np.clip(np.floor(points).astype(np.int64), 0, n - 1)
    grid[index[:, 0], index[:, 1], index[:, 2]] = True
    return grid


def fill_interior(surface):
    """The surface voxels plus every voxel the outside cannot reach through face-adjacent empty voxels."""
    from scipy import ndimage
    return ndimage.binary_fill_holes(surface)


def voxelize(vertices, faces, n=32, rotation=None, cube=None):
    """A solid (n, n, n) bool grid (x, y, z, y up) of a mesh; returns (grid, translate, scale).
    rotation (3x3) takes the mesh's coordinates to ShapeNet's first; cube: see to_grid_coordinates."""
    vertices = np.asarray(vertices, np.float64)
    if rotation is not None:
        vertices = vertices @ np.asarray(rotation, np.float64).T
    points, translate, scale = to_grid_coordinates(vertices, n, cube)
    grid = fill_interior(surface_voxels(points[np.asarray(faces)], n))
    return grid, translate, scale


def cached_path(mesh_path):
    stem, _ = os.path.splitext(mesh_path)
    return stem + MESH_SUFFIX


def mesh_voxels(mesh_path, n=32, rotation=None, cache_path=None):
    """The ground-truth grid of a mesh file, voxelised once and cached as <stem>.r2n2_32.binvox next to
    it (written atomically; voxelised again when the mesh is newer than the cache)."""
    cache = cache_path or cached_path(mesh_path)
    try:
        fresh = os.path.getmtime(cache) >= os.path.getmtime(mesh_path)
    except OSError:
        fresh = False
    if fresh:
        try:
            grid = read_binvox(cache).data
            if grid.shape == (n, n, n):
                return grid
        except BinvoxError:
            pass   # a damaged cache is made again
    vertices, faces = read_mesh(mesh_path)
    try:
        grid, translate, scale = voxelize(vertices, faces, n, rotation)
    except ValueError as e:
        raise DataError(f'{mesh_path}: {e}') from None
    write_binvox(Voxels(grid, translate, scale), cache)
    return grid
