"""The project's one rasterizer: pure NumPy, no OpenGL, no GPU, no system packages.

Used for the embedded dataset's renderings, for the calibration silhouettes and for voxel previews.

Camera model of the real ShapeNet renderings (REFERENCE.md, "Camera model of the renderings"): the camera
sits at distance_ratio * 1.75 from the origin at (azimuth, elevation), looks at the origin with y up and
no roll; its focal length is Blender's default 35 mm lens on a 32 mm sensor, so F = 35/32 * 137 px for a
137 px image, with the principal point at the image centre (pixel centres at index + 0.5, row 0 at top).

The rasterizer is vectorised over (triangle, pixel) pairs: each triangle is expanded to its rows and
each row to the exact span of pixel centres inside it, and a z-buffer on 1/depth (affine in screen
space, so exact under perspective) keeps the nearest triangle per pixel. Shading is flat (one normal per
triangle), two-sided, with lights fixed in the world as measured on the real renderings, and
antialiased by supersampling and a tent filter. The rasterizer and the filter make no BLAS call; the
shading does, for (N, 3) @ (3,) products (the diffuse term, textures: shading.py), whose sums a
different BLAS build or CPU kernel could order differently. The embedded dataset is byte-identical
for a seed on one machine and numpy build (the tests pin it); across machines this is not proven.
"""
import dataclasses
import functools

import numpy as np

from lib.rendering.filtering import Samples, downsample
from lib.rendering.hits import HitGeometry

MAX_CAMERA_DIST = 1.75       # distance of the camera at distance ratio 1 (the original's renderer)
LENS_MM, SENSOR_MM = 35.0, 32.0   # Blender's default camera; the metadata's "fov 25" is never applied
IMAGE_SIZE = 137             # side of the ShapeNet renderings


def focal_px(size=IMAGE_SIZE):
    """Focal length in pixels of the renderings' camera for a square image of `size` pixels."""
    return LENS_MM / SENSOR_MM * size


@dataclasses.dataclass(frozen=True)
class Camera:
    """A viewpoint as written in rendering_metadata.txt, plus the image size it renders to."""
    azimuth: float              # degrees
    elevation: float            # degrees
    distance_ratio: float       # of MAX_CAMERA_DIST
    size: int = IMAGE_SIZE
    focal: float = None         # pixels; None = the renderings' 35/32 * size

    @property
    def focal_length(self):
        return focal_px(self.size) if self.focal is None else float(self.focal)

    @property
    def center(self):
        return _view_frame(self.azimuth, self.elevation, self.distance_ratio)[0]

    @property
    def axes(self):
        """Rows: right r, image-up u, forward f (world coordinates), for a camera looking at the origin."""
        return _view_frame(self.azimuth, self.elevation, self.distance_ratio)[1]

    def project(self, points):
        """Pixel coordinates (col, row) as floats and depth along the view axis of (..., 3) points.

        Pixel (row i, col j) covers [j, j+1) x [i, i+1): its centre is (j + 0.5, i + 0.5).
        """
        cam = np.einsum('...j,kj->...k', np.asarray(points, dtype=np.float64) - self.center, self.axes)
        depth = cam[..., 2]
        f, c = self.focal_length, self.size / 2.0
        col = c + f * cam[..., 0] / depth
        row = c - f * cam[..., 1] / depth
        return col, row, depth

    def pixel_rays(self, cols, rows):
        """Unit world directions of the rays through image points (col, row) (floats, centres at +0.5)."""
        f, c = self.focal_length, self.size / 2.0
        r, u, fwd = self.axes
        d = ((np.asarray(cols) - c)[..., None] * r - (np.asarray(rows) - c)[..., None] * u) / f + fwd
        return unit_rows(d)


def unit_rows(d):
    """Rows of a (..., 3) array scaled to unit length: d / np.linalg.norm(d, axis=-1, keepdims=True) bit for
    bit (the same squares summed in the same order), five times faster than the strided reduction."""
    x, y, z = d[..., 0], d[..., 1], d[..., 2]
    return d / np.sqrt(x * x + y * y + z * z)[..., None]


@functools.lru_cache(maxsize=256)
def _view_frame(azimuth, elevation, distance_ratio):
    """(centre, axes) of a camera, read-only and cached: a rendering asks for them several times, and
    np.cross on single vectors costs more than the arithmetic."""
    a, e = np.radians(azimuth), np.radians(elevation)
    d = distance_ratio * MAX_CAMERA_DIST
    c = d * np.array([np.cos(e) * np.cos(a), np.sin(e), np.cos(e) * np.sin(a)])
    forward = -c / np.linalg.norm(c)
    right = _cross3(forward, (0.0, 1.0, 0.0))
    right /= np.linalg.norm(right)
    up = _cross3(right, forward)
    axes = np.stack([right, up, forward])
    c.setflags(write=False)
    axes.setflags(write=False)
    return c, axes


def _cross3(a, b):
    """np.cross of two 3-vectors, its products and differences in its order (the same bits), without
    its array overhead (a camera asks for two per view)."""
    a0, a1, a2 = (float(v) for v in a)
    b0, b1, b2 = (float(v) for v in b)
    return np.array([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0])


# ------------------------------------------------------------------------------------------------
# Triangle rasterization

_MAX_PAIRS = 4_000_000   # (triangle, pixel) pairs per chunk: bounds memory to ~150 MB
_TRI_BITS = 21           # the z-buffer key keeps the triangle index in its low bits


def rasterize(cols, rows, depth, height, width):
    """Index of the nearest triangle at each pixel centre, -1 where none.

    cols, rows, depth: (T, 3) per-vertex screen positions and view depths (all vertices must lie in
    front of the camera). Returns an int64 (height, width) array. Triangles are closed (a pixel centre
    on a shared edge belongs to both, so meshes have no cracks); ties in depth go to the lower triangle
    index, so the result is deterministic.

    Scanline form: each triangle is expanded to its rows, each row to the exact span of pixel centres
    inside the triangle, so thin slanted triangles cost their area, not their bounding box.
    """
    ids = np.full((height, width), -1, dtype=np.int64)
    at_row, at_col, tri = covered_pixels(cols, rows, depth, height, width)
    ids[at_row, at_col] = tri
    return ids


def _nothing_covered():
    return (np.zeros(0, dtype=np.int64),) * 3


def covered_pixels(cols, rows, depth, height, width):
    """rasterize's result as (row, col, triangle) int64 arrays of the covered pixels only, in
    row-major order (np.nonzero's): renderings take their samples from these without a whole image
    of ids to fill and search."""
    cols, rows, depth = (np.asarray(a, dtype=np.float64) for a in (cols, rows, depth))
    n_tri = cols.shape[0]
    if n_tri >= 1 << _TRI_BITS:
        raise ValueError(f'rasterize: at most {(1 << _TRI_BITS) - 1} triangles per call, got {n_tri}')
    if n_tri == 0:
        return _nothing_covered()
    if np.any(depth <= 1e-6):
        raise ValueError('rasterize: a vertex lies behind the camera')
    inv_depth = 1.0 / depth
    x0, x1, x2 = cols.T
    y0, y1, y2 = rows.T
    area = (x1 - x0) * (y2 - y0) - (x2 - x0) * (y1 - y0)
    rmin = np.clip(np.ceil(corner_min(rows) - 0.5), 0, height).astype(np.int64)
    rmax = np.clip(np.floor(corner_max(rows) - 0.5), -1, height - 1).astype(np.int64)
    cmin = np.clip(np.ceil(corner_min(cols) - 0.5), 0, width).astype(np.int64)
    cmax = np.clip(np.floor(corner_max(cols) - 0.5), -1, width - 1).astype(np.int64)
    live = np.flatnonzero((np.abs(area) > 1e-12) & (rmax >= rmin) & (cmax >= cmin))
    if live.size == 0:
        return _nothing_covered()
    a = area[live]
    X, Y, iz = cols[live], rows[live], inv_depth[live]
    A = np.empty((live.size, 3))
    B = np.empty((live.size, 3))
    C = np.empty((live.size, 3))
    for k, (i, j) in enumerate(((1, 2), (2, 0), (0, 1))):
        A[:, k] = (Y[:, i] - Y[:, j]) / a
        B[:, k] = (X[:, j] - X[:, i]) / a
        C[:, k] = (X[:, i] * Y[:, j] - X[:, j] * Y[:, i]) / a
    P, Q, R = (np.einsum('nk,nk->n', M, iz) for M in (A, B, C))
    rmin, rmax, cmin, cmax = rmin[live], rmax[live], cmin[live], cmax[live]

    # rows of each triangle
    n_rows = rmax - rmin + 1
    t_row = np.repeat(np.arange(live.size), n_rows)
    row = np.arange(n_rows.sum()) + np.repeat(rmin - (np.cumsum(n_rows) - n_rows), n_rows)
    yc = row + 0.5
    eps = 1e-9
    # the span of pixel centres inside a triangle's row: above the bound of each edge whose weight rises
    # with x (A_k > 0), below that of each edge where it falls, empty where a horizontal edge excludes it
    lo = np.full(row.size, -np.inf)
    hi = np.full(row.size, np.inf)
    with np.errstate(divide='ignore', invalid='ignore'):
        margin = eps / np.abs(A)
        for k in range(3):   # all rows at once; each row keeps only the bounds of its own edges
            ak, mk = A[:, k][t_row], margin[:, k][t_row]
            val = B[:, k][t_row] * yc + C[:, k][t_row]
            bound = -val / ak
            rising, falling = ak > 1e-14, ak < -1e-14
            np.maximum(lo, np.where(rising, bound - mk, -np.inf), out=lo)
            np.minimum(hi, np.where(falling, bound + mk, np.inf), out=hi)
            hi[~(rising | falling) & (val < -eps)] = -np.inf
    c0 = np.maximum(np.ceil(np.maximum(lo, -1.0) - 0.5), cmin[t_row]).astype(np.int64)
    c1 = np.minimum(np.floor(np.minimum(hi, width + 1.0) - 0.5), cmax[t_row]).astype(np.int64)
    span = np.maximum(c1 - c0 + 1, 0)

    # per row: the terms of 1/depth = P x + Q y + R that do not vary along it, the triangle's key bits
    tri_mask = (1 << _TRI_BITS) - 1
    p_row, qy_row, r_row = P[t_row], Q[t_row] * yc, R[t_row]
    low_bits = tri_mask - live[t_row]
    # window of the buffer: the rows and columns the triangles reach
    top, left = int(rmin.min()), int(cmin.min())
    h, w = int(rmax.max()) - top + 1, int(cmax.max()) - left + 1
    key_buffer = np.full(h * w, -1, dtype=np.int64)
    # the pair at position q (counted over all rows' spans) lies in column q + shift of its row
    ends = np.cumsum(span)
    shift = c0 - (ends - span)
    index_type = np.int32 if int(ends[-1]) + h * w < 1 << 31 else np.int64   # less memory traffic
    at_buffer = ((row - top) * w - left + shift).astype(index_type)
    centre = shift + 0.5
    start = 0
    while start < span.size:
        base = ends[start - 1] if start else 0
        stop = max(start + 1, int(np.searchsorted(ends, base + _MAX_PAIRS, side='right')))
        n = span[start:stop]
        q = np.arange(base, ends[stop - 1], dtype=index_type)
        rows_of = slice(start, stop)
        inv = q + np.repeat(centre[rows_of], n)        # the pixel centre's column x, exactly px + 0.5
        inv *= np.repeat(p_row[rows_of], n)            # P x + Q y + R, in place
        inv += np.repeat(qy_row[rows_of], n)
        inv += np.repeat(r_row[rows_of], n)
        key = np.maximum(inv, 1e-300, out=inv).view(np.int64)
        key &= ~tri_mask
        key |= np.repeat(low_bits[rows_of], n)
        np.maximum.at(key_buffer, q + np.repeat(at_buffer[rows_of], n), key)
        start = stop
    at = np.flatnonzero(key_buffer >= 0)   # row-major in the window, so in the image
    at_row, at_col = np.divmod(at, w)
    return at_row + top, at_col + left, tri_mask - (key_buffer[at] & tri_mask)


def corner_min(a):
    """a.min(1) of (T, 3) corners as two elementwise minima: the same values (a minimum is exact), a
    twentieth of the time of numpy's reduction over an axis of three."""
    return np.minimum(np.minimum(a[:, 0], a[:, 1]), a[:, 2])


def corner_max(a):
    """a.max(1) of (T, 3) corners, as corner_min."""
    return np.maximum(np.maximum(a[:, 0], a[:, 1]), a[:, 2])


def face_normals(vertices, faces):
    """Unit normals of triangles (right-handed winding), zero for degenerate ones."""
    v = vertices[faces]
    n = np.cross(v[:, 1] - v[:, 0], v[:, 2] - v[:, 0])
    length = np.linalg.norm(n, axis=1, keepdims=True)
    return np.divide(n, length, out=np.zeros_like(n), where=length > 0)


def triangle_ids(vertices, faces, camera, supersample=1):
    """Nearest-triangle index per (supersampled) pixel of a mesh seen by a camera, -1 = background."""
    return rasterize(*_corners_on_screen(vertices, faces, camera, supersample))


def _corners_on_screen(vertices, faces, camera, supersample):
    """rasterize's arguments for a mesh seen by a camera at supersample x supersample samples per
    pixel: (T, 3) columns, rows and depths of the corners, and the image's height and width."""
    cam = dataclasses.replace(camera, size=camera.size * supersample,
                              focal=camera.focal_length * supersample)
    faces = np.asarray(faces)   # each vertex projected once, then taken per corner: the same numbers
    col, row, depth = (a[faces] for a in cam.project(np.asarray(vertices, dtype=np.float64)))
    return col, row, depth, cam.size, cam.size


def _samples(vertices, faces, camera, supersample, channels):
    """filtering.Samples of a mesh seen by a camera, straight from its covered samples."""
    *corners, height, width = _corners_on_screen(vertices, faces, camera, supersample)
    return Samples.covering(*covered_pixels(*corners, height, width), (height, width), supersample, channels)


def render_silhouette(vertices, faces, camera):
    """Boolean mask of the pixels whose centre the mesh covers."""
    return triangle_ids(vertices, faces, camera) >= 0


# ------------------------------------------------------------------------------------------------
# Shading of the dataset renderings

# Grey Lambertian shading fitted to the faces of the real renderings whose normal the voxels give
# (the chair and the bench of the shared sample): the lights are fixed in the world, not in the camera;
# +x and -x faces are equally bright, +z faces as bright as top faces, -z faces darkest. Two lights
# mirrored in x plus an ambient term reproduce those ratios:
# value = albedo * (AMBIENT + sum_i max(0, n . light_i)), normals flipped towards the camera (Blender
# shades both sides of a face).
_LIGHT = np.array([0.6, 0.55, 0.58]) / np.linalg.norm([0.6, 0.55, 0.58])
LIGHTS = (_LIGHT, _LIGHT * [-1.0, 1.0, 1.0])
AMBIENT = 1.1
# albedo such that the x faces come out at grey 146-162 as in the real chair and bench
ALBEDO_RANGE = (0.33, 0.38)


def shade(normals, view_dirs, albedo):
    """Grey level in [0, 1] of faces with world normals, seen along view_dirs (camera -> face)."""
    n = np.where((np.einsum('nk,nk->n', normals, view_dirs) > 0)[:, None], -normals, normals)
    light = np.full(len(n), AMBIENT)
    for direction in LIGHTS:
        light = light + np.clip(np.einsum('nk,k->n', n, direction), 0.0, None)
    return np.clip(albedo * light, 0.0, 1.0)


def render_mesh(vertices, faces, camera, albedo=0.355, supersample=3, surface=None, normals=None):
    """137x137 RGBA uint8 rendering of a mesh like the ShapeNet renderings: flat-shaded, antialiased
    edges, transparent background (RGB 0 where alpha is 0).

    Without a surface: grey, albedo a scalar or one value per face (dataset version 1). With a
    lib.rendering.shading.Surface: coloured materials, textures and highlights shaded per sample (version 2).
    normals: the mesh's face_normals, if the caller has them (one mesh, many views).
    """
    vertices = np.asarray(vertices, dtype=np.float64)
    faces = np.asarray(faces)
    normals = face_normals(vertices, faces) if normals is None else normals
    if surface is not None:
        return _render_surface(vertices, faces, normals, camera, surface, supersample)
    hits = _samples(vertices, faces, camera, supersample, 1)
    centroids = vertices[faces].mean(axis=1)
    view = centroids - camera.center
    view /= np.linalg.norm(view, axis=1, keepdims=True)
    grey = shade(normals, view, np.broadcast_to(np.asarray(albedo, dtype=np.float64), (len(faces),)))
    hits.set_colour(grey[hits.tri])
    return hits.rgba(camera.size)


def _render_surface(vertices, faces, normals, camera, surface, supersample):
    """render_mesh with materials: each covered sample is shaded at the point where its ray meets
    its triangle (textures are functions of that world point), then filtered like the grey path."""
    from lib.rendering.shading import shade_surface
    hits = _samples(vertices, faces, camera, supersample, 3)
    if hits.box is not None:
        for sel, rgb in shade_surface(surface, HitGeometry(vertices, faces, normals, hits, camera)):
            hits.set_colour_rows(rgb, sel)
    return hits.rgba(camera.size)


def render_shaded(vertices, faces, camera, shade, supersample=3):
    """137x137 RGBA uint8 rendering of a mesh whose colours a function gives: shade(tri, points,
    normals, rays) -> (N, 3) RGB in [0, 1] for N covered samples (their triangle, world hit point,
    the triangle's unit normal, the unit ray camera -> point). Real models with their own colours and
    textures (lib/rendering/render_shapes.py) are drawn through it; filtered like render_mesh."""
    vertices = np.asarray(vertices, dtype=np.float64)
    faces = np.asarray(faces)
    hits = _samples(vertices, faces, camera, supersample, 3)
    if hits.box is not None:
        hit = HitGeometry(vertices, faces, face_normals(vertices, faces), hits, camera).select()
        hits.set_colour(shade(hits.tri, hit.points(), np.ascontiguousarray(hit.normal.T),
                              np.ascontiguousarray(hit.ray.T)))
    return hits.rgba(camera.size)


# ------------------------------------------------------------------------------------------------
# Voxels as full cubes

# For each axis: the 4 corners (in units of the voxel) of the face on the + side, counter-clockwise
# seen from outside, so the triangles' normals point out.
_PLUS_FACES = {
    0: np.array([[1, 0, 0], [1, 1, 0], [1, 1, 1], [1, 0, 1]]),
    1: np.array([[0, 1, 0], [0, 1, 1], [1, 1, 1], [1, 1, 0]]),
    2: np.array([[0, 0, 1], [1, 0, 1], [1, 1, 1], [0, 1, 1]]),
}


def exposed_faces(grid):
    """Exposed cube faces of an occupancy grid: (voxel indices (N, 3), axis (N,), sign (N,) of +-1)."""
    occ = np.asarray(grid, dtype=bool)
    padded = np.pad(occ, 1)
    voxels, axes, signs = [], [], []
    for axis in range(3):
        for sign in (1, -1):
            neighbour = np.roll(padded, -sign, axis=axis)[1:-1, 1:-1, 1:-1]
            idx = np.argwhere(occ & ~neighbour)
            voxels.append(idx)
            axes.append(np.full(len(idx), axis))
            signs.append(np.full(len(idx), sign))
    return np.concatenate(voxels), np.concatenate(axes), np.concatenate(signs)


def voxel_mesh(grid, scale=1.0):
    """Triangles of the exposed faces of the full voxel cubes, in model coordinates.

    The grid is (x, y, z) with y up (binvox after the x-z-y reorder); `binvox -cb` places it so the
    cube of side `scale` is centred on the origin: voxel (i, j, k) spans [(i, j, k), (i, j, k) + 1]
    * scale / n - scale / 2. Returns (vertices (4N, 3), faces (2N, 3), axis (2N,), sign (2N,)).
    """
    grid = np.asarray(grid, dtype=bool)
    n = np.array(grid.shape, dtype=np.float64)
    idx, axes, signs = exposed_faces(grid)
    corners = np.stack([_PLUS_FACES[a] for a in range(3)])[axes].astype(np.float64)   # (N, 4, 3)
    minus = signs < 0
    # the - face: move the + face one voxel back along its axis and reverse its winding
    corners[minus, :, axes[minus]] -= 1.0
    corners[minus] = corners[minus][:, ::-1]
    verts = (idx[:, None, :] + corners) * (scale / n) - scale / 2.0
    base = 4 * np.arange(len(idx))[:, None]
    faces = np.concatenate([base + [0, 1, 2], base + [0, 2, 3]], axis=1).reshape(-1, 3)
    return verts.reshape(-1, 3), faces, np.repeat(axes, 2), np.repeat(signs, 2)


def render_voxel_silhouette(grid, camera, scale=1.0):
    """Pixels covered by the full voxel cubes of a grid placed as `binvox -cb` does (cube side scale)."""
    vertices, faces, _, _ = voxel_mesh(grid, scale)
    return render_silhouette(vertices, faces, camera)


def render_voxels(grid, camera, scale=1.0, albedo=0.355, supersample=3):
    """RGBA rendering of full voxel cubes with the dataset's shading (for comparisons with renderings)."""
    vertices, faces, _, _ = voxel_mesh(grid, scale)
    return render_mesh(vertices, faces, camera, albedo, supersample)


PREVIEW_AZIMUTH, PREVIEW_ELEVATION = 35.0, 25.0


def render_voxel_preview(grid, size=256, threshold=0.4, azimuth=PREVIEW_AZIMUTH,
                         elevation=PREVIEW_ELEVATION, color=(0.78, 0.82, 0.9),
                         background=(255, 255, 255), supersample=3, edges=None):
    """Shaded RGB picture (size, size, 3) uint8 of a voxel grid from a three-quarter view.

    grid: (x, y, z) occupancy with y up (front +x), boolean or probabilities (occupied where
    >= threshold). The default view looks from the front-right, above. The whole grid cube is framed
    the same way whatever its contents, so pictures of a ground truth and a prediction line up. Only
    exposed faces are drawn; thin darker lines mark voxel edges when voxels are big enough to show
    them (edges=None: when a voxel spans at least 4 pixels).
    """
    grid = np.asarray(grid)
    if grid.ndim != 3:
        raise ValueError(f'render_voxel_preview: expected a 3D grid, got shape {grid.shape}')
    occ = grid >= threshold if grid.dtype != bool else grid
    n = max(grid.shape)
    scale = 1.0   # grid cube of side 1, centred on the origin
    vertices, faces, axes, signs = voxel_mesh(occ, scale * np.array(grid.shape) / n)
    cam = _framing_camera(np.array(grid.shape) / n, azimuth, elevation, size)
    out = np.empty((size, size, 3), dtype=np.uint8)
    out[:] = np.asarray(background, dtype=np.uint8)
    if len(faces) == 0:
        return out
    s = supersample
    ids = triangle_ids(vertices, faces, cam, s)
    hit = ids >= 0
    t = np.maximum(ids, 0)
    normals = np.zeros((len(faces), 3))
    normals[np.arange(len(faces)), axes] = signs
    # fixed key light from the upper front-right of the default view, plus fill and ambient
    key = np.array([0.45, 0.8, 0.35])
    key /= np.linalg.norm(key)
    fill = np.array([-0.6, 0.2, 0.75])
    fill /= np.linalg.norm(fill)
    level = (0.5 + 0.45 * np.clip(np.einsum('nk,k->n', normals, key), 0, None)
             + 0.15 * np.clip(np.einsum('nk,k->n', normals, fill), 0, None))
    value = level[t]
    if edges is None:
        edges = cam.focal_length / (2.5 * n) >= 4.0   # about a voxel's size in pixels
    if edges:
        value = value * _edge_darkening(cam, s, ids, hit, vertices, faces, axes, n, grid.shape)
    rgb = np.clip(value[..., None] * np.asarray(color, dtype=np.float64), 0, 1) * 255.0
    rgb = np.where(hit[..., None], rgb, np.asarray(background, dtype=np.float64))
    return np.round(np.clip(downsample(rgb, s), 0, 255)).astype(np.uint8)


def _framing_camera(extent, azimuth, elevation, size, margin=0.04):
    """A camera at (azimuth, elevation) whose focal length frames a box of the given extent."""
    corners = np.array([[x, y, z] for x in (-1, 1) for y in (-1, 1) for z in (-1, 1)]) * extent / 2
    cam = Camera(azimuth, elevation, 2.5 / MAX_CAMERA_DIST, size=size, focal=1.0)
    col, row, _ = cam.project(corners)
    half = size / 2.0
    reach = max(np.abs(col - half).max(), np.abs(row - half).max())  # at focal 1
    return dataclasses.replace(cam, focal=half * (1 - margin) / reach)


def _edge_darkening(cam, s, ids, hit, vertices, faces, axes, n, shape):
    """Factor < 1 near the edges of each voxel face: the hit point's position within its voxel face."""
    big = dataclasses.replace(cam, size=cam.size * s, focal=cam.focal_length * s)
    rows, cols = np.nonzero(hit)
    tri = ids[rows, cols]
    ray = big.pixel_rays(cols + 0.5, rows + 0.5)
    axis = axes[tri]
    plane = vertices[faces[tri, 0], axis]
    origin = big.center
    t = (plane - origin[axis]) / ray[np.arange(len(tri)), axis]
    point = origin + t[:, None] * ray
    cells = point * n + np.array(shape) / 2.0   # voxel units (the grid is centred on the origin)
    frac = cells - np.floor(cells)
    dist = np.minimum(frac, 1 - frac)
    dist[np.arange(len(tri)), axis] = 1.0   # the axis normal to the face does not count
    near = dist.min(axis=1)
    width = 0.06
    factor = np.ones(ids.shape)
    factor[rows, cols] = np.where(near < width, 0.8, 1.0)
    return factor
