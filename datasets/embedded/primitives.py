"""Solid primitives for the embedded dataset: each is a triangle mesh (for rendering) and an inside test
(for voxelisation), so the renderings and the voxels of an object describe the same solid.

Two kinds cover every category: a prism (a convex polygon extruded along its local y, optionally
tapered and sheared towards the top: boxes, cylinders, cones, wings, hulls, fins, sails) and an
ellipsoid (optionally cut by planes of constant local y: domes, noses, cushions). Each part carries a
rigid placement (rotation, translation) and a relative albedo (dark wheels, screens, drivers).

Arithmetic avoids BLAS (einsum, not @) so that the same seed gives the same bytes on every machine.
"""
import dataclasses

import numpy as np


def rotation(axis, degrees):
    """Rotation matrix about the x, y or z axis (right-handed)."""
    a = np.radians(degrees)
    c, s = np.cos(a), np.sin(a)
    i, j = {'x': (1, 2), 'y': (2, 0), 'z': (0, 1)}[axis]
    m = np.eye(3)
    m[i, i], m[i, j], m[j, i], m[j, j] = c, -s, s, c
    return m


def _apply(matrix, points):
    """points (N, 3) -> (matrix @ points.T).T without BLAS."""
    return np.einsum('kj,nj->nk', matrix, points)


def _frame_to(direction):
    """A rotation whose local y axis is the given direction."""
    y = np.asarray(direction, dtype=np.float64)
    y = y / np.linalg.norm(y)
    helper = np.array([1.0, 0.0, 0.0]) if abs(y[0]) < 0.9 else np.array([0.0, 0.0, 1.0])
    x = np.cross(y, helper)
    x /= np.linalg.norm(x)
    z = np.cross(x, y)
    return np.stack([x, y, z], axis=1)   # columns: images of local x, y, z


@dataclasses.dataclass
class Part:
    """A solid: mesh in object coordinates plus an inside test over object coordinates."""
    vertices: np.ndarray          # (V, 3)
    faces: np.ndarray             # (F, 3)
    rotation: np.ndarray          # local -> object
    translation: np.ndarray       # object position of the local origin
    albedo: float = 1.0           # relative to the object's albedo
    unit: float = 1.0             # object units per local unit (uniform scaling after placement)
    role: str = 'body'            # what the part is (seat, leg, tyre, ...): picks its material (v2)

    def to_local(self, points):
        return _apply(self.rotation.T, points - self.translation) / self.unit

    def inside(self, points):
        return self._inside_local(self.to_local(points))

    def bounds(self):
        """(lo, hi): an object-space box outside which inside() accepts no point (with room for its
        tolerances and rounding), or None where no such box is known."""
        return None

    def transformed(self, scale, offset):
        """The same part after p -> p * scale + offset (uniform scale)."""
        return dataclasses.replace(self, vertices=self.vertices * scale + offset,
                                   translation=self.translation * scale + offset,
                                   unit=self.unit * scale)


@dataclasses.dataclass
class Prism(Part):
    polygon: np.ndarray = None    # (K, 2) convex, in local (x, z), clockwise in that (x, z) plane
    height: float = 1.0
    top_scale: tuple = (1.0, 1.0)
    top_offset: tuple = (0.0, 0.0)

    def _inside_local(self, local):
        t = local[:, 1] / self.height
        ok = (t >= 0.0) & (t <= 1.0)
        sx = 1.0 + t * (self.top_scale[0] - 1.0)
        sz = 1.0 + t * (self.top_scale[1] - 1.0)
        qx = (local[:, 0] - t * self.top_offset[0]) / sx
        qz = (local[:, 2] - t * self.top_offset[1]) / sz
        poly = self.polygon
        for a, b in zip(poly, np.roll(poly, -1, axis=0)):
            # on the inner side of edge a->b of the clockwise polygon
            ok &= (b[0] - a[0]) * (qz - a[1]) - (b[1] - a[1]) * (qx - a[0]) <= 1e-12
        return ok

    def bounds(self):
        """The vertices' box grown by what the edge tolerance of _inside_local can add: 1e-12 / |edge|
        beyond each edge line, more at a sharp corner (1 / sin(half its angle)), scaled like the top.
        The solid is the hull of its bottom and top polygons, so nothing else lies outside that box."""
        edges = np.roll(self.polygon, -1, axis=0) - self.polygon
        edges = edges[np.hypot(edges[:, 0], edges[:, 1]) > 0]
        if len(edges) < 3:
            return None
        length = np.hypot(edges[:, 0], edges[:, 1])
        turn = np.einsum('ik,ik->i', edges, np.roll(edges, -1, axis=0)) / (length * np.roll(length, -1))
        corner = np.sqrt(np.clip((1.0 + turn) / 2.0, 0.0, None)).min()   # sin(half the sharpest angle)
        if corner < 1e-6:
            return None
        grow = 1e-12 / length.min() / corner * max(1.0, *map(abs, self.top_scale)) * self.unit
        if not grow < 1e-6:
            return None
        pad = grow + 1e-9
        return self.vertices.min(axis=0) - pad, self.vertices.max(axis=0) + pad


@dataclasses.dataclass
class Ellipsoid(Part):
    radii: np.ndarray = None
    y_range: tuple = (-1.0, 1.0)  # kept slab of the unit sphere in local y (a dome: (0, 1))

    def _inside_local(self, local):
        u = local / self.radii
        return ((u * u).sum(axis=1) <= 1.0) & (u[:, 1] >= self.y_range[0]) & (u[:, 1] <= self.y_range[1])

    def bounds(self):
        """The whole ellipsoid's box (|u_i| <= 1 in local units), grown a little for rounding."""
        reach = self.unit * np.einsum('kj,j->k', np.abs(self.rotation), self.radii)
        pad = 1e-9 * (1.0 + reach.max())
        return self.translation - reach - pad, self.translation + reach + pad


def _place(local_vertices, rot, translation):
    return _apply(rot, local_vertices) + translation


def prism(polygon, height, position=(0, 0, 0), rot=None, top_scale=(1.0, 1.0), top_offset=(0.0, 0.0),
          albedo=1.0):
    """Convex polygon (local x, z) at local y = 0 extruded to y = height, the top scaled and shifted.

    position is the object position of the local origin (the polygon's (0, 0) at the bottom).
    """
    poly = np.asarray(polygon, dtype=np.float64)
    # store it clockwise in the (x, z) plane: the inside test relies on one orientation
    signed = np.sum(poly[:, 0] * np.roll(poly[:, 1], -1) - np.roll(poly[:, 0], -1) * poly[:, 1])
    if signed > 0:
        poly = poly[::-1]
    k = len(poly)
    bottom = np.column_stack([poly[:, 0], np.zeros(k), poly[:, 1]])
    top = np.column_stack([poly[:, 0] * top_scale[0] + top_offset[0], np.full(k, height),
                           poly[:, 1] * top_scale[1] + top_offset[1]])
    verts = np.concatenate([bottom, top])
    i = np.arange(k)
    j = (i + 1) % k
    sides = np.concatenate([np.column_stack([i, j, j + k]), np.column_stack([i, j + k, i + k])])
    fan = np.column_stack([np.zeros(k - 2, dtype=int), np.arange(1, k - 1), np.arange(2, k)])
    faces = np.concatenate([sides, fan[:, ::-1], fan + k])
    rot = np.eye(3) if rot is None else np.asarray(rot, dtype=np.float64)
    translation = np.asarray(position, dtype=np.float64)
    return Prism(_place(verts, rot, translation), faces, rot, translation, albedo,
                 polygon=poly, height=float(height), top_scale=tuple(top_scale),
                 top_offset=tuple(top_offset))


def box(size, center=(0, 0, 0), rot=None, albedo=1.0, top_scale=(1.0, 1.0), top_offset=(0.0, 0.0),
        base_at_bottom=False):
    """Box of size (sx, sy, sz) (local axes) centred at center, or standing on it if base_at_bottom
    (then center is the middle of its bottom face, so a rotation tilts it about its foot). The top may
    be tapered (top_scale) and shifted (top_offset)."""
    sx, sy, sz = size
    rot = np.eye(3) if rot is None else np.asarray(rot, dtype=np.float64)
    base = np.asarray(center, dtype=np.float64)
    if not base_at_bottom:
        base = base - _apply(rot, np.array([[0.0, sy / 2, 0.0]]))[0]
    poly = [(-sx / 2, -sz / 2), (sx / 2, -sz / 2), (sx / 2, sz / 2), (-sx / 2, sz / 2)]
    return prism(poly, sy, base, rot, top_scale, top_offset, albedo)


def regular_polygon(radius_x, radius_z=None, segments=16, phase=0.0):
    radius_z = radius_x if radius_z is None else radius_z
    a = phase + 2 * np.pi * np.arange(segments) / segments
    return np.column_stack([radius_x * np.cos(a), radius_z * np.sin(a)])


def cylinder(radius, height, base=(0, 0, 0), rot=None, top_radius=None, segments=16, albedo=1.0,
             radius_z=None, phase=0.0):
    """Cylinder (or cone frustum) along local y from its base centre; elliptic if radius_z is given."""
    scale = 1.0 if top_radius is None else top_radius / radius
    return prism(regular_polygon(radius, radius_z, segments, phase), height, base, rot, (scale, scale),
                 albedo=albedo)


def tube(p0, p1, radius, top_radius=None, segments=12, albedo=1.0, phase=0.0):
    """Cylinder from point p0 to point p1."""
    p0, p1 = np.asarray(p0, dtype=np.float64), np.asarray(p1, dtype=np.float64)
    return cylinder(radius, np.linalg.norm(p1 - p0), p0, _frame_to(p1 - p0), top_radius, segments,
                    albedo, phase=phase)


def plate(polygon_xy, thickness, center_z=0.0, offset=(0.0, 0.0), albedo=1.0):
    """Convex polygon in the object's x-y plane, extruded symmetrically along z (fins, sails, stocks)."""
    # local x -> x, local z -> y, local y -> z
    rot = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, 1.0, 0.0]])
    position = (offset[0], offset[1], center_z - thickness / 2)
    return prism(polygon_xy, thickness, position, rot, albedo=albedo)


def _sphere_grid(y_range, rings, segments):
    """Unit-sphere vertices and faces between local y = y_range[0] and y_range[1], capped."""
    lo, hi = np.arccos(np.clip(y_range[1], -1, 1)), np.arccos(np.clip(y_range[0], -1, 1))
    polar = np.linspace(lo, hi, rings + 1)
    az = 2 * np.pi * np.arange(segments) / segments
    verts = np.stack([np.sin(polar)[:, None] * np.cos(az)[None, :],
                      np.repeat(np.cos(polar)[:, None], segments, axis=1),
                      np.sin(polar)[:, None] * np.sin(az)[None, :]], axis=-1).reshape(-1, 3)
    faces = []
    for r in range(rings):
        i = r * segments + np.arange(segments)
        j = r * segments + (np.arange(segments) + 1) % segments
        faces += [np.column_stack([i, j + segments, j]), np.column_stack([i, i + segments, j + segments])]
    # caps (a pole ring collapses to a point; its degenerate triangles are harmless)
    for ring, flip in ((0, True), (rings, False)):
        centre = len(verts)
        verts = np.concatenate([verts, [[0.0, np.cos(polar[ring]), 0.0]]])
        i = ring * segments + np.arange(segments)
        j = ring * segments + (np.arange(segments) + 1) % segments
        tri = np.column_stack([np.full(segments, centre), i, j])
        faces.append(tri[:, ::-1] if flip else tri)
    return verts, np.concatenate(faces)


def ellipsoid(radii, center=(0, 0, 0), rot=None, y_range=(-1.0, 1.0), rings=10, segments=20,
              albedo=1.0):
    """Ellipsoid with semi-axes radii (local x, y, z), optionally cut to a slab of local y."""
    radii = np.asarray(radii, dtype=np.float64)
    verts, faces = _sphere_grid(y_range, rings, segments)
    rot = np.eye(3) if rot is None else np.asarray(rot, dtype=np.float64)
    translation = np.asarray(center, dtype=np.float64)
    return Ellipsoid(_place(verts * radii, rot, translation), faces, rot, translation, albedo,
                     radii=radii, y_range=tuple(y_range))


def merge_meshes(parts):
    """(vertices, faces, per-face relative albedo) of a list of parts."""
    verts, faces, albedo = [], [], []
    offset = 0
    for p in parts:
        verts.append(p.vertices)
        faces.append(p.faces + offset)
        albedo.append(np.full(len(p.faces), p.albedo))
        offset += len(p.vertices)
    return np.concatenate(verts), np.concatenate(faces), np.concatenate(albedo)
