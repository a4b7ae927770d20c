"""Lamps (ShapeNet synset 03636649).

build_v1: the grammar of dataset format version 1, kept as it was so version 1 stays byte-identical.
"""
import numpy as np

from datasets.primitives import box, cylinder, ellipsoid, rotation, tube
from datasets.shapes.common import uniform, MID, LIGHT

SYNSET = '03636649'


def build_v1(rng):
    parts = []
    kind = rng.choice(['table', 'floor', 'desk', 'pendant'], p=[0.35, 0.25, 0.3, 0.1])
    if kind == 'pendant':
        drop = uniform(rng, 0.3, 0.7)
        parts.append(cylinder(0.06, 0.02, (0, drop + 0.25, 0)))                      # ceiling cup
        parts.append(tube([0, drop + 0.25, 0], [0, 0.25, 0], 0.016, segments=6))       # cord
        _shade(rng, parts, np.array([0, 0.25, 0]), hanging=True)
        return parts
    base_r = uniform(rng, 0.07, 0.16)
    if rng.random() < 0.3:
        parts.append(box((base_r * 1.6, 0.035, base_r * 1.6), (0, 0, 0), base_at_bottom=True))
    else:
        parts.append(cylinder(base_r, uniform(rng, 0.02, 0.05), (0, 0, 0), top_radius=base_r * 0.85, segments=24))
    if kind == 'table':
        body_h = uniform(rng, 0.2, 0.45)
        if rng.random() < 0.45:   # vase-like body
            parts.append(ellipsoid((base_r * 0.9, body_h / 2, base_r * 0.9), (0, body_h / 2 + 0.02, 0)))
            parts.append(tube([0, body_h, 0], [0, body_h + 0.12, 0], 0.015, segments=8))
            top = body_h + 0.1
        else:
            parts.append(tube([0, 0.02, 0], [0, body_h + 0.1, 0], uniform(rng, 0.015, 0.03)))
            top = body_h + 0.05
        _shade(rng, parts, np.array([0, top, 0]), hanging=False)
    elif kind == 'floor':
        stem_h = uniform(rng, 1.1, 1.7)
        parts.append(tube([0, 0.02, 0], [0, stem_h, 0], uniform(rng, 0.018, 0.03)))
        if rng.random() < 0.4:   # arc floor lamp: an arm reaching out, shade hanging
            reach = uniform(rng, 0.3, 0.6)
            parts.append(tube([0, stem_h, 0], [reach, stem_h + 0.1, 0], 0.018))
            parts.append(tube([reach, stem_h + 0.1, 0], [reach, stem_h - 0.05, 0], 0.015))
            _shade(rng, parts, np.array([reach, stem_h - 0.05, 0]), hanging=True)
        else:
            _shade(rng, parts, np.array([0, stem_h - 0.1, 0]), hanging=False)
    else:   # desk lamp: two arm segments and a shade pointing down
        a1 = np.radians(uniform(rng, 55, 85))
        l1, l2 = uniform(rng, 0.25, 0.45), uniform(rng, 0.25, 0.45)
        a2 = np.radians(uniform(rng, -20, 25))
        p0 = np.array([0, 0.03, 0])
        p1 = p0 + l1 * np.array([np.cos(a1), np.sin(a1), 0]) * [-1, 1, 1]
        p2 = p1 + l2 * np.array([np.cos(a2), np.sin(a2), 0])
        for a, b in ((p0, p1), (p1, p2)):
            parts.append(tube(a, b, 0.016, segments=8))
        parts.append(ellipsoid((0.025, 0.025, 0.025), p1, albedo=MID))
        _shade(rng, parts, p2, hanging=True, tilt=uniform(rng, 0, 35), size=0.6)
    return parts


def _shade(rng, parts, anchor, hanging, tilt=0.0, size=1.0):
    """A lamp shade at anchor: a cone frustum or a dome, opening down if hanging or if a table lamp."""
    r_bottom = uniform(rng, 0.10, 0.24) * size
    h = uniform(rng, 0.10, 0.28) * size
    rot = rotation('z', -tilt)
    if rng.random() < 0.6 or not hanging:   # truncated cone, wide at the bottom
        r_top = r_bottom * uniform(rng, 0.4, 0.9)
        base = anchor - rot @ [0, h if hanging else h * 0.3, 0]
        parts.append(cylinder(r_bottom, h, base, rot, top_radius=r_top, segments=20))
    else:   # dome hanging from the anchor
        parts.append(ellipsoid((r_bottom, h, r_bottom), anchor - rot @ [0, h, 0], rot, y_range=(0.0, 1.0)))
    bulb = anchor - rot @ [0, h * (1.05 if hanging else 0.2), 0]
    if hanging:
        parts.append(ellipsoid((0.035, 0.035, 0.035), bulb, albedo=LIGHT))
