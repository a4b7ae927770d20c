"""AC3D (.ac) models, the format of FlightGear's and CRRCsim's aircraft and ships, as OBJ + MTL.

trimesh does not read .ac; the format is simple text (https://www.inivis.com/ac3d/man/ac3dfileformat.html
describes it): MATERIAL lines, then a tree of OBJECTs, each with an optional texture (and texrep /
texoff), a location relative to its parent (loc; rot where present), its vertices, and surfaces
(SURF flags: type in the low nibble, 0 = polygon, 1 and 2 = lines; mat: a MATERIAL index; refs:
vertex index, u, v). Polygons become triangle fans; lines are dropped (they have no area). Each
(material, texture) pair becomes one OBJ material: diffuse colour from the material, the texture
converted to PNG (SGI .rgb, the usual FlightGear format, is not read by every OBJ consumer).
"""
import hashlib
import os
import re

import numpy as np

from datasets.real.sources import ShapeSourceError

MAX_TEXTURE = 512   # longest side of a converted texture: the renderings are 137 pixels


class _Lines:
    def __init__(self, text, path):
        self.lines = text.replace('\r\n', '\n').replace('\r', '\n').split('\n')
        self.i, self.path = 0, path

    def next(self):
        while self.i < len(self.lines):
            line = self.lines[self.i].strip()
            self.i += 1
            if line:
                return line
        raise ShapeSourceError(f'{self.path}: truncated AC3D file (ended at line {self.i})')

    def at_end(self):
        while self.i < len(self.lines) and not self.lines[self.i].strip():
            self.i += 1
        return self.i >= len(self.lines)

    def fail(self, why):
        raise ShapeSourceError(f'{self.path}: line {self.i}: {why}')


def _floats(words, n, lines):
    try:
        values = [float(w) for w in words[:n]]
    except ValueError:
        lines.fail(f'expected {n} numbers, got {" ".join(words[:n])!r}')
    if len(values) != n:
        lines.fail(f'expected {n} numbers, got {len(values)}')
    return values


def _quoted(line):
    match = re.search(r'"([^"]*)"', line)
    return match.group(1) if match else line.split(None, 1)[-1]


def read_ac(path):
    """(materials [(r, g, b)], parts [{vertices (V,3), faces (F,3), uvs (F,3,2) or None, materials (F,),
    texture, name}]) of an .ac file, in world coordinates; a ShapeSourceError names a bad file."""
    try:
        with open(path, encoding='latin-1') as f:
            text = f.read()
    except OSError as e:
        raise ShapeSourceError(f'{path}: cannot read ({e.strerror or e})') from None
    lines = _Lines(text, path)
    if not lines.next().startswith('AC3D'):
        raise ShapeSourceError(f'{path}: not an AC3D file (no AC3D header)')
    materials, parts = [], []
    line = lines.next()
    while line.startswith('MATERIAL') or line.startswith('MAT '):
        rgb = re.search(r'\brgb\s+(\S+)\s+(\S+)\s+(\S+)', line)
        materials.append(tuple(float(v) for v in rgb.groups()) if rgb else (0.7, 0.7, 0.7))
        line = lines.next()
    if not line.startswith('OBJECT'):
        lines.fail(f'expected OBJECT, got {line[:40]!r}')
    _read_object(lines, np.eye(3), np.zeros(3), parts)
    return materials, parts


def _read_object(lines, parent_rot, parent_loc, parts):
    """Read one OBJECT (its header line already consumed) and its kids; append its polygons to parts."""
    rot, loc, name = np.eye(3), np.zeros(3), ''
    texture, texrep, texoff = None, np.ones(2), np.zeros(2)
    vertices = np.zeros((0, 3))
    faces, uvs, mats = [], [], []
    while True:
        line = lines.next()
        words = line.split()
        key = words[0].lower()
        if key == 'data':
            length = int(words[1])
            taken = 0
            while taken < length:   # the data block may span lines; its newlines count too
                taken += len(lines.lines[lines.i]) + 1
                lines.i += 1
        elif key == 'name':
            name = _quoted(line)
        elif key == 'texture':
            texture = _quoted(line)
        elif key == 'texrep':
            texrep = np.array(_floats(words[1:], 2, lines))
        elif key == 'texoff':
            texoff = np.array(_floats(words[1:], 2, lines))
        elif key == 'rot':
            rot = np.array(_floats(words[1:], 9, lines)).reshape(3, 3)
        elif key == 'loc':
            loc = np.array(_floats(words[1:], 3, lines))
        elif key == 'numvert':
            vertices = np.array([_floats(lines.next().split(), 3, lines) for _ in range(int(words[1]))])
            vertices = vertices.reshape(-1, 3)
        elif key == 'numsurf':
            for _ in range(int(words[1])):
                _read_surface(lines, len(vertices), faces, uvs, mats)
        elif key == 'kids':
            # this object's frame: its vertices and its kids are placed by rot then loc in the parent's
            world_rot, world_loc = parent_rot @ rot, parent_rot @ loc + parent_loc
            if faces:
                uv = np.array(uvs) * texrep + texoff
                parts.append({'vertices': vertices @ world_rot.T + world_loc, 'faces': np.array(faces),
                              'uvs': uv if texture else None, 'materials': np.array(mats), 'texture': texture,
                              'name': name})
            for _ in range(int(words[1])):
                if lines.at_end():   # some exporters count one kid too many; their readers stop here too
                    return
                header = lines.next()
                if not header.startswith('OBJECT'):
                    lines.fail(f'expected OBJECT, got {header[:40]!r}')
                _read_object(lines, world_rot, world_loc, parts)
            return
        # crease, url, subdiv and unknown keys carry nothing the shape needs


def _read_surface(lines, n_vertices, faces, uvs, mats):
    flags = lines.next().split()
    if flags[0] != 'SURF':
        lines.fail(f'expected SURF, got {flags[0]!r}')
    kind = int(flags[1], 16) & 0xF
    material, refs = 0, None
    while refs is None:
        words = lines.next().split()
        if words[0] == 'mat':
            material = int(words[1])
        elif words[0] == 'refs':
            refs = [lines.next().split() for _ in range(int(words[1]))]
    if kind != 0 or len(refs) < 3:
        return   # a line or a degenerate polygon: no area
    try:
        index = [int(r[0]) for r in refs]
        uv = [(float(r[1]), float(r[2])) if len(r) >= 3 else (0.0, 0.0) for r in refs]
    except (ValueError, IndexError):
        lines.fail('bad surface reference')
    if max(index) >= n_vertices or min(index) < 0:
        lines.fail('a surface refers to a vertex that does not exist')
    for k in range(1, len(index) - 1):   # a fan: AC3D polygons are convex in practice
        faces.append((index[0], index[k], index[k + 1]))
        uvs.append((uv[0], uv[k], uv[k + 1]))
        mats.append(material)


def geometry_key(parts):
    """A hash of the vertex positions (rounded to 0.1 mm): the same geometry under another livery
    or file name is the same model."""
    if not parts:
        return None
    v = np.concatenate([p['vertices'] for p in parts])
    return hashlib.sha1(np.round(v, 4).astype(np.float32).tobytes()).hexdigest()


def _convert_texture(source, target):
    """source image -> target PNG, at most MAX_TEXTURE pixels a side; False if it cannot be read."""
    from PIL import Image
    try:
        with Image.open(source) as image:
            image = image.convert('RGBA')
            if max(image.size) > MAX_TEXTURE:
                image.thumbnail((MAX_TEXTURE, MAX_TEXTURE))
            from lib.output.atomic import atomic_write
            atomic_write(target, lambda tmp: image.save(tmp, format='PNG'))
        return True
    except (OSError, ValueError, SyntaxError):   # PIL: unknown format, truncated file, bad header
        return False


def write_obj(ac_path, materials, parts, obj_path):
    """Write parts as obj_path (+ .mtl and PNG textures beside it). Returns the texture files that
    were named but could not be found or read (the colour is kept for those)."""
    from lib.output.atomic import atomic_write_text
    folder = os.path.dirname(obj_path)
    stem = os.path.splitext(os.path.basename(obj_path))[0]
    os.makedirs(folder, exist_ok=True)
    out, mtl, missing, textures, names = [f'mtllib {stem}.mtl'], [], [], {}, {}
    v_base = vt_base = 0   # OBJ indices are 1-based and global: counts written so far
    for part in parts:
        png = _texture_png(ac_path, part['texture'], folder, textures, missing) if part['texture'] else None
        out += [f'v {x:.6g} {y:.6g} {z:.6g}' for x, y, z in part['vertices']]
        if png:   # three texture coordinates per triangle, in triangle order
            out += [f'vt {u:.6g} {v:.6g}' for u, v in part['uvs'].reshape(-1, 2)]
        for m in np.unique(part['materials']):
            key = (int(m), png)
            if key not in names:
                names[key] = f'm{len(names)}'
                r, g, b = materials[int(m)] if int(m) < len(materials) else (0.7, 0.7, 0.7)
                mtl += [f'newmtl {names[key]}', f'Kd {r:.4g} {g:.4g} {b:.4g}'] + ([f'map_Kd {png}'] if png else [])
            out.append(f'usemtl {names[key]}')
            for k in np.flatnonzero(part['materials'] == m):
                a, b, c = part['faces'][k] + v_base + 1
                if png:
                    t = vt_base + 3 * k + 1
                    out.append(f'f {a}/{t} {b}/{t + 1} {c}/{t + 2}')
                else:
                    out.append(f'f {a} {b} {c}')
        v_base += len(part['vertices'])
        vt_base += 3 * len(part['faces']) if png else 0
    atomic_write_text(os.path.join(folder, stem + '.mtl'), '\n'.join(mtl) + '\n')
    atomic_write_text(obj_path, '\n'.join(out) + '\n')
    return missing


def _texture_png(ac_path, texture, folder, textures, missing):
    """The PNG name (in folder) of an .ac texture, converted once; None if it is missing or unreadable."""
    if texture not in textures:
        source = os.path.join(os.path.dirname(ac_path), texture)
        png = re.sub(r'[^A-Za-z0-9._-]+', '_', os.path.splitext(os.path.basename(texture))[0]) + '.png'
        ok = os.path.isfile(source) and _convert_texture(source, os.path.join(folder, png))
        textures[texture] = png if ok else None
        if not ok:
            missing.append(texture)
    return textures[texture]
