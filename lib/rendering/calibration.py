"""Camera calibration against a ShapeNet-layout dataset (`./run.sh calibrate ROOT`).

For every model, the ground-truth voxels are rendered as full cubes (lib/rendering/render.py) at each viewpoint of
its rendering_metadata.txt and the silhouette is compared with the rendering's alpha channel (alpha > 0).
A wrong axis order, azimuth direction, camera distance or focal length drops the intersection over union
far below what voxels that are merely fatter than the mesh give (REFERENCE.md: 0.68-0.91 per model,
about 0.82 on average for real ShapeNet data).
"""
import dataclasses
import math
import os

import numpy as np
from PIL import Image

from lib.binvox_rw import BinvoxError, read_binvox
from lib.rendering.render import Camera, render_voxel_silhouette

MIN_MODEL_IOU = 0.60     # every model's mean silhouette IoU (issue 3)
MIN_MEAN_IOU = 0.75      # mean over models
RENDERING_PATH = '{root}/ShapeNetRendering/{category}/{model}/rendering'
VOXEL_PATH = '{root}/ShapeNetVox32/{category}/{model}/model.binvox'


class CalibrationError(ValueError):
    """A dataset root that cannot be calibrated at all (missing, empty)."""


@dataclasses.dataclass
class ModelCalibration:
    synset: str
    model: str
    ious: list = dataclasses.field(default_factory=list)   # one per view
    problem: str = ''                                      # why the model could not be checked

    @property
    def mean(self):
        return float(np.mean(self.ious)) if self.ious else float('nan')

    @property
    def min(self):
        return float(np.min(self.ious)) if self.ious else float('nan')

    @property
    def passed(self):
        return not self.problem and self.mean >= MIN_MODEL_IOU


def _category_dir(template, root, synset):
    return os.path.normpath(template.split('{model}')[0].format(root=root, category=synset))


def _subdirs(folder):
    try:
        with os.scandir(folder) as entries:
            return sorted(e.name for e in entries if e.is_dir() and not e.name.startswith('.'))
    except (FileNotFoundError, NotADirectoryError):
        return []


def find_models(root, per_category=None, rendering_path=RENDERING_PATH, voxel_path=VOXEL_PATH):
    """[(synset, model)] with renderings or voxels under root, sorted; at most per_category each."""
    if not os.path.isdir(root):
        raise CalibrationError(f'dataset root {root} is not a folder')
    synsets = sorted(set(_subdirs(rendering_path.split('{category}')[0].format(root=root)))
                     | set(_subdirs(voxel_path.split('{category}')[0].format(root=root))))
    pairs = []
    for synset in synsets:
        models = sorted(set(_subdirs(_category_dir(rendering_path, root, synset)))
                        | set(_subdirs(_category_dir(voxel_path, root, synset))))
        pairs += [(synset, m) for m in models[:per_category]]
    if not pairs:
        raise CalibrationError(f'no models under {root} (expected ShapeNetRendering/<synset>/<model>/ '
                               'and ShapeNetVox32/<synset>/<model>/)')
    return pairs


def read_metadata(path):
    """Rows (azimuth, elevation, in-plane rotation, distance ratio, fov) of rendering_metadata.txt."""
    try:
        with open(path) as f:
            lines = [line.split() for line in f if line.strip()]
    except FileNotFoundError:
        raise ValueError(f'{path}: metadata file not found') from None
    except (OSError, UnicodeDecodeError) as e:
        raise ValueError(f'{path}: cannot read ({e})') from None
    rows = []
    for i, words in enumerate(lines, 1):
        try:
            values = [float(w) for w in words]
        except ValueError:
            values = []
        if len(values) != 5:
            raise ValueError(f'{path}: line {i}: expected 5 numbers, got {" ".join(words)[:60]!r}')
        if not all(math.isfinite(v) for v in values):   # float() reads 'nan'; the view would score 0
            raise ValueError(f'{path}: line {i}: not a finite number in {" ".join(words)[:60]!r}')
        rows.append(values)
    if not rows:
        raise ValueError(f'{path}: no viewpoints')
    return rows


def read_alpha(path):
    """Foreground mask (alpha > 0) of a rendering."""
    try:
        with Image.open(path) as im:
            im.load()
            if im.mode not in ('RGBA', 'LA', 'PA'):
                raise ValueError(f'{path}: no alpha channel (mode {im.mode}); cannot compare silhouettes')
            alpha = np.asarray(im.getchannel('A'))
    except FileNotFoundError:
        raise ValueError(f'{path}: rendering not found') from None
    except OSError as e:   # PIL's UnidentifiedImageError and truncated files are OSErrors
        raise ValueError(f'{path}: not a readable PNG ({e})') from None
    if alpha.shape[0] != alpha.shape[1]:
        raise ValueError(f'{path}: expected a square image, got {alpha.shape[1]}x{alpha.shape[0]}')
    return alpha > 0


def silhouette_iou(a, b):
    union = np.count_nonzero(a | b)
    return np.count_nonzero(a & b) / union if union else 1.0


def calibrate_model(root, synset, model, rendering_path=RENDERING_PATH, voxel_path=VOXEL_PATH):
    """Silhouette IoU of the full voxel cubes against each real rendering of one model."""
    result = ModelCalibration(synset, model)
    rendering_dir = rendering_path.format(root=root, category=synset, model=model)
    try:
        voxels = read_binvox(voxel_path.format(root=root, category=synset, model=model))
        views = read_metadata(os.path.join(rendering_dir, 'rendering_metadata.txt'))
        for i, (azimuth, elevation, _, distance_ratio, _) in enumerate(views):
            real = read_alpha(os.path.join(rendering_dir, f'{i:02d}.png'))
            camera = Camera(azimuth, elevation, distance_ratio, size=real.shape[0])
            ours = render_voxel_silhouette(voxels.data, camera, voxels.scale)
            result.ious.append(silhouette_iou(ours, real))
    except (BinvoxError, ValueError) as e:
        result.problem = str(e)
        result.ious = []
    return result


def calibrate(root, per_category=None, rendering_path=RENDERING_PATH, voxel_path=VOXEL_PATH):
    """Yield a ModelCalibration per model of the tree under root."""
    for synset, model in find_models(root, per_category, rendering_path, voxel_path):
        yield calibrate_model(root, synset, model, rendering_path, voxel_path)


def verdict(results):
    """(passed, mean over models, one-line summary) of a list of ModelCalibration."""
    checked = [r for r in results if not r.problem]
    bad = [r for r in results if r.problem]
    low = [r for r in checked if r.mean < MIN_MODEL_IOU]
    mean = float(np.mean([r.mean for r in checked])) if checked else float('nan')
    passed = bool(checked) and not bad and not low and mean >= MIN_MEAN_IOU
    text = (f'mean silhouette IoU over {len(checked)} models: {mean:.3f} '
            f'(required: every model >= {MIN_MODEL_IOU:.2f}, mean >= {MIN_MEAN_IOU:.2f}); ')
    if passed:
        text += 'calibration OK'
    else:
        reasons = []
        if low:
            reasons.append(f'{len(low)} models below {MIN_MODEL_IOU:.2f}')
        if bad:
            reasons.append(f'{len(bad)} models unreadable')
        if checked and mean < MIN_MEAN_IOU:
            reasons.append(f'mean below {MIN_MEAN_IOU:.2f}')
        if not checked:
            reasons.append('no model could be checked')
        text += 'calibration FAILED: ' + ', '.join(reasons)
    return passed, mean, text
