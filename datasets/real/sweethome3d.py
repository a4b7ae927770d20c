"""Sweet Home 3D's furniture libraries (Debian package sweethome3d-furniture) as a shapes map.

The package ships five catalogs (.sh3f: zip files) under usr/share/sweethome3d/furniture/. Each holds
PluginFurnitureCatalog.properties (a Java properties file: name#N, category#N, model#N, creator#N,
width#N/depth#N/height#N in cm, modelRotation#N where the OBJ is not stored upright), LICENSE.TXT,
and one folder per model (OBJ + MTL + textures; Blend Swap models with their BLENDSWAP_LICENSE.txt).
Their top folders (blendswap-cc-0, blendswap-cc-by, katorlegaz, reallusion, scopia) are distinct, so
all are extracted side by side and a map's globs are the catalogs' own model paths.

Axes (docs/shape-sources.md says how they were checked): Sweet Home 3D stores a model y up with its
front towards +z once modelRotation (a row-major 3x3 matrix R, applied as v' = R v) is applied; in
the file itself, up is therefore R's second row and front its third.
"""
import os
import re
import shutil
import zipfile

import numpy as np

from datasets.real.sources import (SKIP, ShapeSourceError, category_counts, category_of, deb_members,
                                   download_deb, write_map)
from lib.output.atomic import atomic_write_text
from lib.config import CATEGORY_NAMES

NAME = 'sweethome3d'
PACKAGE = 'sweethome3d-furniture'
CATALOG_FOLDER = 'usr/share/sweethome3d/furniture/'
COPYRIGHT = f'usr/share/doc/{PACKAGE}/copyright'
UP, FRONT = '+y', '+z'
COLLECTION_TERMS = ('CC0 1.0 and CC-BY 3.0 (Unported or US), per model (each entry\'s terms; CC-BY '
                    'authors in ATTRIBUTION.md)')

# Catalog-wide terms by top folder, from each catalog's LICENSE.TXT and the package's debian/copyright.
# Blend Swap models carry their own BLENDSWAP_LICENSE.txt, which is read instead where present.
CATALOG_TERMS = {
    'blendswap-cc-0': ('CC0 1.0', None),
    'blendswap-cc-by': ('CC-BY 3.0', None),
    'katorlegaz': ('CC-BY 3.0 US', 'Andrew Kator & Jennifer Legaz'),
    'reallusion': ('CC-BY 3.0 US', 'Reallusion (www.reallusion.com)'),
    'scopia': ('CC-BY 3.0', 'Emmanuel Puybaret / eTeks and Scopia Visual Interfaces Systems, s.l.'),
}
CONVERTED = 'converted to OBJ by Emmanuel Puybaret / eTeks'


# ---- catalogs --------------------------------------------------------------------------------------

def _unescape(text):
    text = re.sub(r'\\u([0-9a-fA-F]{4})', lambda m: chr(int(m.group(1), 16)), text)
    return re.sub(r'\\(.)', lambda m: {'n': '\n', 't': '\t'}.get(m.group(1), m.group(1)), text)


def parse_properties(text):
    """A Java .properties file as a dict: comments (# !), continuation lines, \\uXXXX escapes."""
    values, lines, i = {}, text.splitlines(), 0
    while i < len(lines):
        line = lines[i].lstrip()
        i += 1
        if not line or line[0] in '#!':
            continue
        while re.search(r'(?<!\\)(\\\\)*\\$', line) and i < len(lines):   # odd backslashes: continues
            line = line[:-1] + lines[i].lstrip()
            i += 1
        match = re.match(r'((?:\\.|[^=:\s\\])+)\s*[=:\s]?\s*(.*)$', line)
        if match:
            values[_unescape(match.group(1))] = _unescape(match.group(2))
    return values


def _rotation(text):
    """modelRotation's 9 numbers as a 3x3 matrix (rows), or None."""
    if not text:
        return None
    numbers = [float(v) for v in text.split()]
    if len(numbers) != 9:
        raise ValueError(f'modelRotation has {len(numbers)} numbers, not 9')
    return np.array(numbers).reshape(3, 3)


def _nearest_axis(vector):
    """The axis (+x ... -z) a unit vector is closest to, or None if it is not within ~25 degrees."""
    k = int(np.argmax(np.abs(vector)))
    if abs(vector[k]) < 0.9:
        return None
    return ('+' if vector[k] > 0 else '-') + 'xyz'[k]


def file_axes(rotation):
    """(up, front) in the OBJ file's own axes for a model with this modelRotation (None: upright)."""
    if rotation is None:
        return UP, FRONT
    return _nearest_axis(rotation[1]), _nearest_axis(rotation[2])


def read_catalog(sh3f):
    """(models, license text) of one .sh3f; each model a dict of its catalog fields (name, category,
    model path inside the zip, creator, size in cm, rotation) and its own licence text if it has one.
    A missing or corrupt archive is a ShapeSourceError naming it."""
    try:
        with zipfile.ZipFile(sh3f) as z:
            names = set(z.namelist())
            if 'PluginFurnitureCatalog.properties' not in names:
                raise ShapeSourceError(f'{sh3f}: not a furniture catalog (no PluginFurnitureCatalog.properties)')
            props = parse_properties(z.read('PluginFurnitureCatalog.properties').decode('iso-8859-1'))
            licence = z.read('LICENSE.TXT').decode('utf-8', 'replace') if 'LICENSE.TXT' in names else ''
            models = []
            for n in sorted({int(k.split('#')[1]) for k in props if re.fullmatch(r'model#\d+', k)}):
                path = props[f'model#{n}'].lstrip('/')
                folder = os.path.dirname(path)
                own = [p for p in names if p.startswith(folder + '/') and p.lower().endswith('license.txt')]
                try:
                    rotation = _rotation(props.get(f'modelRotation#{n}'))
                    size = tuple(float(props.get(f'{k}#{n}', 'nan')) for k in ('width', 'depth', 'height'))
                except ValueError as e:
                    raise ShapeSourceError(f'{sh3f}: model #{n}: {e}') from None
                models.append({
                    'number': n, 'name': props.get(f'name#{n}', ''), 'category': props.get(f'category#{n}', ''),
                    'path': path, 'creator': props.get(f'creator#{n}', ''), 'size_cm': size,
                    'rotation': rotation, 'in_archive': path in names,
                    'licence': z.read(own[0]).decode('utf-8', 'replace') if own else ''})
    except (zipfile.BadZipFile, EOFError) as e:
        raise ShapeSourceError(f'{sh3f}: corrupt catalog archive ({e})') from None
    except OSError as e:
        raise ShapeSourceError(f'{sh3f}: cannot read the catalog ({e.strerror or e})') from None
    return models, licence


def _model_terms(model):
    """(licence, author, url) of one model: its own Blend Swap licence file, else its catalog's."""
    top = model['path'].split('/')[0]
    licence, author = CATALOG_TERMS.get(top, ('unknown', None))
    url = None
    own = model['licence']
    if own:
        released = re.search(r'Released under\s*\n\s*(.+)', own)
        if released:
            text = released.group(1).strip()
            licence = ('CC0 1.0' if 'Zero' in text else
                       'CC-BY 3.0' if re.search(r'Attribution 3\.0$', text) else text)
        by = re.search(r'Thank you for downloading ".*" by (.+)', own)
        author = by.group(1).strip() if by else author
        where = re.search(r'Downloaded from (\S+)', own)
        url = where.group(1) if where else None
    author = author or model['creator'] or 'unknown'
    return licence, author, url


def map_entries(models):
    """The shapes map's entries of a list of catalog models (read_catalog), in catalog order."""
    entries, seen = [], set()
    for m in models:
        synset = category_of(m['name'], m['category'])
        folder = os.path.dirname(m['path'])
        base = f'sh3d-{folder.replace("/", "-")}'
        ident, k = base, 2
        while ident in seen:   # two catalog entries may share one folder
            ident, k = f'{base}-{k}', k + 1
        seen.add(ident)
        licence, author, url = _model_terms(m)
        if m['path'].split('/')[0].startswith('blendswap'):
            author_text = f'{author} (Blend Swap), {CONVERTED}'
        else:
            author_text = author
        entry = {'glob': re.sub(r'([\[\]*?])', r'[\1]', m['path']), 'synset': synset, 'id': ident,
                 'terms': f'{licence}, {author_text}',
                 'comment': f'{m["name"]} ({m["category"]})', 'name': m['name'], 'licence': licence,
                 'author': author, 'url': url}
        up, front = file_axes(m['rotation'])
        if up is None or front is None:
            entry['synset'] = SKIP
            entry['comment'] += ': skipped, modelRotation is not a turn between axes'
        elif (up, front) != (UP, FRONT):
            entry['up'], entry['front'] = up, front
        if not m['in_archive'] and synset != SKIP:
            entry['synset'] = SKIP
            entry['comment'] += ': skipped, its model file is missing from the catalog'
        entries.append(entry)
    return entries


def attribution_text(entries):
    """ATTRIBUTION.md: every model that is rendered (not skipped), CC-BY ones first, with author and link."""
    used = [e for e in entries if e['synset'] != SKIP]
    lines = ['# Attribution: Sweet Home 3D furniture models used for training', '',
             f'From the Debian package `{PACKAGE}` (Sweet Home 3D additional 3D models, '
             'http://www.sweethome3d.com/importModels.jsp). Models were converted to the R2N2 layout '
             '(rendered and voxelised) by `./run.sh render-shapes`; the original files are unchanged.', '']
    for title, keep in (('CC-BY 3.0 models (attribution required)', lambda e: e['licence'].startswith('CC-BY')),
                        ('CC0 1.0 models (credit given as a courtesy)', lambda e: e['licence'] == 'CC0 1.0')):
        group = [e for e in used if keep(e)]
        lines += [f'## {title}: {len(group)}', '',
                  '| id | model | category | author | licence | source |', '|---|---|---|---|---|---|']
        for e in sorted(group, key=lambda e: (e['author'].lower(), e['id'])):
            lines.append(f'| {e["id"]} | {e["name"]} | {CATEGORY_NAMES[e["synset"]]} | {e["author"]} | '
                         f'{e["licence"]} | {e["url"] or "Sweet Home 3D catalog"} |')
        lines.append('')
    other = [e for e in used if not (e['licence'].startswith('CC-BY') or e['licence'] == 'CC0 1.0')]
    if other:
        raise ShapeSourceError(f'{other[0]["id"]}: unexpected licence {other[0]["licence"]!r}')
    return '\n'.join(lines)


# ---- fetching --------------------------------------------------------------------------------------

def _catalogs_from(deb=None, catalogs=None, download_folder=None):
    """{file name: bytes or path} of the .sh3f catalogs and the package's copyright text (or '')."""
    if catalogs:
        if not os.path.isdir(catalogs):
            raise ShapeSourceError(f'{catalogs}: no such folder of .sh3f catalogs')
        found = {f: os.path.join(catalogs, f) for f in sorted(os.listdir(catalogs)) if f.endswith('.sh3f')}
        if not found:
            raise ShapeSourceError(f'{catalogs}: no .sh3f catalog in this folder')
        return found, ''
    deb = deb or download_deb(PACKAGE, download_folder)
    members = deb_members(deb, lambda p: (p.startswith(CATALOG_FOLDER) and p.endswith('.sh3f')) or p == COPYRIGHT)
    found = {os.path.basename(p): data for p, data in sorted(members.items()) if p.endswith('.sh3f')}
    if not found:
        raise ShapeSourceError(f'{deb}: no .sh3f catalog in {CATALOG_FOLDER} of this package')
    return found, members.get(COPYRIGHT, b'').decode('utf-8', 'replace')


def fetch(out, deb=None, catalogs=None, progress=True):
    """Build <out>/sweethome3d/ (models mapped to a category, licences, map.yaml, ATTRIBUTION.md).

    Built in <out>/sweethome3d.partial and moved into place at the end: an interrupted run leaves the
    previous folder whole. Returns (folder, entries).
    """
    import io
    from lib.output.progress import Progress
    final = os.path.join(out, NAME)
    staging = final + '.partial'
    found, copyright_text = _catalogs_from(deb, catalogs, os.path.join(out, '.download'))
    if os.path.exists(staging):
        shutil.rmtree(staging)
    os.makedirs(staging)
    all_entries = []
    for file_name, data in found.items():
        source = io.BytesIO(data) if isinstance(data, bytes) else data
        models, licence = read_catalog(source)
        if isinstance(data, bytes):
            source.seek(0)
        entries = map_entries(models)
        all_entries += entries
        keep = {os.path.dirname(m['path']) + '/' for m, e in zip(models, entries) if e['synset'] != SKIP}
        tops = {m['path'].split('/')[0] for m in models}
        try:
            with zipfile.ZipFile(source) as z:
                members = [p for p in z.namelist() if not p.endswith('/') and any(p.startswith(k) for k in keep)]
                bar = Progress(len(members), f'get-shapes {NAME}: {file_name}', enabled=progress)
                for p in members:
                    target = os.path.join(staging, *p.split('/'))
                    os.makedirs(os.path.dirname(target), exist_ok=True)
                    with z.open(p) as src, open(target, 'wb') as dst:
                        shutil.copyfileobj(src, dst)
                    bar.update()
        except (zipfile.BadZipFile, EOFError) as e:
            raise ShapeSourceError(f'{file_name}: corrupt catalog archive ({e})') from None
        for top in tops:
            atomic_write_text(os.path.join(staging, top, 'LICENSE.TXT'), licence)
    if copyright_text:
        atomic_write_text(os.path.join(staging, 'debian-copyright.txt'), copyright_text)
    header = (f'Sweet Home 3D furniture ({PACKAGE}), written by ./run.sh get-shapes {NAME}.\n'
              'Categories: datasets/real/sources.py CATEGORY_RULES on each catalog name (shown above its '
              'entry).\nAxes: y up, fronts towards +z; entries with a modelRotation give their own.')
    write_map(os.path.join(staging, 'map.yaml'), f'{NAME}-furniture', COLLECTION_TERMS, UP, FRONT,
              [{k: v for k, v in e.items() if k not in ('name', 'licence', 'author', 'url')} for e in all_entries],
              header=header)
    atomic_write_text(os.path.join(staging, 'ATTRIBUTION.md'), attribution_text(all_entries))
    if os.path.exists(final):
        shutil.rmtree(final)
    os.replace(staging, final)
    return final, all_entries


def summary(entries):
    """One line: models per category."""
    counts = category_counts(entries)
    used = sum(n for c, n in counts.items() if c != SKIP)
    return f'{used} models in {len(counts) - (SKIP in counts)} categories: ' + ', '.join(
        f'{c} {n}' for c, n in counts.items())
