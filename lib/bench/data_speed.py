"""Bench rows for making data (issue 27): `generate-data` and `render-shapes`, timed in CPU time.

Both run in one bench worker process, as one generator worker runs (keep_freed_memory, no files
written: the time is the models' making, which is what the workers spend it on). The unit is process
CPU time (time.process_time), so a row says what one core does even while other processes run; the
load probe still flags a row measured on a busy machine, where shared caches and memory make CPU time
longer too.

- 'datagen': make_model of the default dataset version for two models of each category (one model
  of 4 categories with --quick), after one warm-up model: CPU seconds per model, models/s per core,
  and the issue's target as a ratio: 2 cores x models/s per core / 10 models/s (the default dataset
  in under 8 minutes on two cores), which assumes the two workers do not slow each other down.
- 'shapes': what render-shapes does with one model that has no looks of its own (lib/rendering/
  voxelize.py's solid grid and 24 views through render_mesh with its category's materials) for a
  closed bumpy sphere of about 40,000 triangles, the size of a detailed real mesh: CPU seconds per
  model and per 10,000 triangles, and as an information ratio, its time over that of an embedded
  model measured in the same worker.
"""
import time
import types

import numpy as np

from lib.bench.probe import LoadProbe

TARGET_MODELS_PER_S = 10.0   # issue 27: generate-data on two cores
TARGET_CORES = 2


def data_plan(quick):
    """The bench worker groups of the data rows (one group: they share the warm-up)."""
    return [[{'kind': 'datagen', 'name': 'datagen', 'categories': 4 if quick else 13, 'per_category': 1 if quick else 2},
             {'kind': 'shapes', 'name': 'shapes', 'triangles': 4000 if quick else 40000,
              'views': 2 if quick else 24}]]


def _cpu(fn):
    t0 = time.process_time()
    out = fn()
    return time.process_time() - t0, out


def measure_datagen(m):
    from datasets.embedded.generator import SYNSETS, keep_freed_memory, make_model
    keep_freed_memory()
    make_model(1, SYNSETS[0], 0)   # warm-up: imports and caches
    probe = LoadProbe().start()
    times = [_cpu(lambda: make_model(0, s, i))[0] for s in SYNSETS[:m['categories']] for i in range(m['per_category'])]
    load = probe.stop()
    per_core = len(times) / sum(times)
    return times, load, {'models_per_s_per_core': per_core, 'models': len(times),
                         'ratio_to_target': TARGET_CORES * per_core / TARGET_MODELS_PER_S}


def bumpy_sphere(triangles):
    """A closed mesh of about `triangles` triangles: a sphere with bumps, normalised like ShapeNet v1
    (bounding box centred, diagonal 1). Returns (vertices, faces)."""
    rings = max(4, int(round(np.sqrt(triangles / 4))))
    segments = 2 * rings
    theta = np.linspace(0, np.pi, rings + 1)[1:-1]
    phi = np.linspace(0, 2 * np.pi, segments, endpoint=False)
    t, p = np.meshgrid(theta, phi, indexing='ij')
    r = 1 + 0.08 * np.sin(5 * t) * np.sin(4 * p) + 0.03 * np.sin(17 * p)
    ring = np.stack([r * np.sin(t) * np.cos(p), r * np.cos(t), r * np.sin(t) * np.sin(p)], axis=-1).reshape(-1, 3)
    vertices = np.concatenate([[[0, 1, 0]], ring, [[0, -1, 0]]])
    faces = []
    idx = 1 + np.arange(len(theta) * segments).reshape(len(theta), segments)
    nxt = np.roll(idx, -1, axis=1)
    faces.append(np.stack([np.zeros(segments, int), nxt[0], idx[0]], axis=1))
    for a, b, an, bn in zip(idx[:-1], idx[1:], nxt[:-1], nxt[1:]):
        faces.append(np.stack([a, an, b], axis=1))
        faces.append(np.stack([an, bn, b], axis=1))
    last = len(vertices) - 1
    faces.append(np.stack([np.full(segments, last), idx[-1], nxt[-1]], axis=1))
    faces = np.concatenate(faces)
    lo, hi = vertices.min(axis=0), vertices.max(axis=0)
    return (vertices - (lo + hi) / 2) / np.linalg.norm(hi - lo), faces


def measure_shapes(m):
    from datasets.embedded import generator, materials
    from datasets.embedded.shapes import MATERIALS_BY_SYNSET
    from lib.rendering.render import Camera, render_mesh
    from lib.rendering.voxelize import voxelize
    generator.keep_freed_memory()
    vertices, faces = bumpy_sphere(m['triangles'])
    synset = '03001627'

    whole = types.SimpleNamespace(role='body', faces=faces)   # the whole mesh as one part (render_shapes)

    def one_model():
        """CPU seconds of the voxels and of the views of one model."""
        rng = np.random.default_rng(0)
        voxels, _ = _cpu(lambda: voxelize(vertices, faces))
        surface = materials.object_surface([whole], MATERIALS_BY_SYNSET[synset], rng)
        views, _ = _cpu(lambda: [generator.png_bytes(render_mesh(vertices, faces, Camera(az, el, dr), surface=surface))
                                 for az, el, _, dr, _ in generator.sample_views(rng, m['views'])])
        return voxels + views * generator.N_VIEWS / m['views']   # a model has 24 views
    one_model()   # warm-up
    embedded = min(_cpu(lambda: generator.make_model(0, synset, i))[0] for i in range(2))
    probe = LoadProbe().start()
    times = [one_model() for _ in range(2)]
    load = probe.stop()
    per_model = min(times)
    return times, load, {'triangles_measured': len(faces), 'cpu_per_model_s': per_model,
                         'cpu_per_10k_triangles_s': per_model * 1e4 / len(faces),
                         'embedded_model_s': embedded, 'over_embedded': per_model / embedded}


def data_ratios(results):
    """The data rows' entries for bench's targets table (none for rows that were not measured)."""
    out = {}
    d = results.get('datagen')
    if d:
        out['datagen'] = {
            'what': (f'generate-data: {TARGET_CORES} cores x models/s per core (CPU time, '
                     f'{d["models_per_s_per_core"]:.2f}) / {TARGET_MODELS_PER_S:g} models/s (issue 27)'),
            'value': d['ratio_to_target'], 'op': '>=', 'target': 1.0, 'met': d['ratio_to_target'] >= 1.0,
            'busy': d['busy'], 'source': 'CPU time, one process'}
    s = results.get('shapes')
    if s:
        out['shapes'] = {
            'what': (f'render-shapes: CPU per model of {s["triangles_measured"]:,} triangles '
                     f'({s["cpu_per_10k_triangles_s"]:.2f} s per 10k triangles) / per embedded model (issue 27)'),
            'value': s['over_embedded'], 'op': None, 'target': None, 'met': None, 'busy': s['busy'],
            'source': 'CPU time, one process'}
    return out
