"""The embedded dataset: procedural objects of the 13 categories, written in ShapeNet's layout.

For each object (datasets/embedded/shapes/<category>.py, built from datasets/embedded/primitives.py) it writes
    {root}/ShapeNetRendering/{synset}/{model}/rendering/00.png ... 23.png, rendering_metadata.txt,
                                                        renderings.txt
    {root}/ShapeNetVox32/{synset}/{model}/model.binvox
with the conventions of the real files (REFERENCE.md): objects normalised like ShapeNetCore v1 (bounding
box centred on the origin, diagonal 1); a 32^3 solid voxel grid placed as `binvox -d 32 -cb` places it
(header translate = bounding-box minimum, scale = longest side); 24 views with azimuth U[0, 360),
elevation U[25, 30), distance ratio U[0.65, 0.95), rendered by lib/rendering/render.py through the camera model
of the real renderings, transparent background. Version 2 (the default) shades each part with its
material (datasets/embedded/materials.py, lib/rendering/shading.py); version 1 is grey Lambertian, byte for byte as the
first generator wrote it.

Determinism: every model draws from its own random stream seeded by (seed, synset, index), so the same
seed gives the same bytes whatever the number of worker processes, and a larger size adds models without
changing the first ones. Model ids are hashes, so sorting them (the 80/20 split) shuffles the models.

Atomicity: a model is assembled in {root}/.partial/ and moved into place with two renames, the
renderings first and the voxel folder last; models are listed from the voxel folders, so a model is
visible only when complete. An interrupted run leaves at most a staging folder or a rendering folder
without voxels; the next run removes those and redoes the model. {root}/embedded_dataset.json is written
last and records the seed and size.
"""
import contextlib
import hashlib
import io
import json
import os
import pathlib
import shutil
import sys

import numpy as np
from PIL import Image

from datasets.embedded import materials
from datasets.embedded.primitives import merge_meshes
from datasets.embedded.shapes import BUILDERS_BY_VERSION, MATERIALS_BY_SYNSET
from datasets.embedded.voxels import normalise, voxelise
from lib.binvox_rw import encode_binvox
from lib.data_io import REPO_ROOT
from lib.output.progress import Progress
from lib.rendering.render import ALBEDO_RANGE, Camera, face_normals, render_mesh

FORMAT_VERSION = 2          # the default; EMBEDDED.VERSION 1 makes version 1's dataset, byte for byte
VERSIONS = (1, 2)
# A version's generator revision: bumped whenever its output changes (version 2 revision 2 made the
# palette paler, revision 3 refitted the chair and wood colours), so a folder made by an older
# generator is named as such instead of being mixed with new models. Version 1 never changes.
REVISIONS = {1: 1, 2: 3}
SYNSETS = sorted(BUILDERS_BY_VERSION[FORMAT_VERSION])
# Models per category in the ShapeNet subset of the paper (ShapeNetRendering / ShapeNetVox32, 43,784
# models; train + val + test of hzxie/Pix2Vox's datasets/ShapeNet.json, which lists that subset). The
# embedded dataset can follow these proportions (EMBEDDED.SHAPENET_SHARE): ShapeNet has six times
# more tables, cars and chairs than telephones, and a category's variety needs that many models.
SHAPENET_MODELS = {'02691156': 4045, '02828884': 1816, '02933112': 1572, '02958343': 7497, '03001627': 6778,
                   '03211117': 1095, '03636649': 2318, '03691459': 1618, '04090263': 2372, '04256520': 3173,
                   '04379243': 8509, '04401088': 1052, '04530566': 1939}
MANIFEST = 'embedded_dataset.json'
STAGING = '.partial'
N_VIEWS = 24
AZIMUTH_RANGE = (0.0, 360.0)
ELEVATION_RANGE = (25.0, 30.0)
DISTANCE_RATIO_RANGE = (0.65, 0.95)
FOV_COLUMN = 25             # written like the original's metadata; the renderer never used it
DEFAULT_RENDERING_PATH = '{root}/ShapeNetRendering/{category}/{model}/rendering'
DEFAULT_VOXEL_PATH = '{root}/ShapeNetVox32/{category}/{model}/model.binvox'


class EmbeddedDatasetError(ValueError):
    """A dataset folder that the generator cannot use; the message says why and what to do."""


# ------------------------------------------------------------------------------------------ objects
def model_rng(seed, synset, index):
    """The random stream of one model: independent of generation order and process."""
    return np.random.default_rng([int(seed), int(synset), int(index)])


def model_id(seed, synset, index, version=FORMAT_VERSION):
    """A 32-hex-digit id like ShapeNet's; ids sort in an order unrelated to the index."""
    return hashlib.sha256(f'r2n2-embedded/v{version}/{seed}/{synset}/{index}'.encode()).hexdigest()[:32]


def _check_version(version):
    if version not in VERSIONS:
        raise EmbeddedDatasetError(f'embedded dataset version {version} does not exist (versions: '
                                   f'{", ".join(map(str, VERSIONS))})')


def build_object(synset, rng, version=FORMAT_VERSION):
    """Normalised parts of one object of a category."""
    _check_version(version)
    builders = BUILDERS_BY_VERSION[version]
    if synset not in builders:
        raise EmbeddedDatasetError(f'no generator for category {synset}')
    return normalise(builders[synset](rng))


def sample_views(rng, n=N_VIEWS):
    """rendering_metadata.txt rows (azimuth, elevation, 0, distance ratio, 25), as the original drew them."""
    az = rng.uniform(*AZIMUTH_RANGE, size=n)
    el = rng.uniform(*ELEVATION_RANGE, size=n)
    dr = rng.uniform(*DISTANCE_RATIO_RANGE, size=n)
    return [(float(a), float(e), 0, float(d), FOV_COLUMN) for a, e, d in zip(az, el, dr)]


def metadata_text(views):
    # 12 significant digits: what Python 2's str() wrote in the original files
    return ''.join(f'{a:.12g} {e:.12g} {r:g} {d:.12g} {f:g}\n' for a, e, r, d, f in views)


def parse_metadata(text):
    """[(azimuth, elevation, in-plane rotation, distance ratio, fov)] from rendering_metadata.txt text."""
    return [tuple(float(v) for v in line.split()) for line in text.splitlines() if line.strip()]


def _appearance_v1(parts, look_rng):
    """Version 1: grey Lambertian parts, one albedo per object times each part's relative albedo."""
    vertices, faces, relative_albedo = merge_meshes(parts)
    albedo = float(look_rng.uniform(*ALBEDO_RANGE)) * relative_albedo
    normals = face_normals(vertices, faces)   # once for the 24 views
    return lambda camera: render_mesh(vertices, faces, camera, albedo, normals=normals)


def _appearance_v2(synset, parts, look_rng):
    """Version 2: per-part materials of the category (colour, texture, gloss) and jittered lights."""
    vertices, faces, _ = merge_meshes(parts)
    surface = materials.object_surface(parts, MATERIALS_BY_SYNSET[synset], look_rng)
    normals = face_normals(vertices, faces)   # once for the 24 views
    return lambda camera: render_mesh(vertices, faces, camera, surface=surface, normals=normals)


def png_bytes(rgba):
    buf = io.BytesIO()
    Image.fromarray(rgba, 'RGBA').save(buf, format='PNG')
    return buf.getvalue()


def make_model(seed, synset, index, version=FORMAT_VERSION):
    """All files of one model as {relative path: bytes} (paths relative to the dataset root)."""
    rng = model_rng(seed, synset, index)
    shape_rng, view_rng, look_rng = rng.spawn(3)
    parts = build_object(synset, shape_rng, version)
    _, voxels = voxelise(parts)
    mid = model_id(seed, synset, index, version)
    views = parse_metadata(metadata_text(sample_views(view_rng)))  # render exactly what the file says
    draw = _appearance_v1(parts, look_rng) if version == 1 else _appearance_v2(synset, parts, look_rng)
    return mid, model_files(synset, mid, voxels, views, draw)


def model_files(synset, mid, voxels, views, draw):
    """{relative path: bytes} of one model in ShapeNet's layout: its binvox, and draw(Camera) for each
    view with the rendering_metadata.txt and renderings.txt that list them (also used by
    lib/rendering/render_shapes.py for real model collections)."""
    rendering = f'ShapeNetRendering/{synset}/{mid}/rendering'
    files = {f'ShapeNetVox32/{synset}/{mid}/model.binvox': encode_binvox(voxels)}
    for i, (az, el, _, dr, _) in enumerate(views):
        files[f'{rendering}/{i:02d}.png'] = png_bytes(draw(Camera(az, el, dr)))
    files[f'{rendering}/rendering_metadata.txt'] = metadata_text(views).encode()
    files[f'{rendering}/renderings.txt'] = ''.join(f'{i:02d}.png\n' for i in range(len(views))).encode()
    return files


# ------------------------------------------------------------------------------------------ writing
def _model_dirs(root, synset, mid):
    root = pathlib.Path(root)
    return root / 'ShapeNetRendering' / synset / mid, root / 'ShapeNetVox32' / synset / mid


def model_is_complete(root, synset, mid):
    rendering, voxel = _model_dirs(root, synset, mid)
    return (voxel / 'model.binvox').is_file() and (rendering / 'rendering' / 'renderings.txt').is_file()


def write_model(root, seed, synset, index, version=FORMAT_VERSION):
    """Generate one model and move it into place atomically. Returns its id."""
    mid, files = make_model(seed, synset, index, version)
    install_model(root, synset, mid, files)
    return mid


def install_model(root, synset, mid, files):
    """Write a model's files ({path relative to root: bytes}) under root in one step: staged in
    root/.partial, then moved into place, renderings first and the voxel folder (which makes the model
    visible) last."""
    root = pathlib.Path(root)
    stage = root / STAGING / f'{synset}-{mid}'
    if stage.exists():
        shutil.rmtree(stage)
    for rel, data in files.items():
        path = stage / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    rendering, voxel = _model_dirs(root, synset, mid)
    for final in (rendering, voxel):   # renderings first: the voxel folder makes the model visible
        staged = stage / final.relative_to(root)
        final.parent.mkdir(parents=True, exist_ok=True)
        if final.exists():
            shutil.rmtree(final)
        os.rename(staged, final)
    shutil.rmtree(stage)


def _write_model_task(args):
    root, seed, synset, index, version = args
    return synset, write_model(root, seed, synset, index, version)


def in_workers(function, tasks, workers):
    """function(task) for each task, in `workers` processes (in this one if 1), results in completion order."""
    if workers <= 1 or len(tasks) <= 1:
        for task in tasks:
            yield function(task)
        return
    import multiprocessing
    # spawn, not fork: the caller may have TensorFlow's threads running
    with multiprocessing.get_context('spawn').Pool(workers, initializer=keep_freed_memory) as pool:
        yield from pool.imap_unordered(function, tasks)


def keep_freed_memory():
    """Let this process's C heap keep and reuse freed blocks of up to 64 MB (glibc; elsewhere nothing).

    By default glibc gives each array of more than a few hundred kB fresh pages from the kernel and
    returns them when freed; rendering makes thousands of such temporaries per model, and the page
    faults cost about a third of a worker's time. Called in generator workers only, not in a caller
    that may hold TensorFlow.
    """
    import ctypes
    try:
        libc = ctypes.CDLL(None)
        libc.mallopt(-3, 64 << 20)    # M_MMAP_THRESHOLD: blocks below it come from the heap
        libc.mallopt(-1, 256 << 20)   # M_TRIM_THRESHOLD: free heap kept before it is given back
    except (OSError, AttributeError):   # no glibc (macOS, musl): the default allocator stays
        pass


# ------------------------------------------------------------------------------------------ dataset
def _read_manifest(root):
    path = pathlib.Path(root) / MANIFEST
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as e:
        raise EmbeddedDatasetError(f'{path}: unreadable manifest ({e}); delete the folder {root} '
                                   'to generate the dataset again') from None


def _write_manifest(root, manifest):
    from lib.output.atomic import atomic_write_text
    atomic_write_text(pathlib.Path(root) / MANIFEST, json.dumps(manifest, indent=1, sort_keys=True) + '\n')


def category_counts(n_per_category, shapenet_share=0.0, synsets=None):
    """{synset: models} of a dataset: n_per_category each, or shapenet_share of the category's ShapeNet
    count (SHAPENET_MODELS) where that is more."""
    synsets = SYNSETS if synsets is None else sorted(synsets)
    return {s: max(int(n_per_category), int(round(shapenet_share * SHAPENET_MODELS.get(s, 0)))) for s in synsets}


def describe_counts(counts):
    """'4669 models (200 to 851 per category)' or '2600 models (200 per category)'."""
    lo, hi = min(counts.values()), max(counts.values())
    return f'{sum(counts.values())} models ({lo if lo == hi else f"{lo} to {hi}"} per category)'


def planned_models(seed, counts, version=FORMAT_VERSION):
    """[(synset, index, id)] of a dataset of {synset: models}, in generation order."""
    return [(s, i, model_id(seed, s, i, version)) for s in sorted(counts) for i in range(counts[s])]


def _manifest_counts(manifest):
    """{synset: models} a manifest records (older manifests hold one per_category for all)."""
    if isinstance(manifest.get('counts'), dict):
        return {s: int(n) for s, n in manifest['counts'].items()}
    return {s: int(manifest.get('per_category', 0)) for s in manifest.get('categories', [])}


@contextlib.contextmanager
def _locked(root):
    """Only one generator per dataset folder at a time (a second one waits, then finds it complete)."""
    import fcntl
    with open(pathlib.Path(root) / '.lock', 'w') as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def _revision(manifest):
    """The generator revision a manifest records; manifests from before revisions were recorded hold
    version 1 (which never changed) or version 2 revision 2."""
    return manifest.get('revision', 1 if manifest.get('version') == 1 else 2)


def _check_folder(root, seed, counts, version):
    """Refuse a folder holding something else; return the models still to make."""
    manifest = _read_manifest(root)
    if manifest is None:
        if any((pathlib.Path(root) / d).exists() for d in ('ShapeNetRendering', 'ShapeNetVox32')):
            raise EmbeddedDatasetError(
                f'{root} holds ShapeNet-layout data that the embedded generator did not make '
                f'(no {MANIFEST}); choose another folder for the embedded dataset')
    else:
        same = (manifest.get('version') == version and manifest.get('seed') == seed
                and manifest.get('categories') == sorted(counts))
        if same and _revision(manifest) != REVISIONS[version]:
            raise EmbeddedDatasetError(
                f'{root} was made by an older revision of the version {version} generator (revision '
                f'{_revision(manifest)}, now {REVISIONS[version]}); delete it (it is regenerated on first use) '
                f'or choose another folder')
        if not same:
            raise EmbeddedDatasetError(
                f'{root} holds an embedded dataset made with other settings (seed {manifest.get("seed")}, '
                f'version {manifest.get("version")}, {len(manifest.get("categories", []))} categories); '
                f'delete it or choose another folder')
        held = _manifest_counts(manifest)
        more = [s for s in sorted(counts) if held.get(s, 0) > counts[s]]
        if more:   # models are listed from the folders: extra ones would join the training data
            s = more[0]
            raise EmbeddedDatasetError(
                f'{root} holds {held[s]} models of category {s}, more than the {counts[s]} asked for '
                f'(EMBEDDED.N_PER_CATEGORY, EMBEDDED.SHAPENET_SHARE); ask for at least as many, or delete '
                f'the folder')
    return [(s, i, m) for s, i, m in planned_models(seed, counts, version) if not model_is_complete(root, s, m)]


def _clean_partial(root, todo):
    """Remove what an interrupted run left: staging folders, renderings of models without voxels."""
    shutil.rmtree(pathlib.Path(root) / STAGING, ignore_errors=True)
    for synset, _, mid in todo:
        for folder in _model_dirs(root, synset, mid):
            if folder.exists():
                shutil.rmtree(folder)


def generate_dataset(root, n_per_category, seed=0, workers=2, synsets=None, progress=True,
                     version=FORMAT_VERSION, shapenet_share=0.0):
    """Make (or complete) the embedded dataset under root. Returns the number of models written.

    Each category gets n_per_category models, or shapenet_share of its ShapeNet count where that is
    more (category_counts). Models already complete are kept (a larger size adds models); interrupted
    ones are redone. Raises EmbeddedDatasetError if root holds something else.
    """
    _check_version(version)
    synsets = SYNSETS if synsets is None else sorted(synsets)
    unknown = [s for s in synsets if s not in BUILDERS_BY_VERSION[version]]
    if unknown:
        raise EmbeddedDatasetError(f'no generator for categories {", ".join(unknown)}')
    if n_per_category < 1:
        raise EmbeddedDatasetError(f'models per category must be at least 1, got {n_per_category}')
    if not 0 <= shapenet_share <= 1:
        raise EmbeddedDatasetError(f'the share of ShapeNet must be between 0 and 1, got {shapenet_share}')
    counts = category_counts(n_per_category, shapenet_share, synsets)
    # NumPy's seeding refuses negative numbers, but only in the workers, after the manifest was
    # written: checked here, before anything is
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise EmbeddedDatasetError(f'the seed must be a whole number >= 0, got {seed!r}')
    root = pathlib.Path(root)
    if root.is_dir():
        _check_folder(root, seed, counts, version)   # refuse foreign data before writing anything
    root.mkdir(parents=True, exist_ok=True)
    with _locked(root):
        todo = _check_folder(root, seed, counts, version)
        existing = _read_manifest(root) or {}
        # while incomplete, the manifest records the larger of what was asked and what was there
        held = _manifest_counts(existing)
        manifest = {'generator': '3D-R2N2 embedded dataset (datasets/embedded/generator.py)', 'version': version,
                    'revision': REVISIONS[version], 'seed': seed, 'categories': list(synsets), 'complete': False,
                    'per_category': n_per_category, 'shapenet_share': shapenet_share,
                    'counts': {s: max(n, held.get(s, 0)) for s, n in counts.items()}}
        if not todo and existing.get('complete'):
            return 0
        _write_manifest(root, manifest)
        _clean_partial(root, todo)
        bar = Progress(len(todo), f'embedded dataset ({root})', enabled=progress)
        tasks = [(str(root), seed, s, i, version) for s, i, _ in todo]
        for _ in in_workers(_write_model_task, tasks, workers):
            bar.update()
        shutil.rmtree(root / STAGING, ignore_errors=True)
        manifest['complete'] = True
        manifest['counts'] = counts
        _write_manifest(root, manifest)
    return len(todo)


def dataset_is_complete(root, n_per_category, seed, synsets=None, version=FORMAT_VERSION, shapenet_share=0.0):
    """True if root holds the complete embedded dataset of these settings (a quick check)."""
    synsets = SYNSETS if synsets is None else sorted(synsets)
    counts = category_counts(n_per_category, shapenet_share, synsets)
    try:
        manifest = _read_manifest(root)
    except EmbeddedDatasetError:
        return False
    if not manifest or not manifest.get('complete'):
        return False
    if (manifest.get('version'), manifest.get('seed'), _manifest_counts(manifest),
            manifest.get('categories'), _revision(manifest)) != (version, seed, counts, list(synsets),
                                                                  REVISIONS[version]):
        return False
    return all(model_is_complete(root, s, m) for s, _, m in planned_models(seed, counts, version))


def ensure_embedded_dataset(cfg, root=None, progress=True):
    """The embedded dataset of cfg.EMBEDDED, generated on first use; returns its root (a Path).

    root defaults to cfg.DIR.EMBEDDED_ROOT (relative paths are taken from the repository root).
    Returns at once when the dataset is complete.
    """
    if root is None:
        root = cfg.DIR.EMBEDDED_ROOT
    root = pathlib.Path(os.path.expanduser(str(root)))
    if not root.is_absolute():
        root = REPO_ROOT / root
    if (cfg.DIR.RENDERING_PATH, cfg.DIR.VOXEL_PATH) != (DEFAULT_RENDERING_PATH, DEFAULT_VOXEL_PATH):
        raise EmbeddedDatasetError('the embedded dataset is written in the standard ShapeNet layout; '
                                   'DIR.RENDERING_PATH and DIR.VOXEL_PATH must keep their defaults '
                                   'when DIR.DATASET_ROOT is empty')
    e = cfg.EMBEDDED
    if dataset_is_complete(root, e.N_PER_CATEGORY, e.SEED, version=e.VERSION, shapenet_share=e.SHAPENET_SHARE):
        return root
    if progress:
        counts = category_counts(e.N_PER_CATEGORY, e.SHAPENET_SHARE)
        print(f'Generating the embedded dataset v{e.VERSION} ({describe_counts(counts)}, seed {e.SEED}) '
              f'in {root} ...', file=sys.stderr, flush=True)
    generate_dataset(root, e.N_PER_CATEGORY, e.SEED, e.NUM_WORKERS, progress=progress, version=e.VERSION,
                     shapenet_share=e.SHAPENET_SHARE)
    return root
