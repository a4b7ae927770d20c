"""Sweet Home 3D's default furniture catalog (inside the application's jar, Debian package sweethome3d)
as a shapes map.

The jar holds com/eteks/sweethome3d/io/DefaultFurnitureCatalog.properties (the same name#N,
category#N, model#N, modelRotation#N fields as the add-on catalogs of sweethome3d.py) and the models
(OBJ + MTL + textures) in com/eteks/sweethome3d/io/resources/. Simple low-poly furniture by eTeks,
GPL-2+ like the application (debian/copyright: Files: *). Axes as in every Sweet Home 3D catalog:
y up, fronts +z once modelRotation is applied.
"""
import io
import os
import re
import shutil
import zipfile

from datasets.real.sources import SKIP, SYNSET_OF, ShapeSourceError, category_of, deb_members, download_deb, write_map
from datasets.real.sweethome3d import FRONT, UP, file_axes, parse_properties
from datasets.real.sweethome3d import _rotation as rotation_matrix
from lib.output.atomic import atomic_write_text
from lib.config import CATEGORY_NAMES

NAME = 'sweethome3d-default'
PACKAGE = 'sweethome3d'
JAR = 'usr/share/sweethome3d/sweethome3d.jar'
COPYRIGHT = f'usr/share/doc/{PACKAGE}/copyright'
CATALOG = 'com/eteks/sweethome3d/io/DefaultFurnitureCatalog.properties'
RESOURCES = 'com/eteks/sweethome3d/io/resources/'
TERMS = 'GPL-2+ (Emmanuel Puybaret, eTeks; debian/copyright of sweethome3d)'

# Before the shared rules (sources.py CATEGORY_RULES): the catalog's coloured light sources are small
# balls, a washbasin with a cabinet is a washbasin, the TV unit is a low cabinet with a TV standing on it
# (neither a display nor a cabinet alone)
DEFAULT_RULES = [(r'light source|washbasin|tv unit', SKIP)]


def category_of_entry(name, catalog_category):
    text = name.strip().lower()
    for pattern, category in DEFAULT_RULES:
        if re.search(pattern, text):
            return SKIP if category == SKIP else SYNSET_OF[category]
    return category_of(name, catalog_category)


def read_default_catalog(jar):
    """(entries, {path: bytes} of the resources) of the application's jar (bytes or a path)."""
    try:
        with zipfile.ZipFile(io.BytesIO(jar) if isinstance(jar, bytes) else jar) as z:
            names = set(z.namelist())
            if CATALOG not in names:
                raise ShapeSourceError(f'{JAR}: no {CATALOG} in the jar')
            props = parse_properties(z.read(CATALOG).decode('iso-8859-1'))
            files = {p: z.read(p) for p in sorted(names) if p.startswith(RESOURCES) and not p.endswith('/')}
    except (zipfile.BadZipFile, EOFError) as e:
        raise ShapeSourceError(f'{JAR}: corrupt jar ({e})') from None
    entries = []
    for n in sorted({int(k.split('#')[1]) for k in props if re.fullmatch(r'model#\d+', k)}):
        name, category = props.get(f'name#{n}', ''), props.get(f'category#{n}', '')
        path = props[f'model#{n}'].lstrip('/')
        entry = {'glob': path, 'synset': category_of_entry(name, category),
                 'id': f'sh3d-default-{n:03d}-{os.path.splitext(os.path.basename(path))[0]}',
                 'comment': f'{name} ({category})'}
        if props.get(f'doorOrWindow#{n}') == 'true':
            entry['synset'] = SKIP
        try:
            up, front = file_axes(rotation_matrix(props.get(f'modelRotation#{n}')))
        except ValueError as e:
            raise ShapeSourceError(f'{CATALOG}: model #{n}: {e}') from None
        if up is None or front is None:
            entry['synset'], entry['comment'] = SKIP, entry['comment'] + ': skipped, modelRotation is not a turn between axes'
        elif (up, front) != (UP, FRONT):
            entry['up'], entry['front'] = up, front
        if path not in files and entry['synset'] != SKIP:
            entry['synset'], entry['comment'] = SKIP, entry['comment'] + ': skipped, its model file is missing'
        entries.append(entry)
    return entries, files


def fetch(out, deb=None):
    """Build <out>/sweethome3d-default/ (the catalog's resources, map.yaml, ATTRIBUTION.md, the package's
    copyright) from the sweethome3d package (deb, or apt-get download). Returns (folder, entries)."""
    deb = deb or download_deb(PACKAGE, os.path.join(out, '.download'))
    members = deb_members(deb, lambda p: p in (JAR, COPYRIGHT))
    if JAR not in members:
        raise ShapeSourceError(f'{deb}: no {JAR} in this package')
    entries, files = read_default_catalog(members[JAR])
    final = os.path.join(out, NAME)
    staging = final + '.partial'
    if os.path.exists(staging):
        shutil.rmtree(staging)
    for path, data in files.items():   # all resources (5 MB): an .obj's .mtl and textures lie beside it
        target = os.path.join(staging, *path.split('/'))
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, 'wb') as f:
            f.write(data)
    os.makedirs(staging, exist_ok=True)
    if COPYRIGHT in members:
        atomic_write_text(os.path.join(staging, 'debian-copyright.txt'), members[COPYRIGHT].decode('utf-8', 'replace'))
    header = (f"Sweet Home 3D's default furniture catalog (Debian {PACKAGE}, {os.path.basename(deb)}), written by "
              f'./run.sh get-shapes {NAME}.\nCategories: datasets/real/sweethome3d_default.py DEFAULT_RULES, then '
              'sources.py CATEGORY_RULES, on each catalog name (above its entry).\n'
              'Axes: y up, fronts towards +z; entries with a modelRotation give their own.')
    write_map(os.path.join(staging, 'map.yaml'), NAME, TERMS, UP, FRONT, entries, header)
    used = [e for e in entries if e['synset'] != SKIP]
    lines = ["# Attribution: Sweet Home 3D's default furniture catalog", '', f'Terms: {TERMS}.', '',
             'Models by eTeks from the application sweethome3d.jar, rendered into the R2N2 layout. The '
             "package's copyright file is beside this file.", '', '| id | model | category |', '|---|---|---|']
    lines += [f'| {e["id"]} | {e["comment"]} | {CATEGORY_NAMES[e["synset"]]} |' for e in used]
    atomic_write_text(os.path.join(staging, 'ATTRIBUTION.md'), '\n'.join(lines) + '\n')
    if os.path.exists(final):
        shutil.rmtree(final)
    os.replace(staging, final)
    return final, entries
