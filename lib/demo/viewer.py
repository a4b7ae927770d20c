"""prediction.html: one self-contained page to turn, zoom and threshold a reconstruction, view by view.

The page (viewer_page.html, hand-written; no library) carries everything it shows: the input views
as PNG data URLs and the occupancy probabilities after each view, quantized to 16 bits (P * 65535,
rounded, little-endian), base64 in a JSON block: a voxel within 1/131070 of the threshold is the
only one the page can show differently from prediction.binvox. It draws the exposed faces of the voxels at or above the
threshold on a 2D canvas, farthest first (WebGL is not needed, so it also draws in browsers and
headless runs without a GPU). Its Content-Security-Policy forbids every request: it opens from disk
with no network and sends nothing anywhere.
"""
import base64
import html
import io
import json
import os

import numpy as np

from lib.output.atomic import atomic_write_text
from lib.rendering.render import PREVIEW_AZIMUTH, PREVIEW_ELEVATION

TEMPLATE = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'viewer_page.html')


LEVELS = 65535


def quantize(occupancy):
    """P(occupied) -> the numbers the page holds (P * 65535, rounded); the page shows a voxel when its
    number >= round(threshold * 65535)."""
    return np.round(np.clip(np.asarray(occupancy, np.float64), 0.0, 1.0) * LEVELS).astype('<u2')


def page_occupied(occupancy, threshold):
    """The voxels the page shows at a threshold (the quantized comparison it makes)."""
    return quantize(occupancy) >= np.floor(threshold * LEVELS + 0.5)   # JavaScript's Math.round


def _png_base64(image):
    from PIL import Image
    array = np.asarray(image)
    if array.dtype != np.uint8:   # the network's views: float in [0, 1]
        array = np.round(np.clip(array, 0.0, 1.0) * 255.0).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format='PNG', optimize=True)
    return base64.b64encode(buffer.getvalue()).decode('ascii')


def viewer_html(refinement, views, threshold=0.4, network='3D-R2N2', title='3D-R2N2 reconstruction', note=''):
    """The page's text. refinement: (V, N, N, N) P(occupied) after each view (x, y, z, y up);
    views: V images (the network's inputs, float in [0, 1] or uint8)."""
    refinement = np.asarray(refinement)
    if refinement.ndim != 4 or len(set(refinement.shape[1:])) != 1:
        raise ValueError(f'viewer: expected (views, N, N, N) probabilities, got shape {refinement.shape}')
    if len(views) != len(refinement):
        raise ValueError(f'viewer: {len(views)} views for {len(refinement)} shapes')
    data = {
        'size': int(refinement.shape[1]),
        'threshold': float(threshold),
        'network': str(network),
        'azimuth': PREVIEW_AZIMUTH, 'elevation': PREVIEW_ELEVATION,   # prediction.png's viewpoint
        'grids': [base64.b64encode(quantize(g).tobytes(order='C')).decode('ascii') for g in refinement],
        'views': [_png_base64(v) for v in views],
    }
    # '</' never appears inside the script block, so the data cannot close it
    text = json.dumps(data, separators=(',', ':')).replace('</', '<\\/')
    with open(TEMPLATE, encoding='utf-8') as f:
        page = f.read()
    note = note or 'Written by the 3D-R2N2 port. Everything shown travels inside this file; it loads nothing.'
    return (page.replace('__TITLE__', html.escape(title)).replace('__NOTE__', html.escape(note))
            .replace('__DATA__', text))


def write_viewer(path, refinement, views, threshold=0.4, network='3D-R2N2', title='3D-R2N2 reconstruction', note=''):
    """Write prediction.html atomically; returns path."""
    return atomic_write_text(path, viewer_html(refinement, views, threshold, network, title, note))
