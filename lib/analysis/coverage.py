"""How far generated data is from real data: shape coverage and appearance, per real model.

Coverage of a real model: the best voxel IoU between its 32^3 grid and any generated model of its
category (both in ShapeNetVox32's canonical pose, so no alignment is searched). A network cannot learn
shapes its training data never shows; a real model with low coverage has no counterpart in the
generator. Appearance: colour and brightness statistics of the object pixels (alpha 255) of the
renderings, real next to generated: the share of clearly coloured pixels (HSV saturation > 0.25), the
mean and spread of the brightness (HSV value) and the share of dark pixels (value < 0.25).

    ./run.sh coverage REAL_ROOT [GENERATED_ROOT] [--out DIR]
"""
import json
import os

import numpy as np
from PIL import Image

from lib.binvox_rw import read_binvox
from lib.data_io import DataError, list_models, warn
from lib.output.atomic import atomic_write, atomic_write_text
from lib.voxel import iou_matrix

COLOURED_SATURATION = 0.25
DARK_VALUE = 0.25
APPEARANCE_VIEWS = 4            # renderings per generated model read for the appearance report


def tree_models(root):
    """{synset: [model ids]} of the models with a model.binvox under root/ShapeNetVox32."""
    vox = os.path.join(root, 'ShapeNetVox32')
    if not os.path.isdir(vox):
        raise DataError(f'{root}: no ShapeNetVox32/ folder (expected the ShapeNet layout)')
    found = {}
    for synset in list_models(vox):
        models = [m for m in list_models(os.path.join(vox, synset))
                  if os.path.isfile(os.path.join(vox, synset, m, 'model.binvox'))]
        if models:
            found[synset] = models
    if not found:
        raise DataError(f'{root}: no model.binvox under ShapeNetVox32/')
    return found


def _grids(root, synset, models):
    """(names, (N, 32768) bool) of models whose voxels read as 32^3; others are skipped with a warning."""
    names, grids = [], []
    for m in models:
        path = os.path.join(root, 'ShapeNetVox32', synset, m, 'model.binvox')
        try:
            data = read_binvox(path).data
        except (OSError, ValueError) as e:
            warn(f'{path}: skipped ({e})')
            continue
        if data.shape != (32, 32, 32):
            warn(f'{path}: skipped (grid {data.shape}, not 32^3)')
            continue
        names.append(m)
        grids.append(data.reshape(-1))
    return names, np.array(grids, dtype=bool).reshape(len(grids), -1)


def shape_coverage(real_root, generated_root):
    """[{synset, model, coverage, best_match}] for every real model whose category was generated."""
    real, generated = tree_models(real_root), tree_models(generated_root)
    rows = []
    for synset in sorted(real):
        if synset not in generated:
            warn(f'category {synset}: no generated models under {generated_root}; its real models are not scored')
            continue
        real_names, real_grids = _grids(real_root, synset, real[synset])
        gen_names, gen_grids = _grids(generated_root, synset, generated[synset])
        if not real_names or not gen_names:
            continue
        scores = iou_matrix(real_grids, gen_grids)
        for i, name in enumerate(real_names):
            j = int(np.argmax(scores[i]))
            rows.append({'synset': synset, 'model': name, 'coverage': float(scores[i, j]),
                         'best_match': gen_names[j], 'generated_models': len(gen_names)})
    if not rows:
        raise DataError(f'no real model of {real_root} has a generated category in {generated_root}')
    return rows


def _object_pixels(path):
    """(N, 3) RGB in [0, 1] of the fully opaque pixels of a rendering (None if unreadable)."""
    try:
        with Image.open(path) as im:
            rgba = np.asarray(im.convert('RGBA'), dtype=np.float64) / 255.0
    except (OSError, ValueError) as e:
        warn(f'{path}: skipped ({e})')
        return None
    return rgba[rgba[..., 3] >= 1.0][:, :3]


def appearance_stats(pixels):
    """Statistics of object pixels (N, 3) RGB in [0, 1]."""
    value = pixels.max(axis=1)
    spread = value - pixels.min(axis=1)
    saturation = np.divide(spread, value, out=np.zeros_like(value), where=value > 0)
    return {'pixels': int(len(pixels)), 'coloured_share': float(np.mean(saturation > COLOURED_SATURATION)),
            'brightness_mean': float(value.mean()), 'brightness_std': float(value.std()),
            'dark_share': float(np.mean(value < DARK_VALUE))}


def tree_appearance(root, views=None, max_models_per_category=None, category_weights=None):
    """appearance_stats over the renderings of every model of a tree (views: the first n, or all).

    category_weights ({synset: weight}) compares like with like: only those categories are read, and
    each one's pixels are subsampled (seeded) so that it weighs in proportion to its weight, e.g. the
    number of real models of the category, whatever the number of generated ones.
    """
    by_synset = {}
    for synset, models in tree_models(root).items():
        if category_weights is not None and synset not in category_weights:
            continue
        for m in models[:max_models_per_category]:
            folder = os.path.join(root, 'ShapeNetRendering', synset, m, 'rendering')
            if not os.path.isdir(folder):
                continue
            pngs = sorted(f for f in os.listdir(folder) if f.endswith('.png'))[:views]
            for f in pngs:
                pixels = _object_pixels(os.path.join(folder, f))
                if pixels is not None and len(pixels):
                    by_synset.setdefault(synset, []).append(pixels)
    if not by_synset:
        raise DataError(f'{root}: no readable renderings under ShapeNetRendering/')
    pools = {s: np.concatenate(p) for s, p in sorted(by_synset.items())}
    if category_weights is None:
        return appearance_stats(np.concatenate(list(pools.values())))
    per_weight = min(len(p) / category_weights[s] for s, p in pools.items())
    rng = np.random.default_rng(0)
    return appearance_stats(np.concatenate([
        p[rng.choice(len(p), int(per_weight * category_weights[s]), replace=False)] for s, p in pools.items()]))


def summary(rows):
    values = np.array([r['coverage'] for r in rows])
    per_category = {}
    for r in rows:
        per_category.setdefault(r['synset'], []).append(r['coverage'])
    return {'mean': float(values.mean()), 'min': float(values.min()), 'models': len(rows),
            'per_category': {s: float(np.mean(v)) for s, v in sorted(per_category.items())}}


def report_markdown(real_root, generated_root, rows, s, real_look, generated_look, names):
    """coverage.md: the per-model table, s = summary(rows), and the appearance table if measured."""
    lines = [f'# Coverage of {real_root} by {generated_root}', '',
             'Per real model: the best voxel IoU against any generated model of its category.', '',
             '| category | real model | coverage | best generated match |', '|---|---|---|---|']
    for r in rows:
        lines.append(f"| {names.get(r['synset'], r['synset'])} | {r['model']} | {r['coverage']:.3f} | "
                     f"{r['best_match']} |")
    lines += ['', f"**Mean {s['mean']:.3f}**, lowest {s['min']:.3f}, over {s['models']} real models.", '',
              '| category | mean coverage |', '|---|---|']
    lines += [f'| {names.get(k, k)} | {v:.3f} |' for k, v in s['per_category'].items()]
    if real_look is None:
        return '\n'.join(lines) + '\n'
    lines += ['', '## Appearance of the object pixels', '',
              '| | coloured (saturation > 0.25) | brightness mean | brightness spread | dark (value < 0.25) |',
              '|---|---|---|---|---|']
    for label, look in (('real', real_look), ('generated, same categories weighted like the real', generated_look)):
        lines.append(f"| {label} | {look['coloured_share']:.3f} | {look['brightness_mean']:.3f} | "
                     f"{look['brightness_std']:.3f} | {look['dark_share']:.3f} |")
    return '\n'.join(lines) + '\n'


def coverage_picture(path, real_root, generated_root, rows, names):
    """Each real model's voxels next to its best generated match (with the IoU), one row per model."""
    from PIL import ImageDraw
    from lib.rendering.render import render_voxel_preview
    tile, label = 160, 16
    canvas = Image.new('RGB', (2 * tile, len(rows) * (tile + label)), 'white')
    draw = ImageDraw.Draw(canvas)
    for k, r in enumerate(rows):
        y = k * (tile + label)
        for col, (root, model) in enumerate(((real_root, r['model']), (generated_root, r['best_match']))):
            grid = read_binvox(os.path.join(root, 'ShapeNetVox32', r['synset'], model, 'model.binvox')).data
            canvas.paste(Image.fromarray(render_voxel_preview(grid, size=tile)), (col * tile, y + label))
        draw.text((4, y + 2), f"{names.get(r['synset'], r['synset'])} {r['model'][:12]}: best "
                              f"generated IoU {r['coverage']:.2f}", fill=(30, 30, 30))
    atomic_write(path, lambda tmp: canvas.save(tmp, format='PNG'))
    return path


def write_report(out_dir, real_root, generated_root, names):
    """Compute everything, write coverage.json / coverage.md / coverage.png; return (markdown, summary)."""
    rows = shape_coverage(real_root, generated_root)
    try:
        real_look = tree_appearance(real_root)
        # the real tree's categories only, weighted by its number of models in each
        real_counts = {r['synset']: sum(q['synset'] == r['synset'] for q in rows) for r in rows}
        generated_look = tree_appearance(generated_root, views=APPEARANCE_VIEWS, category_weights=real_counts)
    except DataError as e:   # voxels without renderings still say how well shapes are covered
        warn(f'no appearance report: {e}')
        real_look = generated_look = None
    totals = summary(rows)
    text = report_markdown(real_root, generated_root, rows, totals, real_look, generated_look, names)
    os.makedirs(out_dir, exist_ok=True)
    atomic_write_text(os.path.join(out_dir, 'coverage.json'), json.dumps(
        {'real_root': str(real_root), 'generated_root': str(generated_root), 'models': rows,
         'summary': totals, 'appearance': {'real': real_look, 'generated': generated_look}},
        indent=1) + '\n')
    atomic_write_text(os.path.join(out_dir, 'coverage.md'), text)
    coverage_picture(os.path.join(out_dir, 'coverage.png'), real_root, generated_root, rows, names)
    return text, totals
