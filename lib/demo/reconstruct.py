"""Reconstruct your own images: the public API for scripts, used by `./run.sh demo` and `./run.sh serve`.

    from lib.demo.reconstruct import Reconstructor
    net = Reconstructor('experiments/results/cpu_real_w8/res_gru_3.weights.h5')
    occupancy = net(['chair_front.png', 'chair_side.jpg'])     # (32, 32, 32) P(occupied), x-y-z, y up

    stream = net.stream()                 # views one at a time, as they arrive
    for image in images:
        occupancy = stream.add(image)     # the shape refined by every view so far
    stream.reset()                        # next object

Images may be file paths or arrays, any size, grey, RGB or RGBA. They are brought to what the
network was trained on (prepare_view): transparent pixels get the test background (240); a 137x137
rendering gets the original test crop; anything else is cropped around the object and scaled,
without distortion, so the object fills the frame as objects fill the ShapeNet renderings.
"""
import os

import numpy as np
from keras import ops

from lib.config import get_default_config
from lib.data_augmentation import (OBJECT_FILL, RENDERING_SIZE, border_colour, frame_box,  # noqa: F401 (the API's names)
                                   load_image, preprocess_test, split_alpha)
from lib.data_io import DataError, warn
from lib.voxel import occupied_probability
from lib.weights import WeightsError, load_weights, read_spec
from models import build_network, spec_from_stored
from models.common import logits_after_views

def _object_mask(rgb, alpha):
    """The object's pixels: alpha > 0, or pixels unlike the border colour (beyond JPEG noise and the
    background's own variation); None when nothing stands out (a blank or uniform image)."""
    if alpha is not None and (alpha > 0).any() and not (alpha > 0).all():
        return alpha > 0
    background, spread = border_colour(rgb)
    mask = np.abs(rgb.astype(np.float32) - background).max(axis=2) > max(24.0, 4.0 * spread)
    return mask if mask.sum() >= 0.005 * mask.size else None


PLAIN_SPREAD = 8.0   # border spread (grey levels) below which a background counts as plain


def _plain_background_to_test_colour(rgb, background):
    """A plain background (a wall, a studio sweep) recoloured to the test background the network was
    trained against, with a soft edge; only background connected to the border is touched, so object
    parts of the wall's colour stay. A busy background (a photo) is returned as it is."""
    from scipy import ndimage
    colour, spread = border_colour(rgb)
    if spread > PLAIN_SPREAD:
        return rgb
    tolerance = max(24.0, 4.0 * spread)
    distance = np.abs(rgb.astype(np.float32) - colour).max(axis=2)
    labels, _ = ndimage.label(distance < tolerance)
    edge = np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]])
    wall = np.isin(labels, np.unique(edge[edge > 0]))
    # the whole wall goes (shading across it, a vignette, stays within the tolerance), with a
    # one-pixel soft edge so the object's outline is antialiased like a rendering's
    opacity = np.clip(ndimage.gaussian_filter((~wall).astype(np.float32), 0.7), 0.0, 1.0)[..., None]
    return np.round(rgb * opacity + background * (1 - opacity)).astype(np.uint8)


def _object_box(rgb, alpha):
    """(top, bottom, left, right) of the object; the whole frame when there is no distinct object."""
    mask = _object_mask(rgb, alpha)
    if mask is None:
        mask = np.ones(rgb.shape[:2], bool)
    rows, cols = np.nonzero(mask)
    return rows.min(), rows.max() + 1, cols.min(), cols.max() + 1


def prepare_view(image, cfg=None):
    """One image (path or array) -> float32 (127, 127, 3) in [0, 1], as the network expects."""
    cfg = cfg or get_default_config()
    name = str(image) if isinstance(image, (str, os.PathLike)) else f'an image of {np.shape(image)}'
    if isinstance(image, (str, os.PathLike)):
        image = load_image(str(image), formats=None)
    rgb, alpha = split_alpha(image)
    h, w = rgb.shape[:2]
    if _object_mask(rgb, alpha) is None:   # the network would still draw a shape: say it is a guess
        warn(f'{name}: no object found (the image is blank or one colour); its view tells the network nothing')
    if (h, w) == (RENDERING_SIZE, RENDERING_SIZE):
        return preprocess_test(image if alpha is None else np.dstack([rgb, alpha]), cfg)
    if alpha is not None:
        # composite on the test background first, so resampling blends edges towards it
        background = np.array([np.mean(r) for r in cfg.TEST.NO_BG_COLOR_RANGE], np.float32)
        a = alpha[..., None].astype(np.float32) / 255.0
        rgb = (rgb * a + background * (1 - a)).astype(np.uint8)
    top, bottom, left, right = _object_box(rgb, alpha)   # found on the picture as given
    if alpha is None:
        rgb = _plain_background_to_test_colour(
            rgb, np.array([np.mean(r) for r in cfg.TEST.NO_BG_COLOR_RANGE], np.float32))
    return preprocess_test(frame_box(rgb, (top, bottom, left, right)), cfg)


def network_from_weights(weights, net=None, batch_size=None, stateful=False):
    """Build the network a weights file was saved from (its spec is stored in it) and load it."""
    if not os.path.isfile(weights):
        raise WeightsError(f'weights file not found: {weights}')
    spec = read_spec(weights)
    if spec is None and not net:
        raise WeightsError(f'{weights} does not say which network it holds; pass net=NAME (--net)')
    model = build_network(spec_from_stored(spec or {}, net), batch_size=batch_size, stateful=stateful)
    return load_weights(model, weights)


class Reconstructor:
    """A network with its weights, called on lists of images."""

    def __init__(self, weights, net=None, cfg=None):
        self.weights = weights
        self.cfg = cfg or get_default_config()
        self.network = network_from_weights(weights, net)
        self._net_name = net
        self._stateful = None

    @property
    def name(self):
        return self.network.name

    def prepare(self, images):
        """Paths or arrays -> (views, 127, 127, 3) float32."""
        if isinstance(images, (str, os.PathLike)) or (isinstance(images, np.ndarray) and images.ndim <= 3):
            images = [images]
        views = [prepare_view(im, self.cfg) for im in images]
        if not views:
            raise DataError('no images given')
        return np.stack(views)

    def __call__(self, images):
        """P(occupied) after all views: (32, 32, 32) float32."""
        return self.refine(images)[-1]

    def refine(self, images):
        """P(occupied) after each view in turn: (views, 32, 32, 32) (the paper's refinement figure)."""
        views = self.prepare(images)
        logits = logits_after_views(self.network, views[None], range(1, len(views) + 1))
        return np.stack([occupied_probability(ops.convert_to_numpy(logits[n])[0]) for n in range(1, len(views) + 1)])

    def stream(self):
        """A ViewStream: feed views one at a time and read the refined shape after each."""
        if self._stateful is None:
            self._stateful = network_from_weights(self.weights, self._net_name, batch_size=1, stateful=True)
        return ViewStream(self)


class ViewStream:
    """Views of one object fed as they arrive; the recurrent state is kept between calls."""

    def __init__(self, reconstructor):
        self.reconstructor = reconstructor
        self.network = reconstructor._stateful
        self.views = 0
        self.reset()

    def add(self, image):
        """Add one view; returns P(occupied) (32, 32, 32) given all views so far."""
        view = self.reconstructor.prepare([image])
        probabilities = ops.convert_to_numpy(self.network(view[None]))
        self.views += 1
        return probabilities[0, ..., 1]

    def reset(self):
        self.network.get_layer('recurrence').reset_state()
        self.views = 0


def reconstruct_to_folder(reconstructor, images, out, threshold=0.4, what=None, ply=False):
    """Reconstruct one object from its images and write all its outputs to the folder out
    (lib/demo/outputs.py lists them; `what` picks some). Returns (P(occupied) after all views, {kind: path})."""
    from lib.demo.outputs import CORE, PICTURES, write_reconstruction
    views = reconstructor.prepare(images)
    refinement = reconstructor.refine(images)
    written = write_reconstruction(out, views, refinement, threshold, reconstructor.name,
                                   what=what or CORE + PICTURES, ply=ply)
    return refinement[-1], written
