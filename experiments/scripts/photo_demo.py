#!/usr/bin/env python3
"""Photo-like demo inputs and what the shipped weights make of them.

    .venv/bin/python experiments/scripts/photo_demo.py [--real ../shared/data/real-eval]
        [--weights experiments/results/cpu_real_w8/res_gru_3.weights.h5] [--out experiments/demo]

Makes three inputs the way a user's product photos look: a real ShapeNet rendering (real-eval; used
only as a picture here, never to train or tune) placed small and off-centre on a large canvas with a
plain but not white background (a shaded wall colour with sensor noise and a soft vignette), saved as
JPEG (quality 85). Then reconstructs each with ./run.sh demo's preprocessing (lib.demo.reconstruct) and
writes photos.png: input | what the network sees | prediction | ground truth.
"""
import argparse
import pathlib
import sys

REPO = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402
from PIL import Image, ImageDraw  # noqa: E402

from lib.binvox_rw import read_binvox  # noqa: E402
from lib.commands.networks import SHIPPED_WEIGHTS  # noqa: E402
from lib.demo.reconstruct import Reconstructor, prepare_view  # noqa: E402
from lib.rendering.render import render_voxel_preview  # noqa: E402

# (name, synset, model, view, background RGB, canvas (w, h), object height fraction, centre (x, y))
INPUTS = [
    ('photo_armchair', '03001627', '1ab4c6ef68073113cf004563556ddb36', 3, (214, 206, 192), (640, 480), 0.5, (0.42, 0.55)),
    ('photo_pickup', '02958343', 'sample-car', 5, (188, 196, 204), (800, 500), 0.45, (0.55, 0.5)),
    ('photo_cantilever', '03001627', '1a74a83fa6d24b3cacd67ce2c72c02e', 8, (232, 228, 220), (500, 600), 0.45, (0.5, 0.45)),
]
TILE = 160


def make_photo(rendering, background, canvas, fill, centre, seed):
    rng = np.random.default_rng(seed)
    w, h = canvas
    yy, xx = np.mgrid[0:h, 0:w]
    vignette = 1.0 - 0.12 * (((xx / w - 0.5) ** 2 + (yy / h - 0.5) ** 2) / 0.5)
    shade = 1.0 + 0.05 * (yy / h - 0.5)          # light falling from above
    photo = np.asarray(background, np.float64)[None, None] * (vignette * shade)[..., None]
    rgba = np.asarray(rendering, np.float64)
    alpha = rgba[..., 3] / 255.0
    rows, cols = np.nonzero(alpha > 0)
    crop = rgba[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
    scale = fill * h / crop.shape[0]
    size = (max(1, int(round(crop.shape[1] * scale))), max(1, int(round(crop.shape[0] * scale))))
    obj = np.asarray(Image.fromarray(crop.astype(np.uint8), 'RGBA').resize(size, Image.LANCZOS), np.float64)
    x0 = int(centre[0] * w - size[0] / 2)
    y0 = int(centre[1] * h - size[1] / 2)
    a = obj[..., 3:] / 255.0
    region = photo[y0:y0 + size[1], x0:x0 + size[0]]
    photo[y0:y0 + size[1], x0:x0 + size[0]] = obj[..., :3] * a + region * (1 - a)
    photo += rng.normal(0, 2.5, photo.shape)
    return Image.fromarray(np.clip(np.round(photo), 0, 255).astype(np.uint8))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--real', default=str(REPO.parent / 'shared' / 'data' / 'real-eval'))
    parser.add_argument('--weights', default=str(REPO / SHIPPED_WEIGHTS))   # the demo's default
    parser.add_argument('--out', default=str(REPO / 'experiments' / 'demo'))
    args = parser.parse_args()
    real, out = pathlib.Path(args.real), pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    net = Reconstructor(args.weights)
    rows = []
    for k, (name, synset, model, view, background, canvas, fill, centre) in enumerate(INPUTS):
        rendering = Image.open(real / 'ShapeNetRendering' / synset / model / 'rendering' / f'{view:02d}.png').convert('RGBA')
        path = out / f'{name}.jpg'
        make_photo(rendering, background, canvas, fill, centre, seed=k).save(path, quality=85)
        seen = np.round(prepare_view(str(path)) * 255).astype(np.uint8)
        occupancy = net([str(path)])
        truth = read_binvox(str(real / 'ShapeNetVox32' / synset / model / 'model.binvox')).data
        iou = float(np.logical_and(occupancy >= 0.4, truth).sum() / np.logical_or(occupancy >= 0.4, truth).sum())
        photo = Image.open(path).convert('RGB')
        photo.thumbnail((TILE, TILE))
        tiles = [photo, Image.fromarray(seen).resize((TILE, TILE)),
                 Image.fromarray(render_voxel_preview(occupancy, size=TILE)),
                 Image.fromarray(render_voxel_preview(truth, size=TILE))]
        row = Image.new('RGB', (4 * TILE, TILE + 16), 'white')
        for i, t in enumerate(tiles):
            row.paste(t, (i * TILE + (TILE - t.size[0]) // 2, 16 + (TILE - t.size[1]) // 2))
        ImageDraw.Draw(row).text((4, 2), f'{name}.jpg: input | network input | prediction (IoU {iou:.2f} at 0.4) | '
                                         f'ground truth', fill=(30, 30, 30))
        rows.append(row)
        print(f'{name}: IoU {iou:.3f}')
    sheet = Image.new('RGB', (4 * TILE, sum(r.size[1] for r in rows)), 'white')
    y = 0
    for r in rows:
        sheet.paste(r, (0, y))
        y += r.size[1]
    sheet.save(out / 'photos.png')
    print(out / 'photos.png')


if __name__ == '__main__':
    main()
