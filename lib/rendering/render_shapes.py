"""`./run.sh render-shapes SRC --out ROOT`: a collection of real 3D models in, ShapeNet's R2N2 layout out.

For every model it writes what the embedded generator writes for a generated object (the same
functions: datasets/embedded/generator.py's model_files and install_model):
    ROOT/ShapeNetRendering/<synset>/<id>/rendering/00.png ... 23.png, rendering_metadata.txt, renderings.txt
    ROOT/ShapeNetVox32/<synset>/<id>/model.binvox
The model is turned to ShapeNet's frame (y up, its front towards +x: lib/rendering/voxelize.py) from
the up and front axes its collection states, normalised like ShapeNetCore v1 models (bounding box
centred on the origin, diagonal 1), voxelised solid at 32^3 (lib/rendering/voxelize.py), and rendered
at 24 viewpoints drawn as the original drew them (lib/rendering/render.py's camera) with its own
colours and textures (lib/rendering/model_files.py) or, where its file has none, its category's
material scheme of the embedded generator.

Which models, of which category, and how they stand: a YAML map (lib/rendering/shapes_map.py) or a
ShapeNetCore v1 / v2 folder, detected. Deterministic: each model draws its views and lights from a
stream seeded by (seed, model id), whatever the number of workers. Atomic per model and resumable:
a model appears only when complete (install_model), and models already there are kept. A model that
cannot be rendered is one line naming its file and a reason, and the run goes on; the run ends with a
summary and ROOT/render_shapes.json (per source: terms, seed, each model's file and id, each skip).
"""
import collections
import hashlib
import json
import pathlib
import shutil
import sys
import time

import numpy as np

from datasets.embedded import generator, materials
from datasets.embedded.shapes import MATERIALS_BY_SYNSET
from lib.binvox_rw import Voxels
from lib.output.progress import Progress
from lib.rendering.model_files import ModelSkipped, load_model
from lib.rendering.render import render_mesh, render_shaded
from lib.rendering.shading import shade_colours
from lib.rendering.shapes_map import ShapesError, find_models, rotation_to_shapenet

MANIFEST = 'render_shapes.json'


# ------------------------------------------------------------------------------------------ one model
def model_rng(seed, mid):
    """The random stream of one model: from the seed and the model id only."""
    return np.random.default_rng([int(seed), int(hashlib.sha256(mid.encode()).hexdigest()[:16], 16)])


def normalise(vertices):
    """Vertices moved and scaled so their bounding box is centred on the origin with diagonal 1."""
    lo, hi = vertices.min(axis=0), vertices.max(axis=0)
    diagonal = float(np.linalg.norm(hi - lo))
    if not diagonal > 1e-12:
        raise ModelSkipped('degenerate mesh (all its vertices coincide)')
    return (vertices - (lo + hi) / 2.0) / diagonal


class _WholeMesh:
    """The whole mesh as one part of the category's material scheme (its 'body' role)."""
    role = 'body'

    def __init__(self, n_faces):
        self.faces = np.zeros((n_faces, 3), dtype=np.int64)


def _drawer(mesh, synset, rng):
    """draw(camera) -> RGBA of a model: its own looks where it has them, else its category's materials."""
    surface = materials.object_surface([_WholeMesh(len(mesh.faces))], MATERIALS_BY_SYNSET[synset], rng)
    if not mesh.own.any():
        return lambda camera: render_mesh(mesh.vertices, mesh.faces, camera, surface=surface)
    fallback = surface.materials[0]
    mesh.colour[~mesh.own] = fallback.colour
    mesh.gloss[~mesh.own], mesh.shininess[~mesh.own] = fallback.gloss, fallback.shininess

    def shade(tri, points, normals, rays):
        return shade_colours(mesh.sample_colours(tri, points), mesh.gloss[tri], mesh.shininess[tri],
                             normals, rays, surface.lights, surface.ambient)

    return lambda camera: render_shaded(mesh.vertices, mesh.faces, camera, shade)


def model_files(job, seed):
    """{relative path: bytes} of one job's model (generator.model_files); ModelSkipped if it cannot be."""
    from lib.rendering.voxelize import voxelize
    mesh = load_model(job.path, job.member)
    mesh.vertices = normalise(mesh.vertices @ rotation_to_shapenet(job.up, job.front).T)
    faces_area = np.linalg.norm(np.cross(*(mesh.vertices[mesh.faces[:, k]] - mesh.vertices[mesh.faces[:, 0]]
                                           for k in (1, 2))), axis=1)
    if not (faces_area > 1e-12).any():
        raise ModelSkipped('degenerate mesh (every triangle has zero area)')
    grid, translate, scale = voxelize(mesh.vertices, mesh.faces)
    if not grid.any():
        raise ModelSkipped('degenerate mesh (no voxel occupied)')
    view_rng, look_rng = model_rng(seed, job.mid).spawn(2)
    views = generator.parse_metadata(generator.metadata_text(generator.sample_views(view_rng)))
    return generator.model_files(job.synset, job.mid, Voxels(grid, translate, scale), views,
                                 _drawer(mesh, job.synset, look_rng))


def _render_task(args):
    """Render and install one model in a worker: (job, reason it was skipped or '', CPU seconds)."""
    from lib.output.atomic import OutputError
    root, job, seed = args
    start = time.process_time()
    try:
        files = model_files(job, seed)
    except ModelSkipped as e:
        return job, str(e), time.process_time() - start
    except MemoryError:
        return job, 'too large to render in memory', time.process_time() - start
    except Exception as e:   # a file that breaks the renderer must not end a run of hundreds
        return job, f'failed ({type(e).__name__}: {(str(e).splitlines() or [""])[0][:80]})', 0.0
    try:   # but a disk that cannot take the files ends it, with one line
        generator.install_model(root, job.synset, job.mid, files)
    except OSError as e:
        raise OutputError(f'cannot write {job.synset}/{job.mid} under {root}: '
                          f'{(e.strerror or str(e)).lower()}') from None
    return job, '', time.process_time() - start


# ------------------------------------------------------------------------------------------ collection
def _read_manifest(root):
    path = pathlib.Path(root) / MANIFEST
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        return {'sources': {}}
    except (OSError, ValueError) as e:
        raise ShapesError(f'{path}: unreadable ({e}); move it away to start the record again') from None


def _check_seed(manifest, source, seed):
    held = manifest['sources'].get(source, {}).get('seed')
    if held is not None and held != seed:
        raise ShapesError(f'{source} was rendered into this folder with seed {held}; give --seed {held} to '
                          f'resume it, or another --out')


def render_collection(src, root, shapes_map=None, seed=0, workers=2, progress=True, log=None):
    """Render every model of src into root; returns the summary (a dict; see summary_text)."""
    from lib.output.atomic import atomic_write_text
    log = log or (lambda line: print(line, file=sys.stderr, flush=True))
    src, root = pathlib.Path(src), pathlib.Path(root)
    found = find_models(src, shapes_map)   # raises ShapesError on a bad map or folder
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ShapesError(f'the seed must be a whole number >= 0, got {seed!r}')
    root.mkdir(parents=True, exist_ok=True)
    with generator._locked(root):
        manifest = _read_manifest(root)
        _check_seed(manifest, found.source, seed)
        record = manifest['sources'].setdefault(found.source, {})
        record.update({'terms': found.terms, 'seed': seed, 'src': str(src), 'layout': found.layout})
        models = record.setdefault('models', {})
        skipped = dict(found.skipped)                     # relative path -> reason
        for rel, reason in found.skipped.items():
            if found.loud.get(rel):
                log(f'skipped {src / rel}: {reason}')
        owners = {key: name for name, other in manifest['sources'].items() if name != found.source
                  for key in other.get('models', {})}
        jobs = []
        for job in found.jobs:   # another source's model of the same id is never overwritten nor taken
            owner = owners.get(f'{job.synset}/{job.mid}')
            if owner:
                skipped[job.rel] = f'id taken (source {owner} has {job.synset}/{job.mid} in this folder)'
                log(f'skipped {job.path}: {skipped[job.rel]}')
            else:
                jobs.append(job)
        done = [j for j in jobs if generator.model_is_complete(root, j.synset, j.mid)]
        todo = [j for j in jobs if not generator.model_is_complete(root, j.synset, j.mid)]
        for job in done:
            models.setdefault(f'{job.synset}/{job.mid}', job.record())
        bar = Progress(len(todo), f'render-shapes {found.source}', enabled=progress)
        rendered, cpu = 0, []
        tasks = [(str(root), job, seed) for job in todo]
        try:
            for job, reason, seconds in generator.in_workers(_render_task, tasks, workers):
                if reason:
                    skipped[job.rel] = reason
                    log(f'skipped {job.path}: {reason}')
                else:
                    rendered += 1
                    cpu.append(seconds)
                    models[f'{job.synset}/{job.mid}'] = job.record()
                    skipped.pop(job.rel, None)
                bar.update(note=f'{len(skipped)} skipped' if skipped else '')
        finally:   # also when interrupted: the record lists what is there
            record['skipped'] = dict(sorted(skipped.items()))
            record['models'] = dict(sorted(models.items()))
            atomic_write_text(root / MANIFEST, json.dumps(manifest, indent=1, sort_keys=True) + '\n')
        shutil.rmtree(root / generator.STAGING, ignore_errors=True)
    reasons = collections.Counter(_reason_kind(r) for r in skipped.values())
    return {'source': found.source, 'root': str(root), 'rendered': rendered, 'already': len(done),
            'skipped': len(skipped), 'reasons': dict(reasons.most_common()), 'cpu_seconds': cpu,
            'unmapped': found.unmapped}


def _reason_kind(reason):
    """The reason's kind for the summary: 'empty mesh (no faces)' -> 'empty mesh'."""
    return reason.split(' (')[0]


def summary_text(summary):
    s = summary
    line = (f'render-shapes {s["source"]} -> {s["root"]}: {s["rendered"]} rendered, {s["already"]} already '
            f'there, {s["skipped"]} skipped')
    if s['reasons']:
        line += ' (' + ', '.join(f'{kind}: {n}' for kind, n in s['reasons'].items()) + ')'
    if s['unmapped']:
        line += f'; {s["unmapped"]} model files matched no entry of the map'
    if s['cpu_seconds']:
        line += (f'; CPU time per rendered model {np.mean(s["cpu_seconds"]):.1f} s mean, '
                 f'{np.max(s["cpu_seconds"]):.1f} s max (process time of its worker)')
    return line
