"""lib/rendering/render.py: the camera model of the renderings, the rasterizer, voxel cubes and previews."""

import numpy as np
import pytest

from lib.rendering.render import (IMAGE_SIZE, LIGHTS, MAX_CAMERA_DIST, Camera, exposed_faces, focal_px, rasterize,
                        render_mesh, render_silhouette, render_voxel_preview, render_voxel_silhouette,
                        shade, triangle_ids, voxel_mesh)

RNG = np.random.default_rng(3)


# ------------------------------------------------------------------------------------------ camera
def test_focal_length_is_blenders_35mm_lens_on_32mm_sensor():
    assert focal_px(137) == pytest.approx(149.84375)
    assert Camera(0, 25, 0.8).focal_length == pytest.approx(35 / 32 * 137)


@pytest.mark.parametrize('azimuth,elevation,ratio', [(0, 25, 0.65), (123.4, 27.5, 0.8), (311, 29.9, 0.95)])
def test_camera_sits_at_distance_ratio_times_1_75_and_origin_projects_to_the_centre(azimuth, elevation, ratio):
    cam = Camera(azimuth, elevation, ratio)
    assert np.linalg.norm(cam.center) == pytest.approx(ratio * MAX_CAMERA_DIST)
    col, row, depth = cam.project(np.zeros(3))
    assert (col, row) == pytest.approx((IMAGE_SIZE / 2, IMAGE_SIZE / 2))   # 68.5: pixel centres at +0.5
    assert depth == pytest.approx(ratio * MAX_CAMERA_DIST)


def test_up_is_up_and_camera_has_no_roll():
    cam = Camera(57, 27, 0.8)
    col, row, _ = cam.project(np.array([0.0, 0.3, 0.0]))
    assert row < IMAGE_SIZE / 2 - 10            # row 0 is the top of the image
    assert col == pytest.approx(IMAGE_SIZE / 2)   # the world's y axis stays vertical in the image


def test_azimuth_and_elevation_place_the_camera():
    # azimuth 0: camera on +x; azimuth 90: camera on +z (C = d (cos e cos a, sin e, cos e sin a))
    assert Camera(0, 0, 1).center == pytest.approx([MAX_CAMERA_DIST, 0, 0])
    assert Camera(90, 0, 1).center == pytest.approx([0, 0, MAX_CAMERA_DIST], abs=1e-12)
    assert Camera(0, 30, 1).center[1] == pytest.approx(MAX_CAMERA_DIST / 2)
    # seen from +z, +x is to the right (right = forward x up)
    col, _, _ = Camera(90, 0, 1).project(np.array([0.2, 0.0, 0.0]))
    assert col > IMAGE_SIZE / 2 + 10


def test_pixel_rays_invert_the_projection():
    cam = Camera(200, 26, 0.7)
    points = RNG.uniform(-0.4, 0.4, size=(20, 3))
    col, row, depth = cam.project(points)
    rays = cam.pixel_rays(col, row)
    direction = points - cam.center
    direction /= np.linalg.norm(direction, axis=1, keepdims=True)
    assert rays == pytest.approx(direction, abs=1e-9)


# ------------------------------------------------------------------------------------------ rasterizer
def _reference_rasterize(cols, rows, depth, height, width):
    """Per-pixel loops over triangles: the nearest closed triangle at each pixel centre."""
    out = np.full((height, width), -1)
    best = np.full((height, width), -np.inf)
    for t in range(len(cols)):
        (x0, x1, x2), (y0, y1, y2) = cols[t], rows[t]
        area = (x1 - x0) * (y2 - y0) - (x2 - x0) * (y1 - y0)
        if abs(area) < 1e-12:
            continue
        for r in range(height):
            for c in range(width):
                x, y = c + 0.5, r + 0.5
                w0 = ((x1 - x) * (y2 - y) - (x2 - x) * (y1 - y)) / area
                w1 = ((x2 - x) * (y0 - y) - (x0 - x) * (y2 - y)) / area
                w2 = 1 - w0 - w1
                if min(w0, w1, w2) < -1e-9:
                    continue
                inv = w0 / depth[t, 0] + w1 / depth[t, 1] + w2 / depth[t, 2]
                if inv > best[r, c]:
                    best[r, c], out[r, c] = inv, t
    return out


def test_rasterizer_matches_a_per_pixel_reference():
    n, size = 12, 24
    cols = RNG.uniform(-4, size + 4, size=(n, 3))
    rows = RNG.uniform(-4, size + 4, size=(n, 3))
    depth = RNG.uniform(1.0, 3.0, size=(n, 3))
    got = rasterize(cols, rows, depth, size, size)
    want = _reference_rasterize(cols, rows, depth, size, size)
    assert (got >= 0).sum() > 100          # the scene covers a good part of the image
    np.testing.assert_array_equal(got, want)


def test_shared_edges_leave_no_cracks():
    # a square made of many thin slanted triangles: every pixel centre inside must be covered
    xs = np.linspace(10.3, 50.7, 9)
    tris = []
    for a, b in zip(xs[:-1], xs[1:]):
        tris += [[(a, 10.2), (b, 10.2), (b, 50.6)], [(a, 10.2), (b, 50.6), (a, 50.6)]]
    tris = np.array(tris)
    ids = rasterize(tris[..., 0], tris[..., 1], np.ones(tris.shape[:2]), 64, 64)
    inside = np.zeros((64, 64), bool)
    inside[10:51, 10:51] = True   # centres 10.5..50.5 lie within [10.3, 50.7] x [10.2, 50.6]
    assert np.all(ids[inside] >= 0)
    assert not np.any(ids[~inside] >= 0)


def test_nearer_triangle_wins_and_ties_are_deterministic():
    tri = np.array([[5.0, 5.0], [30.0, 5.0], [5.0, 30.0]])
    cols = np.stack([tri[:, 0]] * 3)
    rows = np.stack([tri[:, 1]] * 3)
    depth = np.array([[2.0] * 3, [1.0] * 3, [1.0] * 3])   # 1 and 2 tie in front of 0
    ids = rasterize(cols, rows, depth, 32, 32)
    assert set(np.unique(ids)) == {-1, 1}


def test_vertices_behind_the_camera_are_refused():
    with pytest.raises(ValueError, match='behind the camera'):
        rasterize(np.zeros((1, 3)), np.zeros((1, 3)), np.array([[1.0, -1.0, 1.0]]), 8, 8)


# ------------------------------------------------------------------------------------------ voxels
def test_voxel_cubes_are_placed_like_binvox_cb():
    grid = np.zeros((32, 32, 32), bool)
    grid[0, 0, 0] = True
    vertices, faces, _, _ = voxel_mesh(grid, scale=0.8)
    assert vertices.min(axis=0) == pytest.approx([-0.4] * 3)
    assert vertices.max(axis=0) == pytest.approx([-0.4 + 0.8 / 32] * 3)
    assert len(faces) == 12


def test_only_exposed_faces_are_kept():
    grid = np.ones((5, 6, 7), bool)
    idx, axis, sign = exposed_faces(grid)
    assert len(idx) == 2 * (5 * 6 + 6 * 7 + 5 * 7)
    grid[2, 3, 3] = False   # an inner cavity adds its 6 inner faces
    assert len(exposed_faces(grid)[0]) == 2 * (5 * 6 + 6 * 7 + 5 * 7) + 6


def test_voxel_silhouette_matches_the_mesh_silhouette_of_the_same_cube():
    grid = np.zeros((32, 32, 32), bool)
    grid[8:24, 4:20, 10:30] = True
    cam = Camera(40, 27, 0.8)
    # the same box as one closed mesh of 12 triangles
    lo = np.array([8, 4, 10]) / 32 - 0.5
    hi = np.array([24, 20, 30]) / 32 - 0.5
    corners = np.array([[x, y, z] for x in (lo[0], hi[0]) for y in (lo[1], hi[1]) for z in (lo[2], hi[2])])
    quads = [(0, 1, 3, 2), (4, 6, 7, 5), (0, 4, 5, 1), (2, 3, 7, 6), (0, 2, 6, 4), (1, 5, 7, 3)]
    faces = np.array([[a, b, c] for a, b, c, d in quads] + [[a, c, d] for a, b, c, d in quads])
    np.testing.assert_array_equal(render_voxel_silhouette(grid, cam, 1.0), render_silhouette(corners, faces, cam))


# ------------------------------------------------------------------------------------------ shading
def _cube_mesh(half=0.25):
    grid = np.ones((1, 1, 1), bool)
    v, f, axis, sign = voxel_mesh(grid, scale=2 * half)
    return v, f


def test_rendering_is_grey_rgba_with_transparent_background_and_soft_edges():
    v, f = _cube_mesh()
    im = render_mesh(v, f, Camera(30, 27, 0.8))
    assert im.shape == (137, 137, 4) and im.dtype == np.uint8
    alpha = im[..., 3]
    assert alpha[0, 0] == 0 and alpha[68, 68] == 255
    assert np.all(im[alpha == 0, :3] == 0)
    assert np.all(im[..., 0] == im[..., 1]) and np.all(im[..., 1] == im[..., 2])
    partial = np.count_nonzero((alpha > 0) & (alpha < 255))
    assert 0.05 < partial / np.count_nonzero(alpha) < 0.4   # antialiased edges, as in the real ones


def test_lights_are_fixed_in_the_world_like_the_real_renderings():
    # measured on the real chair and bench: +-x faces equal, +z as bright as the top, -z darkest
    normals = np.array([[1, 0, 0], [-1, 0, 0], [0, 1, 0], [0, 0, 1], [0, 0, -1]], float)
    view = -normals   # each face seen head-on
    grey = shade(normals, view, np.full(5, 0.3))
    assert grey[0] == pytest.approx(grey[1])
    assert grey[3] == pytest.approx(grey[2], rel=0.05)
    assert grey[4] < 0.7 * grey[0] < grey[0] < grey[2]
    assert len(LIGHTS) == 2


# ------------------------------------------------------------------------------------------ previews
def _blobby_grid(n_target=3000):
    x, y, z = np.meshgrid(*[np.linspace(-1, 1, 32)] * 3, indexing='ij')
    r = np.sqrt(x ** 2 + (y / 1.3) ** 2 + z ** 2) + 0.15 * np.sin(5 * x) * np.cos(4 * z)
    threshold = np.sort(r.ravel())[n_target]
    return r < threshold


def test_voxel_preview_is_framed():
    # its speed is bench's to measure, not a timed test's (a busy machine fails any wall-clock bound)
    grid = _blobby_grid(3000)
    assert 2900 < grid.sum() < 3100
    im = render_voxel_preview(grid, size=256)
    assert im.shape == (256, 256, 3) and im.dtype == np.uint8
    drawn = np.any(im != 255, axis=2)
    assert drawn[0].sum() == 0 and drawn[-1].sum() == 0 and drawn[:, 0].sum() == 0   # margins
    assert 0.05 < drawn.mean() < 0.6


def test_voxel_preview_thresholds_probabilities_and_draws_empty_grids_blank():
    probs = np.full((32, 32, 32), 0.3)
    assert np.all(render_voxel_preview(probs, size=64) == 255)
    probs[10:20, 10:20, 10:20] = 0.9
    assert np.any(render_voxel_preview(probs, size=64) != 255)
    with pytest.raises(ValueError, match='3D grid'):
        render_voxel_preview(np.zeros((32, 32)))


def test_triangle_ids_supersampling_scales_the_image():
    v, f = _cube_mesh()
    assert triangle_ids(v, f, Camera(10, 26, 0.9), supersample=3).shape == (411, 411)
