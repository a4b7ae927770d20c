"""CC0 low-poly asset packs by Kenney and Quaternius (FBX, in one public Git repository) as shapes maps.

Both come from one repository that redistributes the packs with their licence files (REPOSITORY,
pinned to COMMIT): Kenney's Furniture Pack 1.0 (chairs, stools, benches, sofas, tables, TVs, speakers,
lamps, cabinets) and Quaternius's furniture, vehicle, ship and gun packs. Every pack is CC0 1.0.

get-shapes clones the repository (git) unless --repo names a clone, converts each chosen FBX model to
OBJ + MTL with assimp's command-line tool (Debian assimp-utils; the models carry material colours, no
textures), and writes map.yaml + ATTRIBUTION.md. Categories come from readable rules on the file
names (camelCase split into words), per pack; the axes per pack are those of assimp's OBJ output and
were checked as docs/shape-sources.md says (Kenney: y up, fronts -z; Quaternius per pack).
"""
import hashlib
import os
import re
import shutil
import subprocess

from datasets.real.sources import SKIP, SYNSET_OF, ShapeSourceError, category_of, write_map
from lib.output.atomic import atomic_write_text
from lib.config import CATEGORY_NAMES

REPOSITORY = 'https://github.com/beep2bleep/FreeAssetsByKenneyNLandQuaternius'
COMMIT = 'dea756baf3b3a4889d8c245e456a4791f961578a'   # 2019-06-07, the last commit: the files mapped here
CLONE_FOLDER = 'FreeAssetsByKenneyNLandQuaternius'     # under <out>/.download/
KENNEY, QUATERNIUS = 'Kenny NL Assets', 'FreeModels by Quaternius[Patreon]'

# Rules of these packs, before the shared ones (datasets/real/sources.py CATEGORY_RULES), on the file
# name split into lower-case words ("loungeChairRelax" -> "lounge chair relax"); the first match wins
PACK_RULES = [
    # vehicles, guns and furniture that are none of the 13, although a later rule would take them
    (r'ambulance|\bbus\b|train|tank|traffic|bicycle|pistol|revolver|ray gun|lightning gun|antenna|'
     r'night stand|cabinet bed', SKIP),
    (r'computer screen', 'display'),
    (r'closet|book ?case', 'cabinet'),
    (r'taxi|\bcop\b', 'car'),
    (r'shotgun|\bp ?90\b|sniper', 'rifle'),
]

# The packs read, with the axes of assimp's OBJ output: which way is up, which way the objects' fronts
# (a seat's open side, a car's nose, a bow, a muzzle) face. How each was checked: docs/shape-sources.md.
SOURCES = {
    'kenney': {
        'packs': [(f'{KENNEY}/Furniture Pack (1.0)/Models', '+y', '-z')],
        'licences': [f'{KENNEY}/Furniture Pack (1.0)/License.txt'],
        'terms': 'CC0 1.0 (Kenney, www.kenney.nl; License.txt of the pack)',
        'title': "Kenney's Furniture Pack 1.0 (CC0), from " + REPOSITORY,
    },
    'quaternius': {
        'packs': [(f'{QUATERNIUS}/Home and Buildings/Furniture Pack - March 2019/FBX', '+y', '+z'),
                  (f'{QUATERNIUS}/Home and Buildings/Furniture Pack - Oct 2017/FBX', '+y', '+x'),
                  (f'{QUATERNIUS}/Vehicles/Basic Car Pack - Jan 2017/FBX', '+y', '+z'),
                  (f'{QUATERNIUS}/Vehicles/Public Transport Pack - Feb 2017/FBX', '+y', '+z'),
                  (f'{QUATERNIUS}/Vehicles/Realistic Car Pack - Nov 2018/FBX', '+z', '+y'),
                  (f'{QUATERNIUS}/Vehicles/Ship pack - Feb 2018/FBX', '+y', '+z'),
                  (f'{QUATERNIUS}/FPS/Animated FPS Guns - Jun 2018/FBX', '+y', '-z'),
                  (f'{QUATERNIUS}/FPS/Sci-Fi Guns - May 2018/FBX', '+y', '-z')],
        'licences': [f'{QUATERNIUS}/License.txt'],
        'terms': 'CC0 1.0 (Quaternius, quaternius.com; License.txt of the packs)',
        'title': "Quaternius's furniture, car, ship and gun packs (CC0), from " + REPOSITORY,
    },
}


def words(file_name):
    """'loungeChairRelax.fbx' -> 'lounge chair relax'; 'Sofa_individual' -> 'sofa individual'."""
    stem = os.path.splitext(os.path.basename(file_name))[0]
    stem = re.sub(r'(?<=[a-z])(?=[A-Z])|(?<=[A-Za-z])(?=[0-9])', ' ', stem)
    return re.sub(r'[\s_]+', ' ', stem).strip().lower()


def category_of_name(file_name):
    """The synset of a pack's model from its file name, or SKIP."""
    text = words(file_name)
    for pattern, category in PACK_RULES:
        if re.search(pattern, text):
            return category if category == SKIP else SYNSET_OF[category]
    return category_of(text)


def ensure_clone(repo):
    """The clone at repo, made with git (at COMMIT) if the folder does not exist yet."""
    if os.path.isdir(repo):
        return repo
    commands = f'git clone {REPOSITORY} {repo} && git -C {repo} checkout {COMMIT}'
    if shutil.which('git') is None:
        raise ShapeSourceError(f'git is not available: run `{commands}` elsewhere and pass the folder with --repo')
    partial = repo + '.partial'
    shutil.rmtree(partial, ignore_errors=True)
    for command in (['git', 'clone', '-q', REPOSITORY, partial], ['git', '-C', partial, 'checkout', '-q', COMMIT]):
        run = subprocess.run(command, capture_output=True, text=True)
        if run.returncode != 0:
            why = (run.stderr.strip().splitlines() or ['no reason given'])[-1]
            shutil.rmtree(partial, ignore_errors=True)
            raise ShapeSourceError(f'`{" ".join(command)}` failed ({why}); run `{commands}` where the '
                                   f'repository can be reached and pass the folder with --repo')
    os.replace(partial, repo)
    return repo


def assimp_tool():
    """The path of assimp's command-line tool; installed from Debian's assimp-utils where we are root."""
    found = shutil.which('assimp')
    if found:
        return found
    if shutil.which('apt-get') and hasattr(os, 'geteuid') and os.geteuid() == 0:
        subprocess.run(['apt-get', 'install', '-y', '-qq', 'assimp-utils'], capture_output=True)
        found = shutil.which('assimp')
        if found:
            return found
    raise ShapeSourceError('assimp (Debian assimp-utils) is needed to read the FBX models: run '
                           '`apt-get install assimp-utils` (as root), then get-shapes again')


# assimp's diffuse colour for a material whose FBX gives it none (older Blender exports, e.g. Quaternius's
# 2016-2017 packs, store their colours where assimp 5.2 does not read them)
ASSIMP_DEFAULT_KD = 'Kd 0.800000012 0.800000012 0.800000012'


def _drop_default_materials(obj):
    """If every material of an OBJ written by assimp is its default grey, remove the .mtl, so that
    render-shapes gives the model its category's material scheme (as for a file with no colours)
    instead of drawing it uniformly grey. Returns whether it did."""
    mtl = os.path.splitext(obj)[0] + '.mtl'
    if not os.path.isfile(mtl):
        return False
    with open(mtl) as f:
        lines = [line.strip() for line in f]
    if any(line.startswith('map_') for line in lines) or \
            any(line != ASSIMP_DEFAULT_KD for line in lines if line.startswith('Kd ')):
        return False
    with open(obj) as f:
        text = f.read()
    atomic_write_text(obj, re.sub(r'(?m)^mtllib .*\n', '', text))
    os.remove(mtl)
    return True


def convert(tool, fbx, obj):
    """FBX -> OBJ + MTL with assimp; returns None, or why it failed (one line)."""
    os.makedirs(os.path.dirname(obj), exist_ok=True)
    try:
        run = subprocess.run([tool, 'export', fbx, obj], capture_output=True, text=True, timeout=300)
    except subprocess.TimeoutExpired:
        return 'assimp took over 300 s'
    if run.returncode != 0 or not os.path.isfile(obj):
        lines = [line for line in (run.stderr + run.stdout).splitlines() if 'rror' in line]
        return (lines or [f'assimp exit status {run.returncode}'])[-1].strip()
    return None


def fetch(name, out, repo=None, progress=True):
    """Build <out>/<name>/ (converted models, map.yaml, ATTRIBUTION.md, licence files) from a clone
    of REPOSITORY (repo, default <out>/.download/FreeAssetsByKenneyNLandQuaternius, cloned if absent)."""
    from lib.output.progress import Progress
    spec = SOURCES[name]
    repo = ensure_clone(repo or os.path.join(out, '.download', CLONE_FOLDER))
    missing = [p for p, _, _ in spec['packs'] if not os.path.isdir(os.path.join(repo, p))]
    if missing:
        raise ShapeSourceError(f'{repo}: not a clone of {REPOSITORY} at {COMMIT[:10]} (no folder {missing[0]!r})')
    tool = assimp_tool()
    final = os.path.join(out, name)
    staging = final + '.partial'
    if os.path.exists(staging):
        shutil.rmtree(staging)
    os.makedirs(staging)
    models = [(pack, f, up, front) for pack, up, front in spec['packs']
              for f in sorted(os.listdir(os.path.join(repo, pack))) if f.lower().endswith('.fbx')]
    if not models:
        raise ShapeSourceError(f'{repo}: no FBX model in the {name} packs')
    entries, seen = [], {}
    bar = Progress(len(models), f'get-shapes {name}', enabled=progress)
    for pack, file_name, up, front in models:
        bar.update(note=file_name)
        rel = f'{pack}/{file_name}'
        label = re.sub(r'[^A-Za-z0-9]+', '_', pack.split('/')[-2]).strip('_')   # the pack's folder (above FBX/, Models/)
        stem = label + '-' + re.sub(r'[^A-Za-z0-9._-]+', '_', os.path.splitext(file_name)[0])
        entry = {'glob': f'{stem}/{stem}.obj', 'synset': category_of_name(file_name), 'id': f'{name}-{stem}',
                 'comment': rel}
        if (up, front) != (spec['packs'][0][1], spec['packs'][0][2]):
            entry['up'], entry['front'] = up, front
        entries.append(entry)
        if entry['synset'] == SKIP:
            continue
        with open(os.path.join(repo, rel), 'rb') as f:
            digest = hashlib.sha1(f.read()).hexdigest()
        if digest in seen:
            entry['synset'], entry['comment'] = SKIP, f'{rel}: skipped, the same file as {seen[digest]}'
            continue
        seen[digest] = rel
        why = convert(tool, os.path.join(repo, rel), os.path.join(staging, stem, stem + '.obj'))
        if why:
            entry['synset'], entry['comment'] = SKIP, f'{rel}: skipped, {why}'
            shutil.rmtree(os.path.join(staging, stem), ignore_errors=True)
        elif _drop_default_materials(os.path.join(staging, stem, stem + '.obj')):
            entry['comment'] += ' (no material colours read: the category\'s materials)'
    for licence in spec['licences']:
        path = os.path.join(repo, licence)
        if os.path.isfile(path):
            shutil.copyfile(path, os.path.join(staging, licence.replace('/', '-').replace(' ', '_')))
    header = (f'{spec["title"]} at {COMMIT}, written by ./run.sh get-shapes {name}.\n'
              f'Categories: datasets/real/game_packs.py rules on each file name (the path is above its entry).\n'
              f'Models converted from FBX to OBJ by assimp; axes per pack (entries that differ from the first pack say so).')
    first_up, first_front = spec['packs'][0][1], spec['packs'][0][2]
    write_map(os.path.join(staging, 'map.yaml'), name, spec['terms'], first_up, first_front, entries, header)
    atomic_write_text(os.path.join(staging, 'ATTRIBUTION.md'), attribution_text(spec, entries))
    if os.path.exists(final):
        shutil.rmtree(final)
    os.replace(staging, final)
    return final, entries


def attribution_text(spec, entries):
    used = [e for e in entries if e['synset'] != SKIP]
    lines = [f'# Attribution: {spec["title"]}', '', f'Terms: {spec["terms"]}. CC0 asks for no credit; it is '
             f'given here all the same. Repository: {REPOSITORY}, commit {COMMIT}.', '',
             'The models below were converted from FBX to OBJ (assimp: geometry and material colours) and '
             'rendered into the R2N2 layout. The packs\' licence files are beside this file.', '',
             '| id | category | file in the repository |', '|---|---|---|']
    lines += [f'| {e["id"]} | {CATEGORY_NAMES[e["synset"]]} | {e["comment"]} |' for e in used]
    return '\n'.join(lines) + '\n'
