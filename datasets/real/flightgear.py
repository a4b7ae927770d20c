"""Aircraft (and a few vehicles) from Debian's FlightGear and CRRCsim data packages, as a shapes map.

Two sources, one way: download the packages (apt-get download, no install), extract their AC3D
models with the textures beside them, convert each chosen model to OBJ + MTL + PNG (datasets/real/
ac3d.py), drop repeats of one geometry (liveries, copies), and write map.yaml + ATTRIBUTION.md.

- flightgear: flightgear-data-ai (AI/Aircraft: airliners, business jets, light aircraft, fighters,
  gliders) and flightgear-data-models (Models/Maritime: ships and sailing boats, their wake planes
  removed; Models/Military: a Humvee). GPL-2+.
- crrcsim: crrcsim-data (objects/: radio-controlled gliders, trainers, flying wings). GPL-2.

Axes (docs/shape-sources.md says how they were checked): both are y up in their .ac files; FlightGear
aircraft and ships point their nose or bow towards -x (FlightGear's body x axis points aft; three
ships modelled along z are listed in FRONT_BY_FILE), CRRCsim's aircraft towards +z
(wingspan along x). Helicopters, balloons, the Space Shuttle, lights and parts are skipped by rule.
"""
import os
import re
import shutil

from datasets.real import ac3d
from datasets.real.sources import (SKIP, SYNSET_OF, ShapeSourceError, deb_extract, download_deb, write_map)
from lib.output.atomic import atomic_write_text
from lib.config import CATEGORY_NAMES

MIN_FACES = 100   # fewer: a light, a flare, a banner, a switch (the smallest model kept, a glider, has 204)

# (regular expression on the path inside the package, category or SKIP); the first match wins
FLIGHTGEAR_RULES = [
    (r'/balloon/|/SpaceShuttle/|/Ferry/|/refueling/', SKIP),   # balloons, shuttle parts, a ferry, tanker gear
    (r'/[Ll]ights?/|(?i:/[^/]*(lights?(?!ning)|flare|toggle|exhaust|banner|droptank|wheels)[^/]*\.ac$)|/tank\.ac$',
     SKIP),                                                    # lights and parts, not aircraft (a Lightning is)
    (r'^usr/share/games/flightgear/AI/Aircraft/.*\.ac$', 'airplane'),
    (r'/Maritime/[^/]+/(barge|LCM6|LHA1|MaritimePrepositioningForceShip|PSC9|Trawler)\.ac$', SKIP),   # no clear bow
    (r'^usr/share/games/flightgear/Models/Maritime/(Civilian|Military)/.*\.ac$', 'watercraft'),
    (r'^usr/share/games/flightgear/Models/Military/humvee.*\.ac$', 'car'),
]
CRRCSIM_RULES = [
    (r'/(copter3|copter5|heli|qc01|qc01_x|mav)\.ac$', SKIP),   # helicopters, quadcopters, a micro drone
    (r'/(populus_nigra_[HL]|table|log|trashcan|hut|outhouse|freqboard|woods_terrain|cape_cod|davis|small)\.ac$',
     SKIP),                                                    # scenery: trees, furniture, terrain
    (r'^usr/share/games/crrcsim/objects/.*\.ac$', 'airplane'),
]

# Ships modelled along z instead of FlightGear's x, by the bow's axis: the narrower end of the hull
# (widths over the last 8 % of the length at each end: 9.5 vs 15.5 m, 3.7 vs 6.1, 33.7 vs 46.6)
FRONT_BY_FILE = {'LargeFerry.ac': '-z', 'MerchantLivestockCarrier.ac': '-z', 'Carrier_A01.ac': '-z'}
# Parts that are not the object: the wake planes drawn on the water around FlightGear's ships
NOT_THE_OBJECT = re.compile(r'(?i)wake')

SOURCES = {
    'flightgear': {
        'packages': ['flightgear-data-ai', 'flightgear-data-models'],
        'folders': ['usr/share/games/flightgear/AI/Aircraft/', 'usr/share/games/flightgear/Models/Military/',
                    'usr/share/games/flightgear/Models/Maritime/Civilian/',
                    'usr/share/games/flightgear/Models/Maritime/Military/'],
        'rules': FLIGHTGEAR_RULES, 'up': '+y', 'front': '-x',
        'terms': 'GPL-2+ (Curtis L. Olson and the FlightGear contributors; debian/copyright of flightgear-data)',
        'title': 'FlightGear AI aircraft and models (Debian flightgear-data-ai, flightgear-data-models)',
    },
    'crrcsim': {
        'packages': ['crrcsim-data'],
        'folders': ['usr/share/games/crrcsim/objects/', 'usr/share/games/crrcsim/textures/'],
        'rules': CRRCSIM_RULES, 'up': '+y', 'front': '+z',
        'terms': 'GPL-2 (Jan Edward Kansky, Mark Drela, Bruce Jackson and the CRRCsim contributors; '
                 'debian/copyright of crrcsim-data)',
        'title': 'CRRCsim model aircraft (Debian crrcsim-data)',
    },
}


def category_of_path(path, rules):
    """The synset of a package path by the source's rules, or SKIP."""
    for pattern, category in rules:
        if re.search(pattern, path):
            return category if category == SKIP else SYNSET_OF[category]
    return SKIP


def _texture_roots(ac_path, raw):
    """Folders searched for an .ac's textures: its own, then (FlightGear AI) the aircraft's default
    livery and every other livery, then (CRRCsim) the shared textures folder."""
    folder = os.path.dirname(ac_path)
    roots = [folder]
    match = re.search(r'(.*/AI/Aircraft/[^/]+)/', ac_path)
    if match:
        aircraft = match.group(1)
        default = os.path.join(aircraft, 'Textures', 'default')
        roots += [default] if os.path.isdir(default) else []
        for here, dirs, _ in os.walk(aircraft):
            dirs.sort()
            roots.append(here)
    shared = os.path.join(raw, 'usr/share/games/crrcsim/textures')
    if os.path.isdir(shared):
        roots.append(shared)
    return roots


def _resolve_textures(parts, ac_path, raw):
    """Point each part's texture at a file that exists (first match in _texture_roots), in place."""
    roots = None
    for part in parts:
        name = part['texture']
        if not name or os.path.isfile(os.path.join(os.path.dirname(ac_path), name)):
            continue
        roots = roots or _texture_roots(ac_path, raw)
        base = os.path.basename(name)
        for root in roots:
            if os.path.isfile(os.path.join(root, base)):
                part['texture'] = os.path.relpath(os.path.join(root, base), os.path.dirname(ac_path))
                break


def fetch(name, out, debs=None, progress=True):
    """Build <out>/<name>/ (converted models, map.yaml, ATTRIBUTION.md). debs: {package: .deb path}
    for packages already downloaded (the rest are fetched with apt-get download)."""
    from lib.output.progress import Progress
    spec = SOURCES[name]
    final = os.path.join(out, name)
    staging = final + '.partial'
    if os.path.exists(staging):
        shutil.rmtree(staging)
    os.makedirs(staging)
    # the packages' files, extracted once into <out>/.download/<name>/ (a rerun, e.g. after a rule
    # change, converts again without decompressing 400 MB; delete the folder to reclaim the space)
    raw = os.path.join(out, '.download', name)
    copyrights = []
    for package in spec['packages']:
        deb = (debs or {}).get(package) or download_deb(package, os.path.join(out, '.download'))
        copyright_path = f'usr/share/doc/{package}/copyright'
        done = os.path.join(raw, f'.{os.path.basename(deb)}.extracted')
        if not os.path.isfile(done):
            deb_extract(deb, lambda p: p.startswith(tuple(spec['folders'])) or p == copyright_path, raw)
            atomic_write_text(done, ' '.join(spec['folders']) + '\n')
        if os.path.isfile(os.path.join(raw, copyright_path)):
            copyrights.append((package, open(os.path.join(raw, copyright_path), encoding='utf-8').read()))
    models = sorted(os.path.relpath(os.path.join(here, f), raw) for here, _, files in os.walk(raw)
                    for f in files if f.endswith('.ac') and os.path.relpath(here, raw).startswith(tuple(
                        folder.rstrip('/') for folder in spec['folders'])))
    if not models:
        raise ShapeSourceError(f'{name}: no AC3D model in {", ".join(spec["packages"])}')
    entries, seen = [], {}
    bar = Progress(len(models), f'get-shapes {name}', enabled=progress)
    for rel in models:
        bar.update()
        synset = category_of_path(rel, spec['rules'])
        stem = re.sub(r'[^A-Za-z0-9._-]+', '_', os.path.splitext(rel.split('/', 4)[-1])[0].replace('/', '-'))
        entry = {'glob': f'{stem}/{stem}.obj', 'synset': synset, 'id': f'{name}-{stem}', 'comment': rel}
        entries.append(entry)
        if synset == SKIP:
            continue
        try:
            materials, parts = ac3d.read_ac(os.path.join(raw, rel))
        except ShapeSourceError as e:
            entry['synset'], entry['comment'] = SKIP, f'{rel}: skipped, {e}'
            continue
        parts = [p for p in parts if not NOT_THE_OBJECT.search(f'{p["name"]} {p["texture"] or ""}')]
        if os.path.basename(rel) in FRONT_BY_FILE:
            entry['up'], entry['front'] = spec['up'], FRONT_BY_FILE[os.path.basename(rel)]
        faces = sum(len(p['faces']) for p in parts)
        key = ac3d.geometry_key(parts)
        if faces < MIN_FACES:
            entry['synset'], entry['comment'] = SKIP, f'{rel}: skipped, {faces} faces (a part, not a model)'
        elif key in seen:
            entry['synset'], entry['comment'] = SKIP, f'{rel}: skipped, the same geometry as {seen[key]}'
        else:
            seen[key] = rel
            _resolve_textures(parts, os.path.join(raw, rel), raw)
            missing = ac3d.write_obj(os.path.join(raw, rel), materials, parts,
                                     os.path.join(staging, stem, stem + '.obj'))
            if missing:
                entry['comment'] += f' (texture not found, colours only: {", ".join(sorted(set(missing)))})'
    for package, text in copyrights:
        atomic_write_text(os.path.join(staging, f'{package}-copyright.txt'), text)
    header = (f'{spec["title"]}, written by ./run.sh get-shapes {name}.\n'
              f'Categories: datasets/real/flightgear.py rules on each package path (shown above its entry).\n'
              f'Axes: y up, noses towards {spec["front"]}. Models converted from AC3D to OBJ by datasets/real/ac3d.py.')
    write_map(os.path.join(staging, 'map.yaml'), name, spec['terms'], spec['up'], spec['front'], entries, header)
    atomic_write_text(os.path.join(staging, 'ATTRIBUTION.md'), attribution_text(name, spec, entries))
    if os.path.exists(final):
        shutil.rmtree(final)
    os.replace(staging, final)
    return final, entries


def attribution_text(name, spec, entries):
    used = [e for e in entries if e['synset'] != SKIP]
    lines = [f'# Attribution: {spec["title"]}', '', f'Terms: {spec["terms"]}.', '',
             'The models below were converted from AC3D to OBJ (datasets/real/ac3d.py: geometry, material '
             'colours, textures as PNG) and rendered into the R2N2 layout. The full copyright files of the '
             'packages are beside this file.', '',
             '| id | category | file in the package |', '|---|---|---|']
    lines += [f'| {e["id"]} | {CATEGORY_NAMES[e["synset"]]} | {e["comment"].split(" (")[0]} |' for e in used]
    return '\n'.join(lines) + '\n'
