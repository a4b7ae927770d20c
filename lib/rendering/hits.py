"""Where the covered samples of a rendering meet the mesh: per sample its triangle, the triangle's unit
normal, the unit ray camera -> sample centre, n . ray, and the world hit point.

Everything per sample is held component by component, (3, n) rows, so each step runs along long
contiguous rows, and it is computed for one selection of samples at a time (one material's), so
nothing is computed for all samples and then gathered. The arithmetic is that of the per-sample
formulas it replaces, number for number (render.Camera.pixel_rays, render.unit_rows, einsum's n . ray),
so the renderings keep their bits (tests/rendering/test_data_speed.py).
"""
import dataclasses

import numpy as np


def dot_rows(a, b, out=None, scratch=None):
    """Per column, the dot product of two (3, n) arrays with the bits of np.einsum('nk,nk->n') on their
    (n, 3) transposes: einsum sums the three products as (a0 b0 + a2 b2) + a1 b1 (two SIMD lanes, then
    across them), at a fifth of its time. out, scratch: (n,) buffers to reuse, if the caller has them."""
    out = np.multiply(a[0], b[0], out=out)
    out += np.multiply(a[2], b[2], out=scratch)
    out += np.multiply(a[1], b[1], out=scratch)
    return out


def unit_columns(v, length, square):
    """v (3, n) divided in place by its columns' lengths, the sums of render.unit_rows in its order
    (x x + y y) + z z; length and square are (n,) buffers it overwrites."""
    x, y, z = v
    np.multiply(x, x, out=length)
    length += np.multiply(y, y, out=square)
    length += np.multiply(z, z, out=square)
    v /= np.sqrt(length, out=length)
    return v


@dataclasses.dataclass
class HitRows:
    """The hits of some samples: tri (n,) their triangles, normal (3, n) the triangles' unit normals
    (as the mesh has them, not turned towards the camera), ray (3, n) unit rays camera -> sample,
    denom (n,) = normal . ray (> 0: the face is seen from behind), and points() the (n, 3) world points
    where the rays meet their triangles, computed when asked for (textures only)."""
    tri: np.ndarray
    normal: np.ndarray
    ray: np.ndarray
    denom: np.ndarray
    points: object


class HitGeometry:
    """The hits of the covered samples (filtering.Samples) of a mesh seen by a camera; select(sel)
    gives the HitRows of the samples sel (indices into the covered samples, None: all of them).

    Rays come from per-row and per-column tables of the window, the ray-plane numerator is per face.
    """

    def __init__(self, vertices, faces, normals, hits, camera):
        s = hits.s
        big = dataclasses.replace(camera, size=camera.size * s, focal=camera.focal_length * s)
        y0, y1, x0, x1 = hits.box
        c = big.size / 2.0
        r, u, self.forward = big.axes
        self.focal = big.focal_length
        # ((col - c) r - (row - c) u) / f + fwd at the sample centres (col, row) + 0.5, per component
        self.across = r[:, None] * (np.arange(x0, x1) + 0.5 - c)[None, :]   # (3, window width)
        self.down = u[:, None] * (np.arange(y0, y1) + 0.5 - c)[None, :]     # (3, window height)
        self.face_normals = normals                                        # (F, 3)
        self.normal_rows = np.ascontiguousarray(normals.T)                 # (3, F)
        self.reach = np.einsum('nk,nk->n', normals, vertices[faces[:, 0]] - big.center)   # per face
        self.centre = big.center
        self.hits = hits
        self.tri = hits.tri

    def select(self, sel=None):
        hits = self.hits
        tri, rows, cols = (a if sel is None else np.take(a, sel) for a in (hits.tri, hits.rows, hits.cols))
        ray = np.take(self.across, cols, axis=1)   # per component across[cols] - down[rows]
        ray -= np.take(self.down, rows, axis=1)
        ray /= self.focal
        ray += self.forward[:, None]
        length, square = np.empty(len(tri)), np.empty(len(tri))
        unit_columns(ray, length, square)
        normal = np.take(self.normal_rows, tri, axis=1)
        denom = dot_rows(normal, ray, scratch=square)

        def points():
            t = self.reach[tri] / np.where(np.abs(denom) < 1e-12, 1e-12, denom)
            out = np.empty((len(tri), 3))
            for k in range(3):
                out[:, k] = self.centre[k] + t * ray[k]
            return out
        return HitRows(tri, normal, ray, denom, points)


class GivenHits:
    """HitGeometry's interface over per-sample arrays given as (n, 3) rows (shading.shade_rgb): each
    sample is its own face, so face_normals are the samples' normals and tri counts the samples."""

    def __init__(self, points, normals, view_dirs):
        self.face_normals = np.ascontiguousarray(normals, dtype=np.float64)
        self._points = np.asarray(points, dtype=np.float64)
        self._rays = np.asarray(view_dirs, dtype=np.float64)
        self.tri = np.arange(len(self.face_normals))

    def select(self, sel=None):
        tri = self.tri if sel is None else self.tri[sel]
        normal = np.ascontiguousarray(self.face_normals[tri].T)
        ray = np.ascontiguousarray(self._rays[tri].T)
        return HitRows(tri, normal, ray, dot_rows(normal, ray), lambda: self._points[tri])
