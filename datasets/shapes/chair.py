"""Chairs (ShapeNet synset 03001627).

build_v1: the grammar of dataset format version 1, kept as it was so version 1 stays byte-identical.
"""
import numpy as np

from datasets.primitives import box, cylinder, ellipsoid, rotation, tube
from datasets.shapes.common import uniform, square_leg, leg, ROT_Z90, DARK

SYNSET = '03001627'


def build_v1(rng):
    parts = []
    depth, width = uniform(rng, 0.40, 0.56), uniform(rng, 0.40, 0.60)
    seat_t, seat_h = uniform(rng, 0.03, 0.09), uniform(rng, 0.38, 0.50)
    parts.append(box((depth, seat_t, width), (0, seat_h - seat_t / 2, 0)))
    style = rng.choice(['square', 'round', 'pedestal', 'sled'], p=[0.45, 0.25, 0.2, 0.1])
    under = seat_h - seat_t
    if style in ('square', 'round'):
        lt = uniform(rng, 0.025, 0.06)
        inset = uniform(rng, 0.0, 0.04)
        splay = uniform(rng, 0.0, 0.05)
        corners = []
        for sx in (-1, 1):
            for sz in (-1, 1):
                top = np.array([sx * (depth / 2 - inset - lt / 2), under, sz * (width / 2 - inset - lt / 2)])
                bottom = top + [sx * splay, -under, sz * splay]
                bottom[1] = 0.0
                parts.append(leg(style, top, bottom, lt))
                corners.append((top, bottom))
        if rng.random() < 0.45:   # stretchers between the legs
            height = uniform(rng, 0.08, 0.2)
            pts = [t + (t[1] - height) / (t[1] - b[1]) * (b - t) for t, b in corners]
            for a, b in ((0, 1), (2, 3), (0, 2), (1, 3)):
                parts.append(leg(style, pts[a], pts[b], lt * 0.6))
    elif style == 'pedestal':
        col_r = uniform(rng, 0.02, 0.04)
        parts.append(cylinder(col_r, under - 0.06, (0, 0.06, 0)))
        n_feet = int(rng.choice([4, 5]))
        reach = uniform(rng, 0.22, 0.32)
        for k in range(n_feet):
            a = 2 * np.pi * k / n_feet + np.pi / n_feet
            end = np.array([reach * np.cos(a), 0.03, reach * np.sin(a)])
            parts.append(square_leg([0, 0.06, 0], end, 0.035))
            parts.append(ellipsoid((0.025, 0.025, 0.025), end + [0, -0.005, 0], albedo=DARK))
    else:   # sled: two runners joined to the seat by slanted posts
        lt = uniform(rng, 0.02, 0.035)
        for sz in (-1, 1):
            z = sz * (width / 2 - lt)
            parts.append(tube([-depth / 2, lt / 2, z], [depth / 2, lt / 2, z], lt / 2))
            parts.append(tube([-depth / 2 + 0.03, lt / 2, z], [-depth / 2 + 0.06, under, z], lt / 2))
            parts.append(tube([depth / 2 - 0.03, lt / 2, z], [depth / 2 - 0.06, under, z], lt / 2))
    # back
    back_h, back_t = uniform(rng, 0.30, 0.60), uniform(rng, 0.025, 0.07)
    tilt = uniform(rng, 0.0, 16.0)
    back_rot = rotation('z', tilt)
    base = np.array([-depth / 2 + back_t / 2, seat_h - 0.01, 0.0])
    back_style = rng.choice(['solid', 'slats', 'rounded', 'frame'], p=[0.4, 0.2, 0.2, 0.2])
    if back_style == 'solid':
        parts.append(box((back_t, back_h, width), base, back_rot, base_at_bottom=True))
    elif back_style == 'rounded':
        parts.append(box((back_t, back_h * 0.8, width), base, back_rot, base_at_bottom=True))
        centre = base + (back_rot @ [0, back_h * 0.8, 0])
        # an elliptic disc across the back's top: local y -> x (thickness), local x -> height, z -> width
        parts.append(cylinder(back_h * uniform(rng, 0.15, 0.35), back_t, centre - back_rot @ [back_t / 2, 0, 0],
                              back_rot @ ROT_Z90, radius_z=width / 2, segments=24))
    else:
        post = min(back_t, 0.045)
        for sz in (-1, 1):
            parts.append(box((back_t, back_h, post), base + [0, 0, sz * (width / 2 - post / 2)], back_rot,
                             base_at_bottom=True))
        rail_h = uniform(rng, 0.05, 0.12)
        parts.append(box((back_t, rail_h, width), base + back_rot @ [0, back_h - rail_h, 0], back_rot,
                         base_at_bottom=True))
        if back_style == 'slats':
            n = int(rng.integers(2, 6))
            for k in range(n):
                z = (k + 1) / (n + 1) * width - width / 2
                parts.append(box((back_t * 0.7, back_h - rail_h, uniform(rng, 0.02, 0.05)), base + [0, 0, z],
                                 back_rot, base_at_bottom=True))
        else:   # frame: a second rail low on the back
            parts.append(box((back_t, rail_h, width), base + back_rot @ [0, back_h * 0.35, 0], back_rot,
                             base_at_bottom=True))
    if rng.random() < 0.3:   # armrests
        arm_h = uniform(rng, 0.18, 0.28)
        for sz in (-1, 1):
            z = sz * (width / 2 - 0.02)
            parts.append(box((depth * 0.9, 0.035, 0.05), (-depth * 0.05, seat_h + arm_h, z)))
            parts.append(square_leg([depth / 2 - 0.06, seat_h, z], [depth / 2 - 0.06, seat_h + arm_h, z], 0.035))
    return parts
