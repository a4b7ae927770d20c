#!/usr/bin/env python3
"""Contact sheet of a category grammar: N objects, each as a rendering and its 32^3 voxels, with the
part checks of tests/shape_checks.py printed per object. For whoever edits datasets/embedded/shapes/<category>.py.

    .venv/bin/python experiments/scripts/preview_grammar.py chair [--n 24] [--version 2] [--seed 1]
        [--out output/preview_chair.png]
"""
import argparse
import pathlib
import sys
import time

REPO = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from datasets.embedded import generator as embedded  # noqa: E402
from lib.config import CATEGORY_NAMES  # noqa: E402
from lib.rendering.render import render_voxel_preview  # noqa: E402
from tests.shape_checks import CHECKS, crop  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('category', help='name (chair) or synset')
    parser.add_argument('--n', type=int, default=24)
    parser.add_argument('--version', type=int, default=embedded.FORMAT_VERSION)
    parser.add_argument('--seed', type=int, default=1)
    parser.add_argument('--out', default=None)
    args = parser.parse_args()
    by_name = {v: k for k, v in CATEGORY_NAMES.items()}
    synset = by_name.get(args.category, args.category)
    tiles = []
    for i in range(args.n):
        t0 = time.time()
        mid, files = embedded.make_model(args.seed, synset, i, version=args.version)
        from lib.binvox_rw import parse_binvox
        grid = parse_binvox(files[f'ShapeNetVox32/{synset}/{mid}/model.binvox']).data
        png = files[f'ShapeNetRendering/{synset}/{mid}/rendering/00.png']
        import io
        rgba = np.asarray(Image.open(io.BytesIO(png)).convert('RGBA'))
        alpha = rgba[..., 3:] / 255.0
        over = np.round(rgba[..., :3] * alpha + 255 * (1 - alpha)).astype(np.uint8)
        tiles.append(np.concatenate([over, render_voxel_preview(grid, size=137)], axis=1))
        checks = CHECKS[synset](crop(grid))
        missing = [k for k, ok in checks.items() if not ok]
        print(f'{i:3d} {time.time() - t0:5.2f}s occupancy {grid.mean():.3f} missing {missing or "-"}')
    cols = 4
    rows = [np.concatenate(tiles[r * cols:(r + 1) * cols] + [np.full_like(tiles[0], 255)] *
                           (cols - len(tiles[r * cols:(r + 1) * cols])), axis=1)
            for r in range((len(tiles) + cols - 1) // cols)]
    out = pathlib.Path(args.out or REPO / 'output' / f'preview_{CATEGORY_NAMES[synset]}_v{args.version}.png')
    out.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.concatenate(rows, axis=0)).save(out)
    print(out)


if __name__ == '__main__':
    main()
