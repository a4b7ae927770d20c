"""A 3D model file of a real collection as one triangle mesh with the looks its file gives it.

trimesh reads the formats (.obj with its .mtl and texture images, .off, .ply, .stl, .glb/.gltf); the
scene's node transforms are applied, every geometry is merged into one mesh, and each face keeps its
own look: a colour (the .mtl's Kd, glTF's base colour, or the face/vertex colours of a .ply or .glb),
a diffuse texture with the face's UVs where the file has one, and a highlight from the specular terms.
A face whose file gives it nothing (an .stl, an .off, an .obj without .mtl) is marked as such, so the
caller can give it its category's material instead.

Textures replace the colour, as Blender's OBJ importer (which made the ShapeNet renderings) applies a
map_Kd image; glTF's base colour factor multiplies its texture, as the glTF specification says.
Every failure to read a file is a ModelSkipped with a short reason: the caller skips the model.
"""
import dataclasses
import functools

import numpy as np

GREY = (0.78, 0.78, 0.78)     # a face with no colour of its own, until the caller gives it one
MAX_TEXTURE_SIDE = 1024       # larger textures are shrunk: the renderings are 137 px wide


class ModelSkipped(Exception):
    """A model that cannot be rendered (unreadable, empty, degenerate): the message says why."""


@dataclasses.dataclass
class LookedMesh:
    vertices: np.ndarray          # (V, 3) float64
    faces: np.ndarray             # (F, 3) int64
    colour: np.ndarray            # (F, 3) in [0, 1]
    gloss: np.ndarray             # (F,) highlight strength in [0, 1]
    shininess: np.ndarray         # (F,) Blinn-Phong exponent
    own: np.ndarray               # (F,) bool: the file gave the face a colour or texture
    texture: np.ndarray           # (F,) int index into textures, -1 = none
    uv: np.ndarray                # (F, 3, 2) the face's corner UVs (zeros without a texture)
    textures: list                # of ((H, W, 3) uint8 image, RGB factor in [0, 1]) pairs

    def sample_colours(self, tri, points):
        """Colour (N, 3) of samples at world points on triangles tri: the face colour, or its texture
        looked up at the point's UV (barycentric interpolation of the corners, repeated outside [0, 1],
        nearest texel; the renderer's supersampling filters it)."""
        colours = self.colour[tri].copy()
        textured = np.flatnonzero(self.texture[tri] >= 0)
        if textured.size == 0:
            return colours
        t = tri[textured]
        corners = self.vertices[self.faces[t]]                       # (N, 3, 3)
        weights = barycentric(corners, points[textured])
        uv = np.einsum('nk,nkd->nd', weights, self.uv[t])
        for k, (image, factor) in enumerate(self.textures):
            sel = np.flatnonzero(self.texture[t] == k)
            if sel.size == 0:
                continue
            h, w = image.shape[:2]
            u, v = uv[sel, 0] % 1.0, uv[sel, 1] % 1.0
            col = np.minimum((u * w).astype(np.int64), w - 1)
            row = np.minimum(((1.0 - v) * h).astype(np.int64), h - 1)   # UV origin at the bottom left
            colours[textured[sel]] = image[row, col] * (factor / 255.0)
        return colours


def barycentric(corners, points):
    """Barycentric weights (N, 3) of points (N, 3) in triangles (N, 3, 3) (points lie in their planes)."""
    a = corners[:, 0]
    e1, e2, p = corners[:, 1] - a, corners[:, 2] - a, points - a
    d11, d12, d22 = (np.einsum('nk,nk->n', x, y) for x, y in ((e1, e1), (e1, e2), (e2, e2)))
    p1, p2 = np.einsum('nk,nk->n', p, e1), np.einsum('nk,nk->n', p, e2)
    det = d11 * d22 - d12 * d12
    det = np.where(np.abs(det) < 1e-30, 1e-30, det)
    w1 = (d22 * p1 - d12 * p2) / det
    w2 = (d11 * p2 - d12 * p1) / det
    return np.clip(np.stack([1.0 - w1 - w2, w1, w2], axis=1), 0.0, 1.0)


def _short(error):
    words = (str(error).splitlines() or [''])[0]
    words = words if len(words) <= 80 else words[:77] + '...'
    return f'{type(error).__name__}: {words}' if words else type(error).__name__


def _texture_array(image):
    """(H, W, 3) uint8 array of a PIL image (alpha dropped, large ones shrunk; uint8, as a model may
    have dozens of textures)."""
    from PIL import Image
    image = image.convert('RGB')
    if max(image.size) > MAX_TEXTURE_SIDE:
        image.thumbnail((MAX_TEXTURE_SIDE, MAX_TEXTURE_SIDE), Image.BILINEAR)
    return np.asarray(image, dtype=np.uint8)


def _rgb(values, default=None):
    """RGB in [0, 1] of a colour trimesh gives as 0-255 integers or 0-1 floats (RGB or RGBA)."""
    if values is None:
        return default
    values = np.asarray(values)
    integers = values.dtype.kind in 'ui'
    values = values.astype(np.float64).ravel()[:3]
    if values.size < 3:
        return default
    return np.clip(values / 255.0 if integers else values, 0.0, 1.0)


def _material_look(material):
    """(colour, gloss, shininess, PIL image or None) of a trimesh material (the colour is Kd or glTF's
    base colour factor, also where a texture is given)."""
    if hasattr(material, 'baseColorFactor') or hasattr(material, 'baseColorTexture'):   # glTF
        colour = _rgb(getattr(material, 'baseColorFactor', None), np.ones(3))
        image = getattr(material, 'baseColorTexture', None)
        rough = getattr(material, 'roughnessFactor', None)
        rough = 1.0 if rough is None else float(rough)
        return colour, 0.4 * (1.0 - rough), 10.0 + 70.0 * (1.0 - rough), image
    colour = _rgb(getattr(material, 'diffuse', None), np.array(GREY))
    image = getattr(material, 'image', None)
    specular = _rgb(getattr(material, 'specular', None), np.zeros(3))
    shininess = getattr(material, 'glossiness', None)
    shininess = 20.0 if shininess is None else float(np.clip(shininess, 5.0, 100.0))
    return colour, float(0.3 * specular.mean()), shininess, image


def _geometry_look(mesh, textures):
    """Per-face (colour, gloss, shininess, own, texture index, uv) of one trimesh geometry."""
    n = len(mesh.faces)
    colour = np.tile(np.asarray(GREY), (n, 1))
    gloss, shininess = np.zeros(n), np.full(n, 20.0)
    own, texture, uv = np.zeros(n, bool), np.full(n, -1), np.zeros((n, 3, 2))
    visual = mesh.visual
    kind = getattr(visual, 'kind', None)
    if kind == 'texture' and getattr(visual, 'material', None) is not None:
        c, g, shine, image = _material_look(visual.material)
        corners = getattr(visual, 'uv', None)
        if image is not None and corners is not None and len(corners) == len(mesh.vertices):
            # glTF: the base colour factor multiplies the texture; .mtl: the texture replaces Kd
            factor = c if hasattr(visual.material, 'baseColorFactor') else np.ones(3)
            textures.append((_texture_array(image), factor))
            texture[:] = len(textures) - 1
            uv = np.asarray(corners, dtype=np.float64)[mesh.faces]
            c = np.ones(3)
        colour[:] = c
        gloss[:], shininess[:], own[:] = g, shine, True
    elif kind in ('face', 'vertex'):
        colour = np.asarray(visual.face_colors, dtype=np.float64)[:, :3] / 255.0
        own[:] = True
    return colour, gloss, shininess, own, texture, uv


def _zip_resolver(archive, member):
    """A trimesh resolver reading the files a zip member refers to (its .mtl, textures, buffers),
    by paths relative to the member's folder."""
    import posixpath
    from trimesh.resolvers import Resolver
    folder = posixpath.dirname(member)
    by_lower = {name.lower(): name for name in archive.namelist()}

    class ZipMembers(Resolver):
        def __init__(self):
            pass

        def keys(self):
            return archive.namelist()

        def get(self, name):
            path = posixpath.normpath(posixpath.join(folder, str(name).replace('\\', '/')))
            return archive.read(by_lower.get(path.lower(), path))

        def write(self, name, data):
            raise NotImplementedError('a zip archive is read only')

        def namespaced(self, namespace):
            return _zip_resolver(archive, posixpath.join(folder, namespace, 'x'))

    return ZipMembers()


def _load_scene(path, member=''):
    """trimesh's scene of a model file, or of a member of a zip archive (member: its path inside)."""
    import trimesh
    if not member:
        return trimesh.load(str(path), force='scene', process=False)
    import io
    archive = _open_zip(str(path))
    data = archive.read(member)
    return trimesh.load(io.BytesIO(data), file_type=member.rsplit('.', 1)[-1].lower(), force='scene',
                        process=False, resolver=_zip_resolver(archive, member))


@functools.lru_cache(maxsize=4)
def _open_zip(path):
    """An archive opened once per process: a ShapeNet category's zip lists 100,000 files, and reading
    that list for each of its models would cost more than rendering them."""
    import zipfile
    return zipfile.ZipFile(path)


def load_model(path, member=''):
    """The LookedMesh of a model file (or of a zip archive's member); ModelSkipped (one short reason)
    if it cannot be rendered."""
    import os
    import trimesh
    try:
        if not member and os.path.getsize(path) == 0:
            raise ModelSkipped('empty file')
        scene = _load_scene(path, member)
        geometries = [g for g in scene.dump() if isinstance(g, trimesh.Trimesh)]
    except ModelSkipped:
        raise
    except Exception as e:   # trimesh raises whatever its parsers meet
        raise ModelSkipped(f'unreadable ({_short(e)})') from None
    parts, textures, offset = [], [], 0
    for mesh in geometries:
        faces = np.asarray(mesh.faces, dtype=np.int64).reshape(-1, 3)
        vertices = np.asarray(mesh.vertices, dtype=np.float64).reshape(-1, 3)
        if len(faces) == 0:
            continue
        if faces.min() < 0 or faces.max() >= len(vertices):
            raise ModelSkipped('broken mesh (a face refers to a vertex that does not exist)')
        try:
            look = _geometry_look(mesh, textures)
        except Exception as e:   # a texture that does not decode, odd visuals
            raise ModelSkipped(f'unreadable materials ({_short(e)})') from None
        parts.append((vertices, faces + offset, look))
        offset += len(vertices)
    if not parts:
        raise ModelSkipped('empty mesh (no faces)')
    vertices = np.concatenate([p[0] for p in parts])
    if not np.isfinite(vertices).all():
        raise ModelSkipped('broken mesh (a vertex coordinate is not finite)')
    faces = np.concatenate([p[1] for p in parts])
    looks = [np.concatenate([p[2][k] for p in parts]) for k in range(6)]
    return LookedMesh(vertices, faces, *looks, textures)
