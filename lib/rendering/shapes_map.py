"""Which models of a folder `render-shapes` renders, as what, and how they stand.

Either a YAML map (the interface with the source fetchers; docs/real-shapes.md):

    source: sweethome3d-blendswap-cc0      # the collection's name (reports, manifest)
    terms: "CC0 1.0 (public domain)"       # the collection's terms; an entry's own `terms` overrides
    up: +y                                 # the up axis in its files (+x -x +y -y +z -z)
    front: +z                              # the axis its objects' fronts face
    models:                                # first matching entry wins; globs relative to SRC
      - glob: "blendswap-cc-0/armchair/armchair.obj"
        synset: "03001627"                 # one of the 13 R2N2 synsets, or "skip"
        id: "sh3d-cc0-armchair"            # optional model folder name (default: from the path)
        terms: "CC-BY 3.0, Absfrm"         # optional
        up: +y                             # optional per-entry up / front
        front: -x

or, without a map, a ShapeNetCore folder: v1 (<synset>/<id>/model.obj, already in ShapeNet's frame)
or v2 (<synset>/<id>/models/model_normalized.obj: y up, fronts towards -z, turned a quarter about y
to v1's axes; docs/real-shapes.md says how that turn was checked).

A glob's `*` also matches `/` (fnmatch), so "chairs/*.obj" takes every .obj below chairs/.
"""
import dataclasses
import fnmatch
import os
import pathlib
import re

import numpy as np

from datasets.embedded.generator import SYNSETS

MESH_SUFFIXES = ('.obj', '.off', '.ply', '.stl', '.glb', '.gltf')
AXES = {'+x': (1, 0, 0), '-x': (-1, 0, 0), '+y': (0, 1, 0), '-y': (0, -1, 0), '+z': (0, 0, 1), '-z': (0, 0, -1)}
ENTRY_KEYS = {'glob', 'synset', 'id', 'terms', 'up', 'front'}
MAP_KEYS = {'source', 'terms', 'up', 'front', 'models'}
# ShapeNetCore's own layouts: (layout name, mesh path inside <synset>/<id>/, up, front)
SHAPENET_LAYOUTS = (('shapenetcore-v1', 'model.obj', '+y', '+x'),
                    ('shapenetcore-v2', 'models/model_normalized.obj', '+y', '-z'))
SHAPENET_TERMS = 'ShapeNet terms of use (research and education only; no redistribution of the models)'


class ShapesError(ValueError):
    """A map or source folder that render-shapes cannot use: one line saying why."""


def rotation_to_shapenet(up, front):
    """The rotation taking a collection's axes to ShapeNet's: up -> +y, front -> +x."""
    u, f = (np.array(AXES[a], dtype=np.float64) for a in (up, front))
    if abs(float(u @ f)) > 0:
        raise ShapesError(f'up {up} and front {front} must be different axes')
    return np.stack([f, u, np.cross(f, u)])   # rows: R f = x, R u = y, R (f x u) = z


@dataclasses.dataclass(frozen=True)
class Job:
    path: str          # the model file, or the zip archive holding it
    rel: str           # its path relative to SRC (inside an archive: archive.zip/member)
    synset: str
    mid: str           # the model folder name
    up: str
    front: str
    terms: str
    member: str = ''   # its path inside the zip archive, if in one

    def record(self):
        return {'file': self.rel, 'synset': self.synset, 'terms': self.terms}


@dataclasses.dataclass
class Found:
    source: str
    terms: str
    layout: str
    jobs: list
    skipped: dict      # relative path -> reason
    loud: dict         # relative path -> True where the skip gets its own line
    unmapped: int = 0  # model files no entry matched


def _axis(value, where):
    if value not in AXES:
        raise ShapesError(f'{where}: axis {value!r} is not one of {" ".join(AXES)}')
    return value


def _model_id(rel):
    """A model folder name from a path relative to SRC: 'a/b c/d.obj' -> 'a-b_c-d'."""
    stem = os.path.splitext(rel)[0].replace('\\', '/').strip('/')
    return re.sub(r'[^A-Za-z0-9._-]+', '_', stem.replace('/', '-')).strip('._') or 'model'


def load_map(path):
    """The map as a dict, checked: a ShapesError names the first problem."""
    import yaml
    try:
        with open(path) as f:
            data = yaml.safe_load(f)
    except FileNotFoundError:
        raise ShapesError(f'{path}: no such map file') from None
    except (OSError, yaml.YAMLError) as e:
        raise ShapesError(f'{path}: unreadable map ({(str(e).splitlines() or [""])[0]})') from None
    if not isinstance(data, dict):
        raise ShapesError(f'{path}: a map is a YAML mapping with source, terms, up, front and models')
    unknown = sorted(set(data) - MAP_KEYS)
    if unknown:
        raise ShapesError(f'{path}: unknown key {unknown[0]!r} (known: {", ".join(sorted(MAP_KEYS))})')
    for key in ('source', 'terms'):
        if not isinstance(data.get(key), str) or not data[key].strip():
            raise ShapesError(f'{path}: {key!r} must be a non-empty text')
    if not re.fullmatch(r'[A-Za-z0-9._-]+', data['source']):
        raise ShapesError(f'{path}: source {data["source"]!r} may hold only letters, digits, . _ -')
    _axis(data.get('up', '+y'), f'{path}: up')
    _axis(data.get('front', '+x'), f'{path}: front')
    models = data.get('models')
    if not isinstance(models, list) or not models:
        raise ShapesError(f'{path}: models must be a non-empty list of entries')
    for i, entry in enumerate(models, 1):
        where = f'{path}: models entry {i}'
        if not isinstance(entry, dict):
            raise ShapesError(f'{where}: an entry is a mapping with glob and synset')
        unknown = sorted(set(entry) - ENTRY_KEYS)
        if unknown:
            raise ShapesError(f'{where}: unknown key {unknown[0]!r} (known: {", ".join(sorted(ENTRY_KEYS))})')
        if not isinstance(entry.get('glob'), str) or not entry['glob'].strip():
            raise ShapesError(f'{where}: glob must be a non-empty text')
        synset = entry.get('synset', '')
        if isinstance(synset, int):   # YAML reads 03001627 unquoted as a number
            raise ShapesError(f'{where}: synset {synset} is a number; quote it ("03001627")')
        if synset != 'skip' and synset not in SYNSETS:
            raise ShapesError(f'{where}: synset {synset!r} is not one of the 13 R2N2 synsets or "skip"')
        if 'id' in entry and not re.fullmatch(r'[A-Za-z0-9][A-Za-z0-9._-]*', str(entry['id'])):
            raise ShapesError(f'{where}: id {entry["id"]!r} may hold only letters, digits, . _ -')
        for key in ('up', 'front'):
            if key in entry:
                _axis(entry[key], f'{where}: {key}')
        rotation_to_shapenet(entry.get('up', data.get('up', '+y')), entry.get('front', data.get('front', '+x')))
    return data


def _model_files(src):
    """{relative path: (file, zip member or '')} of the model files under src, zip archives' members
    included (as archive.zip/member), sorted by path."""
    import zipfile
    found = {}
    for folder, dirs, files in os.walk(src):
        dirs[:] = sorted(d for d in dirs if not d.startswith('.'))
        for name in files:
            path = os.path.join(folder, name)
            rel = os.path.relpath(path, src).replace(os.sep, '/')
            if name.lower().endswith(MESH_SUFFIXES):
                found[rel] = (path, '')
            elif name.lower().endswith('.zip'):
                try:
                    with zipfile.ZipFile(path) as archive:
                        members = archive.namelist()
                except (OSError, zipfile.BadZipFile) as e:
                    raise ShapesError(f'{path}: unreadable zip archive ({e})') from None
                for member in members:
                    if member.lower().endswith(MESH_SUFFIXES) and not member.startswith('__MACOSX/'):
                        found[f'{rel}/{member}'] = (path, member)
    return dict(sorted(found.items()))


def _from_map(src, data):
    found = Found(data['source'], data['terms'], 'map', [], {}, {})
    ids = {}
    for rel, (path, member) in _model_files(src).items():
        entry = next((e for e in data['models'] if fnmatch.fnmatchcase(rel, e['glob'])), None)
        if entry is None:
            found.unmapped += 1
            continue
        if str(entry['synset']) == 'skip':
            found.skipped[rel] = 'skip in the map'
            continue
        mid = str(entry.get('id') or _model_id(rel))
        if mid in ids:
            found.skipped[rel] = f'duplicate id ({mid} is also {ids[mid]})'
            found.loud[rel] = True
            continue
        ids[mid] = rel
        found.jobs.append(Job(path, rel, str(entry['synset']), mid, entry.get('up', data.get('up', '+y')),
                              entry.get('front', data.get('front', '+x')), entry.get('terms', data['terms']),
                              member))
    return found


def _shapenet(src):
    """Jobs of a ShapeNetCore v1 or v2 folder (its synset folders, or the zip archives it is shipped
    in); None if src is neither."""
    files = _model_files(src)
    for layout, inner, up, front in SHAPENET_LAYOUTS:
        pattern = re.compile(r'(?:.*/)?(\d{8})/([^/]+)/' + re.escape(inner))
        models = [(rel, m.group(1), m.group(2)) for rel in files for m in [pattern.fullmatch(rel)] if m]
        if not models:
            continue
        found = Found(layout, SHAPENET_TERMS, layout, [], {}, {})
        ids = set()
        for rel, synset, mid in models:
            if synset not in SYNSETS:
                found.skipped[rel] = 'not an R2N2 category'
            elif (synset, mid) in ids:
                found.skipped[rel] = 'duplicate id'
                found.loud[rel] = True
            else:
                ids.add((synset, mid))
                found.jobs.append(Job(files[rel][0], rel, synset, mid, up, front, SHAPENET_TERMS, files[rel][1]))
        return found
    return None


def find_models(src, shapes_map=None):
    """What to render from src: a Found (jobs, skips). ShapesError for a bad map or folder."""
    src = pathlib.Path(src)
    if not src.is_dir():
        raise ShapesError(f'{src}: no such folder')
    if shapes_map is not None:
        return _from_map(src, load_map(shapes_map))
    found = _shapenet(src)
    if found is None:
        raise ShapesError(f'{src} is neither ShapeNetCore v1 (<synset>/<id>/model.obj) nor v2 '
                          f'(<synset>/<id>/models/model_normalized.obj); give a map (--map MAP.yaml)')
    return found
