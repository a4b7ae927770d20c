#!/usr/bin/env python3
"""Picture for the README: real ShapeNet renderings next to embedded (generated) objects, each with
its 32^3 voxels.

    .venv/bin/python experiments/scripts/embedded_vs_real.py \
        [--sample tests/data/shapenet-sample] [--out experiments/results/embedded_vs_real.png]

Top: the three real models of the shared sample (two of their renderings and their ShapeNetVox32 grid).
Below: the first three objects of each category of the embedded dataset with the default seed, exactly
the bytes the generator writes (rendering 00 and the binvox of each; no picking). Renderings are shown
over white, voxels with lib/rendering/render.py's preview.
"""
import argparse
import io
import os
import pathlib
import sys

REPO = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402
from PIL import Image, ImageDraw, ImageFont  # noqa: E402

from datasets.embedded.generator import make_model  # noqa: E402
from lib.binvox_rw import parse_binvox, read_binvox  # noqa: E402
from lib.config import CATEGORY_NAMES  # noqa: E402
from lib.rendering.render import render_voxel_preview  # noqa: E402

TILE = 137
LABEL = 18
VIEWS = (0, 7)   # which two of the 24 renderings to show


def over_white(rgba):
    alpha = rgba[..., 3:].astype(np.float64) / 255.0
    return np.round(rgba[..., :3] * alpha + 255.0 * (1 - alpha)).astype(np.uint8)


def cell(title, renderings, grids):
    """Renderings then voxel previews side by side (or interleaved pairs), with a title above."""
    tiles = []
    for r, g in zip(renderings, grids):
        tiles.append(over_white(r))
        if g is not None:
            tiles.append(render_voxel_preview(g, size=TILE))
    body = np.concatenate(tiles, axis=1)
    image = Image.new('RGB', (body.shape[1], body.shape[0] + LABEL), 'white')
    image.paste(Image.fromarray(body), (0, LABEL))
    ImageDraw.Draw(image).text((4, 2), title, fill=(40, 40, 40), font=_font(12))
    return image


def _font(size):
    try:
        return ImageFont.load_default(size=size)
    except TypeError:   # Pillow without FreeType sizes
        return ImageFont.load_default()


def real_cells(sample):
    cells = []
    for category in sorted((sample / 'ShapeNetRendering').iterdir()):
        for model in sorted(p for p in category.iterdir() if p.is_dir()):
            folder = model / 'rendering'
            renderings = [np.asarray(Image.open(folder / f'{i:02d}.png').convert('RGBA')) for i in VIEWS]
            grid = read_binvox(sample / 'ShapeNetVox32' / category.name / model.name / 'model.binvox').data
            name = CATEGORY_NAMES.get(category.name, category.name)
            cells.append(cell(f'real {name}: 2 of its 24 renderings, its voxels', renderings, [None, grid]))
    return cells


def generated_cells(seed=0, per_category=3):
    cells = []
    for synset in sorted(CATEGORY_NAMES):
        renderings, grids = [], []
        for index in range(per_category):
            mid, files = make_model(seed, synset, index)
            png = files[f'ShapeNetRendering/{synset}/{mid}/rendering/{VIEWS[0]:02d}.png']
            renderings.append(np.asarray(Image.open(io.BytesIO(png))))
            grids.append(parse_binvox(files[f'ShapeNetVox32/{synset}/{mid}/model.binvox']).data)
        cells.append(cell(f'generated {CATEGORY_NAMES[synset]}: objects 0-{per_category - 1}, '
                          'rendering 00 and voxels of each', renderings, grids))
    return cells


def section(title, cells, width):
    per_row = max(1, width // cells[0].size[0])
    rows = [cells[i:i + per_row] for i in range(0, len(cells), per_row)]
    cw, ch = cells[0].size
    head = 26
    image = Image.new('RGB', (width, head + ch * len(rows)), 'white')
    ImageDraw.Draw(image).text((6, 5), title, fill=(0, 0, 0), font=_font(15))
    for r, row in enumerate(rows):
        for c, item in enumerate(row):
            image.paste(item, (c * cw, head + r * ch))
    return image


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--sample', default=str(REPO / 'tests/data/shapenet-sample'),
                        help='real ShapeNet sample (ShapeNet layout)')
    parser.add_argument('--out', default=str(REPO / 'experiments/results/embedded_vs_real.png'))
    args = parser.parse_args(argv)
    sample = pathlib.Path(args.sample)
    if not (sample / 'ShapeNetRendering').is_dir():
        print(f'error: no ShapeNet sample at {sample} (--sample)', file=sys.stderr)
        return 1
    real, generated = real_cells(sample), generated_cells()
    width = generated[0].size[0] * 2
    parts = [section('Real ShapeNet: 3D-R2N2 renderings (ShapeNetRendering) and ShapeNetVox32 voxels', real, width),
             section('Embedded dataset (./run.sh generate-data, seed 0): the first three objects of each '
                     'category, as written', generated, width)]
    canvas = Image.new('RGB', (width, sum(p.size[1] for p in parts) + 8), 'white')
    y = 0
    for p in parts:
        canvas.paste(p, (0, y))
        y += p.size[1] + 8
    out = pathlib.Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + '.tmp')
    canvas.save(tmp, format='PNG', optimize=True)
    os.replace(tmp, out)
    print(f'{out}: {canvas.size[0]}x{canvas.size[1]}, {out.stat().st_size // 1024} KiB')
    return 0


if __name__ == '__main__':
    sys.exit(main())
