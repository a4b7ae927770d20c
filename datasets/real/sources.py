"""What every real model collection shares: the category rules, the shapes map writer, and Debian
package fetching.

A fetcher (`./run.sh get-shapes NAME`) puts a collection's models under <out>/<NAME>/ and writes
<out>/<NAME>/map.yaml, the interface to `./run.sh render-shapes` (format in docs/shape-sources.md):
the collection's name, terms and axes, then one entry per model (glob, synset or `skip`, id, terms,
optional per-entry axes). Categories are assigned by the readable rules below, on the catalog's own
names: nothing is guessed from the geometry.
"""
import json
import lzma
import os
import re
import shutil
import subprocess
import tarfile
import zlib

from lib.output.atomic import atomic_write_text
from lib.config import CATEGORY_NAMES

SKIP = 'skip'
AXES = ('+x', '-x', '+y', '-y', '+z', '-z')
SYNSET_OF = {name: synset for synset, name in CATEGORY_NAMES.items()}


class ShapeSourceError(Exception):
    """A source that cannot be fetched or read (missing or corrupt archive, no apt): one line."""


# (regular expression on the lower-case model name, category or SKIP); the first match wins, so the
# exceptions (a desk lamp is a lamp, not a table; headphones are not a telephone) come first.
CATEGORY_RULES = [
    # things whose names hold a category word but are not that category
    (r'wheelchair|high chair|child swing|rocking horse|ottoman|tablet|table tennis|football table|'
     r'pool table|table fan|changing table|dressing table|workbench|abdominal bench|headphone|'
     r'remote control|intercom|japanese.*screen|^screen$|opened .*sofa|flashlight|candle|'
     r'\bbus\b|fork ?lift|motorbike|scooter|bicycle|\bbike\b|tricycle|stroller|\btoy\b|'
     r'sofa bed|bed\b', SKIP),
    (r'\blamp|light\b|lights\b|lantern|chandelier|lamppost', 'lamp'),
    (r'television cabinet|tv stand|cabinet|cupboard|wardrobe|bookcase|dresser|drawers|'
     r'filing cabinet|locker', 'cabinet'),
    (r'\btv\b|television|monitor|\bimac\b|display', 'display'),
    (r'speaker', 'speaker'),
    (r'\bphone|iphone|telephone', 'telephone'),
    (r'\bcar\b|sedan|beetle|\bsuv\b|\bvan\b|truck|ford|peugeot|renault|chevrolet|seat leon', 'car'),
    (r'\bsofa|couch', 'sofa'),
    (r'\bbench|\bbank\b', 'bench'),   # bank: Scopia's French-named garden benches
    (r'chair|\bstool|\bseat\b|pool lounge', 'chair'),
    (r'\btable|\bdesk\b', 'table'),
    (r'boat|\bship\b|yacht|canoe|kayak|sailing', 'watercraft'),
    (r'plane|aircraft|\bjet\b', 'airplane'),
    (r'rifle|\bgun\b|musket|carbine', 'rifle'),
]
# catalog categories that never hold one of the 13 (people, doors, windows, stairs)
SKIPPED_CATALOG_CATEGORIES = {'characters', 'doors and windows', 'staircases'}


def category_of(name, catalog_category=''):
    """The R2N2 synset of a model from its catalog name (and catalog category), or SKIP."""
    if catalog_category.strip().lower() in SKIPPED_CATALOG_CATEGORIES:
        return SKIP
    text = name.strip().lower()
    for pattern, category in CATEGORY_RULES:
        if re.search(pattern, text):
            return category if category == SKIP else SYNSET_OF[category]
    return SKIP


def write_map(path, source, terms, up, front, entries, header=''):
    """Write a shapes map atomically; entries are dicts (glob, synset, id, terms, up, front, comment).

    A synset is a CATEGORY_NAMES key or SKIP; axes are one of AXES. A comment (the catalog's name) is
    written above its entry, so a reader sees why each rule fired.
    """
    for axis in [up, front] + [e[k] for e in entries for k in ('up', 'front') if k in e]:
        if axis not in AXES:
            raise ShapeSourceError(f'{path}: axis {axis!r} is not one of {" ".join(AXES)}')
    lines = [f'# {line}'.rstrip() for line in header.splitlines()]
    lines += [f'{key}: {json.dumps(value, ensure_ascii=False)}'
              for key, value in (('source', source), ('terms', terms), ('up', up), ('front', front))]
    lines.append('models:')
    for entry in entries:
        if entry['synset'] != SKIP and entry['synset'] not in CATEGORY_NAMES:
            raise ShapeSourceError(f'{path}: {entry["glob"]}: unknown synset {entry["synset"]!r}')
        if entry.get('comment'):
            lines.append(f'  # {entry["comment"]}')
        # every value double-quoted (JSON strings are YAML): a synset such as 04379243 stays a string
        # for any YAML reader, and a name with ': ' or '#' cannot break the file
        keys = [k for k in ('glob', 'synset', 'id', 'terms', 'up', 'front') if k in entry]
        for i, key in enumerate(keys):
            lines.append(('  - ' if i == 0 else '    ') + f'{key}: {json.dumps(str(entry[key]), ensure_ascii=False)}')
    atomic_write_text(path, '\n'.join(lines) + '\n')


def read_map(path):
    """The parsed shapes map (a dict), for tests and counts."""
    import yaml
    with open(path) as f:
        return yaml.safe_load(f)


def category_counts(entries):
    """{category name or 'skip': number of entries}, categories in CATEGORY_NAMES order."""
    counts = {}
    for synset in list(CATEGORY_NAMES) + [SKIP]:
        n = sum(1 for e in entries if e['synset'] == synset)
        if n:
            counts[CATEGORY_NAMES.get(synset, SKIP)] = n
    return counts


# ---- Debian packages -------------------------------------------------------------------------------

def download_deb(package, folder):
    """The path of package's .deb, downloaded into folder by `apt-get download` (no install, no root).

    Without apt the error names the one command that fetches it, for a machine that has apt.
    """
    os.makedirs(folder, exist_ok=True)
    found = [f for f in os.listdir(folder) if f.startswith(package + '_') and f.endswith('.deb')]
    if found:
        return os.path.join(folder, sorted(found)[-1])
    if shutil.which('apt-get') is None:
        raise ShapeSourceError(f'apt-get is not available here: on a Debian or Ubuntu machine run '
                               f'`apt-get download {package}` and pass the .deb with --deb')
    run = subprocess.run(['apt-get', 'download', package], cwd=folder, capture_output=True, text=True)
    if run.returncode != 0:
        why = (run.stderr.strip().splitlines() or ['no reason given'])[-1]
        raise ShapeSourceError(f'`apt-get download {package}` failed ({why}); run `apt-get update` '
                               f'first (as root), or download the .deb elsewhere and pass it with --deb')
    return download_deb(package, folder)


def _deb_data_member(deb_path):
    """(offset, size, name) of a .deb's data.tar.* member: a .deb is an `ar` archive, read here
    without dpkg. A missing or corrupt file is a ShapeSourceError naming it."""
    try:
        with open(deb_path, 'rb') as f:
            if f.read(8) != b'!<arch>\n':
                raise ShapeSourceError(f'{deb_path}: not a Debian package (no ar header)')
            while True:
                header = f.read(60)
                if len(header) < 60:
                    raise ShapeSourceError(f'{deb_path}: corrupt Debian package (no data.tar member)')
                name = header[:16].decode('ascii', 'replace').strip().rstrip('/')
                try:
                    size = int(header[48:58].decode('ascii').strip())
                except ValueError:
                    raise ShapeSourceError(f'{deb_path}: corrupt Debian package (bad member header)') from None
                if name.startswith('data.tar'):
                    return f.tell(), size, name
                f.seek(size + (size % 2), os.SEEK_CUR)
    except OSError as e:
        raise ShapeSourceError(f'{deb_path}: cannot read the package ({e.strerror or e})') from None


def deb_files(deb_path, wanted):
    """Yield (path, file object) for the files of a .deb's data archive whose paths satisfy
    wanted(path), streaming (a 300 MB package is never held in memory)."""
    offset, size, name = _deb_data_member(deb_path)
    if name.endswith('.zst'):
        raise ShapeSourceError(f'{deb_path}: zstd-compressed package; extract it with `dpkg-deb -x`')
    try:
        with open(deb_path, 'rb') as f:
            f.seek(offset)
            with tarfile.open(fileobj=f, mode='r|*') as tar:
                for member in tar:
                    path = member.name.lstrip('./')
                    if member.isfile() and wanted(path):
                        yield path, tar.extractfile(member)
    except (tarfile.TarError, EOFError, zlib.error, lzma.LZMAError) as e:
        raise ShapeSourceError(f'{deb_path}: corrupt Debian package ({e})') from None


def deb_members(deb_path, wanted):
    """{path: bytes} of the files of a .deb's data archive whose paths satisfy wanted(path)."""
    return {path: f.read() for path, f in deb_files(deb_path, wanted)}


def deb_extract(deb_path, wanted, folder):
    """Extract the wanted files of a .deb's data archive under folder (their package paths kept);
    returns how many. Paths that would leave folder are refused."""
    count = 0
    root = os.path.realpath(folder)
    for path, f in deb_files(deb_path, wanted):
        target = os.path.realpath(os.path.join(folder, path))
        if not target.startswith(root + os.sep):
            raise ShapeSourceError(f'{deb_path}: member {path!r} would be written outside {folder}')
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, 'wb') as out:
            shutil.copyfileobj(f, out)
        count += 1
    return count
