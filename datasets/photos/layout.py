"""Real photographs with a 3D ground truth (PASCAL 3D+, Pix3D) brought into the ShapeNet layout.

A dataset reader (datasets/photos/pascal3d.py, datasets/photos/pix3d.py) lists Samples: one annotated object in
one photo, with its box and where its ground truth comes from. build_view() writes each sample once,
atomically, into a folder in the ShapeNet layout the whole pipeline reads:

    <view>/ShapeNetRendering/<category>/<sample>/rendering/00.png   the photo framed like a rendering
    <view>/ShapeNetVox32/<category>/<sample>/model.binvox           the sample's 32^3 ground truth
    <view>/<split>.json                                             the split's categories and samples

so testing and fine-tuning are the ShapeNet commands with one view per object: the same test
preprocessing (centre crop of the 137 frame), the same training augmentation (random 127 crop, flip),
the same batches, bad-file handling and reports. The photo is framed by lib.data_augmentation.frame_box
(the demo's framing: the box's long side fills 0.69 of the 137 frame, as objects fill the
renderings), background kept; with a dataset mask (Pix3D, --mask) the mask becomes the alpha
channel, so the background is replaced like a rendering's transparent pixels (240 at test time, a
random light colour in training). A view's folder name holds its options and VIEW_VERSION, so a
change of either makes a new one.

Bad data never stops a run: a missing or unreadable photo, annotation or mesh is one warning line
naming the file; its samples are skipped and counted (Skips).
"""
import collections
import dataclasses
import json
import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from lib.binvox_rw import Voxels, encode_binvox
from lib.data_augmentation import frame_box, load_image, split_alpha
from lib.data_io import DataError, warn
from lib.output.atomic import atomic_write, atomic_write_text

VIEW_VERSION = 1
RENDERING = 'ShapeNetRendering/{category}/{sample}/rendering/00.png'
VOXELS = 'ShapeNetVox32/{category}/{sample}/model.binvox'


@dataclasses.dataclass
class Sample:
    """One annotated object: its photo, its box, and its ground truth."""
    category: str
    sample_id: str
    image: str                  # path of the photo
    box: tuple                  # (top, bottom, left, right): pixel edges, 0-based, bottom/right exclusive
    truth_file: str             # the file the ground truth is made from (mesh or voxel grid)
    truth: object               # callable () -> bool (32, 32, 32) grid, x-y-z, y up (may raise DataError)
    mask: str = ''              # path of the object's mask (Pix3D), '' if none


class Skips:
    """Samples left out because of bad data: each one warned about once, in one line, and counted."""

    def __init__(self):
        self.items = []         # (category, sample or file, problem)

    def add(self, problem, category='', what='', samples=1):
        """problem: 'file: what is wrong'; samples: how many samples it takes out (each counted)."""
        self.items.extend([(category, what, problem)] * samples)
        which = f' ({category}/{what})' if what and samples == 1 else ''
        warn(f'{problem}; {samples} sample{"s" if samples != 1 else ""} skipped{which}')

    def __len__(self):
        return len(self.items)


def box_from_corners(x1, y1, x2, y2, path=''):
    """(top, bottom, left, right) of a box given as corners [x1 y1 x2 y2]; a DataError if it is empty
    or not finite."""
    values = np.asarray([x1, y1, x2, y2], np.float64)
    if not np.isfinite(values).all() or x2 <= x1 or y2 <= y1:
        raise DataError(f'{path}: bad bounding box {[float(v) for v in values]}')
    return float(y1), float(y2), float(x1), float(x2)


def view_root(cache, dataset, masked=False):
    """The folder of one dataset's view: its options and the view version are in its name."""
    return os.path.join(cache, f'{dataset}-v{VIEW_VERSION}' + ('-masked' if masked else ''))


def framed_photo(sample, masked=False):
    """The sample's photo framed like a rendering: uint8 (137, 137, 3), or RGBA with the mask as alpha."""
    rgb, _ = split_alpha(load_image(sample.image, formats=None))
    alpha = None
    if masked:
        if not sample.mask:
            raise DataError(f'{sample.image}: no mask for this sample')
        mask, _ = split_alpha(load_image(sample.mask, formats=None))
        if mask.shape[:2] != rgb.shape[:2]:
            raise DataError(f'{sample.mask}: mask is {mask.shape[1]}x{mask.shape[0]}, the photo '
                            f'{rgb.shape[1]}x{rgb.shape[0]}')
        alpha = np.where(mask.max(axis=2) >= 128, 255, 0).astype(np.uint8)
    top, bottom, left, right = sample.box
    h, w = rgb.shape[:2]
    if bottom <= 0 or right <= 0 or top >= h or left >= w:
        raise DataError(f'{sample.image}: the box {sample.box} lies outside the {w}x{h} photo')
    return frame_box(rgb, sample.box, alpha=alpha)


def _write_png(path, array):
    from PIL import Image
    if os.path.isfile(path):
        return
    atomic_write(path, lambda tmp: Image.fromarray(array).save(tmp, format='PNG'))
    listing = os.path.join(os.path.dirname(path), 'renderings.txt')
    if not os.path.isfile(listing):
        atomic_write_text(listing, os.path.basename(path) + '\n')


def _write_voxels(path, grid):
    raw = encode_binvox(Voxels(np.asarray(grid, bool), (-0.5, -0.5, -0.5), 1.0))
    try:
        with open(path, 'rb') as f:
            if f.read() == raw:
                return   # already there: no write (and no fsync) per sample on a rerun
    except OSError:
        pass

    def write(tmp):
        with open(tmp, 'wb') as f:
            f.write(raw)
    atomic_write(path, write)


def build_view(samples, root, skips, images=True, masked=False, workers=2, log=print):
    """Write the samples into the view at root (see the module docstring); returns the (category,
    sample) pairs written, in order. images=False writes the ground truth only (what a mean-shape
    baseline needs). Samples already written are not made again."""
    truths, bad_truths = {}, {}
    by_truth = collections.defaultdict(list)
    for s in samples:
        by_truth[s.truth_file].append(s)

    def make_truth(item):
        key, group = item
        try:
            grid = np.asarray(group[0].truth(), bool)
        except DataError as e:
            return key, None, str(e)
        if grid.shape != (32, 32, 32) or not grid.any():
            return key, None, f'{key}: the ground truth is {"empty" if grid.size else "missing"}'
        return key, grid, None

    def make_sample(s):
        try:
            if images:
                png = os.path.join(root, RENDERING.format(category=s.category, sample=s.sample_id))
                if not os.path.isfile(png):
                    _write_png(png, framed_photo(s, masked))
            _write_voxels(os.path.join(root, VOXELS.format(category=s.category, sample=s.sample_id)),
                          truths[s.truth_file])
            return None
        except DataError as e:
            return str(e)

    with ThreadPoolExecutor(max(1, workers)) as pool:
        for key, grid, problem in pool.map(make_truth, list(by_truth.items())):
            if problem:
                bad_truths[key] = problem
                group = by_truth[key]
                skips.add(problem, group[0].category, group[0].sample_id, samples=len(group))
            else:
                truths[key] = grid
        todo = [s for s in samples if s.truth_file in truths]
        written = []
        if todo:
            log(f'  preparing {len(todo)} samples in {root}' + (' (photos framed once, then reused)' if images else ''))
        for s, problem in zip(todo, pool.map(make_sample, todo)):
            if problem:
                skips.add(problem, s.category, s.sample_id)
            else:
                written.append((s.category, s.sample_id))
    return written


def write_split(root, name, pairs):
    """<root>/<name>.json: the categories file (DIR.DATASET) listing the split's samples."""
    by_category = collections.defaultdict(list)
    for category, sample in pairs:
        by_category[category].append(sample)
    data = {c: {'id': c, 'name': c, 'models': sorted(m)} for c, m in sorted(by_category.items())}
    return atomic_write_text(os.path.join(root, f'{name}.json'), json.dumps(data, indent=1))


def view_config(cfg, root, split_json):
    """cfg pointed at a view: its root and split file, one rendering (the photo) per object, every
    listed sample in both portions (the split file is the split)."""
    cfg.DIR.DATASET_ROOT = root
    cfg.DIR.DATASET = split_json
    cfg.DIR.RENDERING_PATH = '{root}/ShapeNetRendering/{category}/{model}/rendering'
    cfg.DIR.VOXEL_PATH = '{root}/ShapeNetVox32/{category}/{model}/model.binvox'
    cfg.TRAIN.NUM_RENDERING = 1
    cfg.TRAIN.DATASET_PORTION = [0.0, 1.0]
    cfg.TEST.DATASET_PORTION = [0.0, 1.0]
    return cfg
