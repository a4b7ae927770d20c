"""Telephones (ShapeNet synset 04401088).

build_v1: the grammar of dataset format version 1, kept as it was so version 1 stays byte-identical.
"""
import numpy as np

from datasets.embedded.primitives import box, ellipsoid, prism
from datasets.embedded.shapes.common import uniform, DARK

SYNSET = '04401088'


def _rounded_rect(sx, sz, r, per_corner=4):
    pts = []
    for cx, cz, a0 in ((sx / 2 - r, sz / 2 - r, 0), (-sx / 2 + r, sz / 2 - r, 90),
                       (-sx / 2 + r, -sz / 2 + r, 180), (sx / 2 - r, -sz / 2 + r, 270)):
        for k in range(per_corner + 1):
            a = np.radians(a0 + 90 * k / per_corner)
            pts.append((cx + r * np.cos(a), cz + r * np.sin(a)))
    return pts


def build_v1(rng):
    parts = []
    kind = rng.choice(['smartphone', 'keypad', 'desk'], p=[0.65, 0.2, 0.15])
    if kind == 'desk':
        w, d = uniform(rng, 0.18, 0.25), uniform(rng, 0.18, 0.24)
        h = uniform(rng, 0.05, 0.09)
        parts.append(box((d, h, w), (0, 0, 0), base_at_bottom=True, top_scale=(0.75, 1.0), top_offset=(-0.02, 0)))
        hl = w * uniform(rng, 0.95, 1.1)
        hy = h + 0.025
        parts.append(box((0.045, 0.035, hl * 0.7), (-d * 0.2, hy, 0)))
        for sz in (-1, 1):
            parts.append(ellipsoid((0.03, 0.025, 0.04), (-d * 0.2, hy, sz * hl * 0.4)))
        for i in range(3):
            for j in range(3):
                parts.append(box((0.02, 0.01, 0.02), (d * 0.05 + i * 0.028 - 0.02, h * 0.82 + 0.005 - i * 0.01,
                                                      (j - 1) * 0.03), albedo=DARK))
        return parts
    height = uniform(rng, 0.11, 0.16) if kind == 'smartphone' else uniform(rng, 0.09, 0.13)
    width = height * uniform(rng, 0.45, 0.55)
    thick = uniform(rng, 0.007, 0.014) if kind == 'smartphone' else uniform(rng, 0.014, 0.022)
    r = width * uniform(rng, 0.05, 0.2)
    outline = _rounded_rect(height, width, r)
    # polygon in (y, z) extruded along x: local y -> +x, local x -> +y
    rot = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    parts.append(prism(outline, thick, (-thick / 2, height / 2, 0), rot))
    if kind == 'smartphone':
        sh, sw = height * uniform(rng, 0.78, 0.92), width * uniform(rng, 0.86, 0.94)
        parts.append(box((0.002, sh, sw), (thick / 2, height / 2 + height * uniform(rng, 0.0, 0.02), 0), albedo=DARK * 0.6))
        if rng.random() < 0.6:   # camera bump on the back
            parts.append(box((0.003, 0.025, 0.025), (-thick / 2, height * 0.85, width * 0.25), albedo=DARK))
    else:   # screen on the upper half, a keypad below
        parts.append(box((0.002, height * 0.35, width * 0.8), (thick / 2, height * 0.72, 0), albedo=DARK * 0.6))
        for i in range(4):
            for j in range(3):
                parts.append(box((0.003, height * 0.06, width * 0.2),
                                 (thick / 2, height * (0.1 + 0.1 * i), (j - 1) * width * 0.27), albedo=DARK))
    return parts


# ---------------------------------------------------------------------------------------- version 2

MATERIALS = {
    'body': {'black': 0.45, 'grey': 0.15, 'white': 0.15, 'metal': 0.1, 'plastic': 0.1, 'paint': 0.05},
    'screen': {'screen': 1.0},
    'button': {'black': 0.4, 'grey': 0.3, '=body': 0.3},
}


def build(rng):
    """Version 1's smartphones, keypad and desk phones, with the screen and buttons as their own roles."""
    parts = build_v1(rng)
    for p in parts:
        if p.albedo < 0.4:
            p.role = 'screen'
        elif p.albedo < 1.0:
            p.role = 'button'
    return parts
