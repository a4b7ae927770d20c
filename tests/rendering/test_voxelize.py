"""Ground truth from CAD meshes (lib/rendering/voxelize.py): placement, solid fill, caching, bad files, and the
check against the real ShapeNetVox32 grids of tests/data/shapenet-sample."""
import glob
import os

import numpy as np
import pytest

from lib.binvox_rw import read_binvox
from lib.data_io import DataError
from lib.voxel import iou
from lib.rendering.voxelize import cached_path, mesh_voxels, read_mesh, voxelize

# the 8 corners and 12 triangles of an axis-aligned box (outward winding)
_CORNERS = np.array([[x, y, z] for x in (0, 1) for y in (0, 1) for z in (0, 1)], np.float64)
_TRIANGLES = np.array([[0, 1, 3], [0, 3, 2], [4, 6, 7], [4, 7, 5], [0, 4, 5], [0, 5, 1],
                       [2, 3, 7], [2, 7, 6], [0, 2, 6], [0, 6, 4], [1, 5, 7], [1, 7, 3]])


def boxes_mesh(boxes):
    """One mesh of several boxes ((low, high) pairs), overlapping and not merged: not watertight as a
    whole, as CAD models made of parts are not."""
    vertices, faces = [], []
    for low, high in boxes:
        low, high = np.asarray(low, float), np.asarray(high, float)
        faces.append(_TRIANGLES + len(vertices))
        vertices.extend(low + _CORNERS * (high - low))
    return np.array(vertices), np.concatenate(faces)


def write_off(path, vertices, faces):
    with open(path, 'w') as f:
        f.write(f'OFF\n{len(vertices)} {len(faces)} 0\n')
        f.writelines(f'{x:.6f} {y:.6f} {z:.6f}\n' for x, y, z in vertices)
        f.writelines(f'3 {a} {b} {c}\n' for a, b, c in faces)
    return str(path)


def expected_grid(boxes_in_voxels, n=32):
    """The voxels boxes given in voxel units (corners off the voxel boundaries) must occupy."""
    grid = np.zeros((n, n, n), bool)
    for low, high in boxes_in_voxels:
        lo = np.floor(low).astype(int)
        hi = np.ceil(high).astype(int)
        grid[lo[0]:hi[0], lo[1]:hi[1], lo[2]:hi[2]] = True
    return grid


# a chair in voxel units of a 32 grid, already in ShapeNet's axes (x front, y up): seat, four legs,
# backrest at low x; its bounding box is x 4.5..27.5 (23), y 0.0..32.0 (32), z 6.5..25.5 (19)
CHAIR = [((4.5, 14.2, 6.5), (27.5, 17.8, 25.5)),                                   # seat
         ((4.5, 0.0, 6.5), (7.3, 14.5, 9.3)), ((24.7, 0.0, 6.5), (27.5, 14.5, 9.3)),   # legs
         ((4.5, 0.0, 22.7), (7.3, 14.5, 25.5)), ((24.7, 0.0, 22.7), (27.5, 14.5, 25.5)),
         ((4.5, 17.0, 6.5), (7.6, 32.0, 25.5))]                                     # backrest


def test_a_box_fills_its_centred_bounding_box():
    # 2 x 0.9 x 0.45 model units: x spans the grid, y 14.4 voxels (8.8..23.2) and z 7.2 (12.4..19.6)
    vertices, faces = boxes_mesh([((-1.0, 0.0, 3.0), (1.0, 0.9, 3.45))])
    grid, translate, scale = voxelize(vertices, faces)
    expected = np.zeros((32, 32, 32), bool)
    expected[:, 8:24, 12:20] = True
    np.testing.assert_array_equal(grid, expected)
    assert translate == (-1.0, 0.0, 3.0) and scale == 2.0   # binvox's header: bounding-box minimum, side


def test_a_chair_of_overlapping_parts_gives_the_expected_solid_grid():
    vertices, faces = boxes_mesh(CHAIR)
    # any units and offset: the placement depends on the bounding box only
    grid, _, _ = voxelize(vertices * 0.037 + [5.0, -2.0, 1.0], faces)
    np.testing.assert_array_equal(grid, expected_grid(CHAIR))
    assert grid[5, 25, 16] and not grid[20, 25, 16]   # backrest at low x, open above the seat's front


def test_a_rotation_takes_the_datasets_axes_to_shapenets():
    # the same chair with z up and its front towards -y (PASCAL 3D+'s axes): x_s = -y, y_s = z, z_s = -x
    to_shapenet = np.array([[0, -1, 0], [0, 0, 1], [-1, 0, 0]], float)
    vertices, faces = boxes_mesh(CHAIR)
    pascal = vertices @ to_shapenet   # the inverse rotation (orthogonal: its transpose)
    grid, _, _ = voxelize(pascal, faces, rotation=to_shapenet)
    np.testing.assert_array_equal(grid, expected_grid(CHAIR))


def test_holes_smaller_than_a_voxel_do_not_leak_and_open_sheets_stay_thin():
    # a closed box tessellated finely (edges under 0.7 voxel), with a few scattered triangles of its
    # top removed: holes smaller than a voxel
    import trimesh
    box = trimesh.creation.box(extents=(1.0, 0.6, 0.8))
    for _ in range(6):
        box = box.subdivide()
    assert box.edges_unique_length.max() * 32 < 0.7
    top = np.flatnonzero(box.triangles_center[:, 1] > 0.29)[::97][:8]
    faces = np.delete(box.faces, top, axis=0)
    assert not trimesh.Trimesh(box.vertices, faces, process=False).is_watertight
    grid, _, _ = voxelize(box.vertices, faces)
    full, _, _ = voxelize(box.vertices, box.faces)
    np.testing.assert_array_equal(grid, full)
    assert full.sum() == 32 * 20 * 26   # 1 : 0.6 : 0.8 of 32 voxels -> 19.2 -> 20 and 25.6 -> 26, centred
    # one slanted sheet (two triangles, no volume): a one-voxel-thick surface, nothing filled
    sheet = np.array([[0, 0, 0], [1, 0, 0], [1, 1, 1], [0, 1, 1]], float)
    grid, _, _ = voxelize(sheet, np.array([[0, 1, 2], [0, 2, 3]]))
    assert 32 * 32 <= grid.sum() <= 32 * 32 * 3
    assert grid[:, 10, 10].all() and not grid[:, 3, 20].any()


def _shrunk_voxel_cubes(grid, size=0.8):
    """A mesh of the grid's surface voxels, each a cube of side `size` voxels around its centre
    (apart, so the mesh is neither connected nor watertight; the voxeliser must fill the inside)."""
    from lib.rendering.render import exposed_faces
    index = np.unique(exposed_faces(grid)[0], axis=0)
    corners = 0.5 + (_CORNERS - 0.5) * size
    vertices = (index[:, None, :] + corners[None]).reshape(-1, 3)
    faces = (_TRIANGLES[None] + 8 * np.arange(len(index))[:, None, None]).reshape(-1, 3)
    return vertices, faces


def test_real_shapenet_grids_come_back_from_a_mesh_of_their_voxels(shapenet_sample):
    paths = sorted(glob.glob(str(shapenet_sample / 'ShapeNetVox32' / '*' / '*' / 'model.binvox')))
    seen = 0
    for path in paths:
        voxels = read_binvox(path)
        grid = voxels.data
        vertices, faces = _shrunk_voxel_cubes(grid)
        # in the model's units, the grid's cube centred on its origin (the real grids' placement)
        model = vertices * voxels.scale / 32 - voxels.scale / 2
        placed, _, _ = voxelize(model, faces, cube=((0, 0, 0), voxels.scale))
        assert iou(placed, grid) == 1.0, path
        # our placement for other datasets' meshes: the bounding box centred. It is the same grid
        # wherever the occupied voxels are centred in the cube; the real airplane's 11 voxels of
        # height cannot be (its mesh was not centred on its origin): half a voxel off, IoU 0.725
        ours, _, _ = voxelize(model, faces)
        occupied = np.argwhere(grid)
        centred = np.all(occupied.min(0) + occupied.max(0) == 31)
        assert iou(ours, grid) == 1.0 if centred else iou(ours, grid) > 0.7, path
        seen += 1
    assert seen >= 3


def test_mesh_voxels_caches_next_to_the_mesh_and_reads_the_cache(tmp_path):
    vertices, faces = boxes_mesh(CHAIR)
    off = write_off(tmp_path / '01.off', vertices, faces)
    grid = mesh_voxels(off)
    cache = cached_path(off)
    assert cache == str(tmp_path / '01.r2n2_32.binvox') and os.path.isfile(cache)
    np.testing.assert_array_equal(read_binvox(cache).data, grid)
    assert not [p for p in os.listdir(tmp_path) if p.startswith('.')]   # no temporary left
    # the cache is read, not made again: a cache holding other voxels comes back as it is
    from lib.binvox_rw import write_binvox
    write_binvox(~grid, cache)
    np.testing.assert_array_equal(mesh_voxels(off), ~grid)
    # a newer mesh makes it again
    os.utime(off, (os.path.getmtime(cache) + 10,) * 2)
    np.testing.assert_array_equal(mesh_voxels(off), grid)


def test_obj_files_with_polygons_and_materials_are_read(tmp_path):
    obj = tmp_path / 'model.obj'
    obj.write_text('mtllib model.mtl\no part\nv 0 0 0\nv 1 0 0\nv 1 1 0\nv 0 1 0\nusemtl wood\nf 1 2 3 4\n')
    vertices, faces = read_mesh(str(obj))
    assert vertices.shape == (4, 3) and faces.shape == (2, 3)


@pytest.mark.parametrize('content, words', [
    (None, 'mesh file missing'),
    ('OFF\n3 1 0\n0 0 0\n1 0 0\nnot a vertex\n3 0 1 2\n', 'unreadable mesh'),
    ('OFF\n3 1 0\n0 0 0\n1 0 0\n0 1 0\n3 0 1 7\n', 'unreadable mesh'),
    ('OFF\n0 0 0\n', 'no faces'),
])
def test_bad_meshes_are_one_line_errors_naming_the_file(tmp_path, content, words):
    path = tmp_path / 'bad.off'
    if content is not None:
        path.write_text(content)
    with pytest.raises(DataError) as error:
        mesh_voxels(str(path))
    message = str(error.value)
    assert str(path) in message and words in message and '\n' not in message
