"""Colour shading of the embedded dataset's renderings (format version 2): materials and lights.

A Material is what a part is made of, seen from afar: a colour, an optional procedural 3D texture
(wood grain, noise, stripes, fabric weave: functions of the world position, so they need no UV maps and
stay put when the camera moves), and a Blinn-Phong highlight (gloss, shininess). A Surface gives every
face of a mesh its material and holds the object's lights: the two world-fixed lights and the ambient
term fitted to the real renderings (lib/rendering/render.py's LIGHTS, AMBIENT), turned by a few degrees per object.

The diffuse term is the one version 1 uses, value = albedo * (ambient + sum_i max(0, n . l_i)), with
albedo = ALBEDO_PER_COLOUR * colour, so a mid-grey colour of 0.78 shades like version 1's grey; white
paint (1.0) comes out near white on top faces.
"""
import dataclasses
import functools

import numpy as np

ALBEDO_PER_COLOUR = 0.45   # colour 0.78 -> albedo 0.355, version 1's mean grey
TEXTURES = ('none', 'grain', 'noise', 'stripes', 'weave')


@dataclasses.dataclass(frozen=True)
class Material:
    colour: tuple                      # RGB in [0, 1], the colour under full light
    texture: str = 'none'              # one of TEXTURES
    texture_period: float = 0.1        # object units (an object's bounding-box diagonal is 1)
    texture_contrast: float = 0.0      # relative amplitude of the texture, in [0, 1)
    texture_axis: tuple = (1.0, 0.0, 0.0)   # grain or stripe direction (unit vector)
    texture_seed: int = 0
    gloss: float = 0.0                 # strength of the highlight, in [0, 1]
    shininess: float = 20.0            # Blinn-Phong exponent (larger: smaller, sharper highlight)

    def __post_init__(self):
        if self.texture not in TEXTURES:
            raise ValueError(f'unknown texture {self.texture!r} (known: {", ".join(TEXTURES)})')
        if not all(0.0 <= c <= 1.0 for c in self.colour) or len(self.colour) != 3:
            raise ValueError(f'colour {self.colour} is not RGB in [0, 1]')


@dataclasses.dataclass(frozen=True)
class Surface:
    """Materials of a mesh (one index per face) and the lights it is rendered under."""
    materials: tuple                   # of Material
    face_material: np.ndarray          # (F,) int index into materials
    lights: tuple                      # unit world directions towards the lights
    ambient: float


# ------------------------------------------------------------------------------------------ textures
def value_noise(points, seed=0):
    """Smooth noise in [-1, 1] of (N, 3) points, one lattice cell per unit (trilinear, smoothstep).

    The hash XORs one term per axis, so the 8 corners of every point's cell are hashed at once from
    per-axis terms; where the points span fewer lattice points than there are points, each lattice
    point of their box is hashed once and looked up. The trilinear sum adds the corners in the order
    dx, dy, dz of the plain loop. Every step writes into a few reused buffers (the same operations
    on the same numbers as the expressions in the comments).
    """
    p = np.asarray(points, dtype=np.float64).T.copy()   # (3, N): one contiguous row per axis
    base = np.floor(p)
    f = np.subtract(p, base, out=p)
    w = f * f
    rise = np.multiply(2.0, f)
    w *= np.subtract(3.0, rise, out=rise)   # w = f * f * (3.0 - 2.0 * f)
    i = base.astype(np.int64)
    # per axis: [weight of the lower corner (1 - w), of the upper one]
    lower = np.subtract(1.0, w, out=rise)
    weights = [(lower[a], w[a]) for a in range(3)]
    corner = _lattice_corners(i, seed)
    n = p.shape[1]
    out, term, wxy = np.empty(n), np.empty(n), np.empty(n)
    first = True
    for dx in (0, 1):
        for dy in (0, 1):
            np.multiply(weights[0][dx], weights[1][dy], out=wxy)
            for dz in (0, 1):
                np.multiply(wxy, weights[2][dz], out=term)
                term *= corner(dx, dy, dz)   # term = wxy * w_z * corner
                if first:   # out = the first term, then out += each next one
                    out, term, first = term, out, False
                else:
                    out += term
    out *= 2.0
    out -= 1.0   # 2.0 * out - 1.0
    return out


def _lattice_corners(i, seed):
    """corner(dx, dy, dz): the hash value in [0, 1) of the lattice point i + (dx, dy, dz) of every
    point, i (3, N) the lower corners of their cells."""
    seed_term = seed * _SEED_MULTIPLIER   # XOR is associative: it joins the x term
    lo = i.min(axis=1) if i.shape[1] else np.zeros(3, dtype=np.int64)
    size = (i.max(axis=1) - lo + 2) if i.shape[1] else np.zeros(3, dtype=np.int64)
    if 0 < int(size[0]) * int(size[1]) * int(size[2]) <= i.shape[1]:
        x, y, z = (np.arange(lo[a], lo[a] + size[a]) * m for a, m in enumerate(_HASH_MULTIPLIERS))
        table = _mix((x ^ seed_term)[:, None, None] ^ y[None, :, None] ^ z[None, None, :]).ravel()
        at = i[0] - lo[0]   # ((i0 - lo0) size1 + (i1 - lo1)) size2 + (i2 - lo2), in place
        at *= size[1]
        at += i[1] - lo[1]
        at *= size[2]
        at += i[2] - lo[2]
        looked_up = np.empty(i.shape[1])
        # table[at + offset] as a lookup in the table from that offset on, into a reused buffer
        return lambda dx, dy, dz: np.take(table[(dx * size[1] + dy) * size[2] + dz:], at, out=looked_up)
    terms = [np.stack([i[a] * m, (i[a] + 1) * m]) for a, m in enumerate(_HASH_MULTIPLIERS)]
    values = _mix((terms[0] ^ seed_term)[:, None, None] ^ terms[1][None, :, None] ^ terms[2][None, None, :])
    return lambda dx, dy, dz: values[dx, dy, dz]


_HASH_MULTIPLIERS = (73856093, 19349663, 83492791)
_SEED_MULTIPLIER = 2654435761


def _mix(h):
    """The integer hash's final mixing of XORed lattice terms (int64 h, overwritten), as a value in
    [0, 1): h ^= h >> 13, times 1274126177, h ^= h >> 16, its low 24 bits / 2^24 (a power of two:
    multiplying by its inverse is the same exact scaling)."""
    shifted = h >> 13
    h ^= shifted
    h *= 1274126177
    np.right_shift(h, 16, out=shifted)
    h ^= shifted
    h &= 0xFFFFFF
    return h.astype(np.float64) * (1.0 / (1 << 24))


def _perpendicular(axis):
    """Two unit vectors perpendicular to axis and to each other."""
    return _perpendicular_of(tuple(float(c) for c in np.ravel(axis)))


@functools.lru_cache(maxsize=1024)
def _perpendicular_of(axis):
    """_perpendicular, cached per axis (read-only results): np.cross on single vectors is slow, and
    every view of an object asks again."""
    a = np.asarray(axis, dtype=np.float64)
    helper = np.array([0.0, 1.0, 0.0]) if abs(a[1]) < 0.9 else np.array([1.0, 0.0, 0.0])
    u = np.cross(a, helper)
    u /= np.linalg.norm(u)
    v = np.cross(a, u)
    u.setflags(write=False)
    v.setflags(write=False)
    return u, v


def texture_pattern(material, points):
    """The texture's pattern in [-1, 1] at world points (N, 3); 0 everywhere for 'none'."""
    m = material
    if m.texture == 'none' or m.texture_contrast == 0.0 or len(points) == 0:
        return np.zeros(len(points))
    q = np.asarray(points, dtype=np.float64) / m.texture_period
    axis = np.asarray(m.texture_axis, dtype=np.float64)
    u, v = _perpendicular(axis)
    if m.texture == 'grain':      # rings across the grain, wobbling with low-frequency noise
        rings = np.hypot(q @ u, 0.35 * (q @ v)) + 1.5 * value_noise(q * [0.3, 0.3, 0.3], m.texture_seed)
        return np.sin(2 * np.pi * rings) * 0.7 + 0.3 * value_noise(q * 4.0, m.texture_seed + 1)
    if m.texture == 'noise':      # blotches at two scales
        return 0.65 * value_noise(q, m.texture_seed) + 0.35 * value_noise(q * 3.1, m.texture_seed + 1)
    if m.texture == 'stripes':
        return np.tanh(4.0 * np.sin(2 * np.pi * (q @ axis)))
    # weave: two perpendicular thread directions, fine
    return np.sin(2 * np.pi * (q @ u)) * np.sin(2 * np.pi * (q @ v))


# ------------------------------------------------------------------------------------------ shading
def shade_rgb(surface, face_ids, points, normals, view_dirs):
    """RGB in [0, 1] of surface samples.

    face_ids (N,): the face of each sample; points (N, 3): world positions; normals (N, 3): the
    faces' unit normals; view_dirs (N, 3): unit directions camera -> point. Two-sided: normals are
    flipped towards the camera, as Blender shades both sides of a face.
    """
    from lib.rendering.hits import GivenHits
    # each sample is its own face of GivenHits: its material is that of its face here
    per_sample = dataclasses.replace(surface, face_material=np.asarray(surface.face_material)[face_ids])
    rgb = np.zeros((3, len(face_ids)))
    for sel, part in shade_surface(per_sample, GivenHits(points, normals, view_dirs)):
        rgb[:, slice(None) if sel is None else sel] = part
    return rgb.T


def shade_surface(surface, geometry):
    """Shade the samples of a lib.rendering.hits.HitGeometry (or GivenHits) one material at a time:
    yields (sel, rgb) with sel the samples of a material (indices into geometry.tri, None: all) and
    rgb (3, len(sel)) their colour in [0, 1]. The world points are computed only for textured
    materials."""
    faces = len(geometry.face_normals)
    # the diffuse term of each face seen from the front and from behind (normal turned towards the
    # camera: times -1.0 is exact), looked up per sample: the same numbers as per sample
    sided = _diffuse(np.concatenate([geometry.face_normals, -geometry.face_normals]), surface.lights,
                     surface.ambient)
    single = len(surface.materials) == 1
    material_of = None if single else surface.face_material[geometry.tri]
    for k, m in enumerate(surface.materials):
        sel = None if single else np.flatnonzero(material_of == k)
        if sel is not None and sel.size == 0:
            continue
        hit = geometry.select(sel)
        away = hit.denom > 0
        shaded = sided[hit.tri + faces * away]
        if m.texture != 'none' and m.texture_contrast != 0.0:   # else the texture factor is exactly 1
            shaded = shaded * (1.0 + m.texture_contrast * texture_pattern(m, hit.points()))
        albedo = ALBEDO_PER_COLOUR * np.asarray(m.colour, dtype=np.float64)
        rgb = albedo[:, None] * shaded[None, :]
        if m.gloss > 0:
            rgb += m.gloss * _highlight(hit.normal, hit.ray, np.where(away, -1.0, 1.0), surface.lights,
                                        m.shininess)
        yield sel, np.clip(rgb, 0.0, 1.0, out=rgb)


def _diffuse(n, lights, ambient):
    """ambient + sum_i max(0, n . l_i) per row of n (N, 3) (normals already towards the camera).
    n @ l is BLAS's gemv (its own order of sums): every caller goes through here with (N, 3) rows."""
    diffuse = np.full(len(n), float(ambient))
    for light in lights:
        diffuse = diffuse + np.maximum(n @ np.asarray(light), 0.0)   # np.clip(x, 0.0, None) is this ufunc
    return diffuse


def _highlight(normal, ray, side, lights, shininess):
    """Blinn-Phong: sum_i max(0, n . h_i) ** shininess, h_i the unit half vector of light i and the
    direction to the camera -ray, n = side * normal turned towards the camera (side +-1 per sample);
    normal and ray (3, N) rows, shininess a number or one per sample."""
    from lib.rendering.hits import dot_rows, unit_columns
    n = ray.shape[1]
    highlight = np.zeros(n)
    half = np.empty_like(ray)
    cosine, scratch = np.empty(n), np.empty(n)
    for light in lights:
        np.subtract(np.asarray(light, dtype=np.float64)[:, None], ray, out=half)   # -ray + light
        unit_columns(half, cosine, scratch)   # the sums of render.unit_rows, in its order
        dot_rows(normal, half, out=cosine, scratch=scratch)
        cosine *= side   # (side n) . h: every product, so the sum, only changes sign
        highlight += np.maximum(cosine, 0.0, out=cosine) ** shininess   # what np.clip(x, 0.0, None) calls
    return highlight


def rotate_light(direction, azimuth_deg, elevation_deg):
    """A light direction turned by azimuth about y, then raised by elevation (degrees)."""
    d = np.asarray(direction, dtype=np.float64)
    a = np.radians(azimuth_deg)
    ry = np.array([[np.cos(a), 0, np.sin(a)], [0, 1, 0], [-np.sin(a), 0, np.cos(a)]])
    d = ry @ d
    horizontal = np.hypot(d[0], d[2])
    elevation = np.arctan2(d[1], horizontal) + np.radians(elevation_deg)
    scale = np.cos(elevation) / max(horizontal, 1e-12)
    out = np.array([d[0] * scale, np.sin(elevation), d[2] * scale])
    return out / np.linalg.norm(out)


def shade_colours(colours, gloss, shininess, normals, view_dirs, lights, ambient):
    """RGB in [0, 1] of surface samples that carry their own colour (real models' materials and
    textures, lib/rendering/render_shapes.py): the diffuse and highlight terms of shade_rgb, with the
    colour (N, 3), gloss (N,) and shininess (N,) given per sample instead of per Material."""
    away = np.einsum('nk,nk->n', normals, view_dirs) > 0
    n = normals * np.where(away, -1.0, 1.0)[:, None]   # towards the camera; times -1.0 is exact
    diffuse = _diffuse(n, lights, ambient)
    rgb = ALBEDO_PER_COLOUR * np.asarray(colours, dtype=np.float64) * diffuse[:, None]
    shiny = np.flatnonzero(np.asarray(gloss) > 0)
    if shiny.size:
        highlight = _highlight(np.ascontiguousarray(normals[shiny].T), np.ascontiguousarray(view_dirs[shiny].T),
                               np.where(away[shiny], -1.0, 1.0), lights, np.asarray(shininess)[shiny])
        rgb[shiny] += (np.asarray(gloss)[shiny] * highlight)[:, None]
    return np.clip(rgb, 0.0, 1.0)
