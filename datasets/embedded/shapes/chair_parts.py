"""The parts several chair types share: four legs, a backrest, open arms, a pedestal or sled base.

Each builder draws its own random choices from the rng it is given, in a fixed order: the chair
types (datasets/embedded/shapes/chair.py) call them, and the dataset stays byte-identical only as
long as that order does.
"""
import numpy as np

from datasets.embedded.primitives import box, cylinder, ellipsoid, rotation, tube
from datasets.embedded.shapes.common import ROT_Z90, leg, square_leg, tagged, uniform


def tilt_rotation(deg):
    return rotation('z', deg)   # positive: the top leans backwards (towards -x)


def four_legs(rng, depth, width, under, lt, style, inset, splay, stretchers, x0=0.0, back_splay=None):
    """Four legs under a seat of (depth, width) whose underside is at height `under`."""
    legs, ends = [], []
    back_splay = splay if back_splay is None else back_splay
    for sx in (-1, 1):
        for sz in (-1, 1):
            top = np.array([x0 + sx * (depth / 2 - inset - lt / 2), under, sz * (width / 2 - inset - lt / 2)])
            s = splay if sx > 0 else back_splay
            bottom = top + [sx * s, -under, sz * splay]
            if style == 'tapered':
                legs.append(tube(top, bottom, lt / 2, top_radius=lt * 0.3, segments=4, phase=np.pi / 4))
            elif style == 'turned':
                legs.append(tube(top, bottom, lt / 2, top_radius=lt * 0.35, segments=10))
            else:
                legs.append(leg(style, top, bottom, lt))
            ends.append((top, bottom))
    parts = tagged('leg', *legs)
    if stretchers:
        h = uniform(rng, 0.07, 0.22)
        pts = [t + (t[1] - h) / (t[1] - b[1]) * (b - t) for t, b in ends]
        pairs = ((0, 1), (2, 3), (0, 2), (1, 3)) if rng.random() < 0.6 else ((0, 1), (2, 3), (1, 3))
        parts += tagged('leg', *[leg('round' if style == 'round' else 'square', pts[a], pts[b], lt * 0.55)
                                 for a, b in pairs])
    return parts


def backrest(rng, style, base, width, back_h, back_t, tilt_deg):
    """A backrest standing on `base` (the middle of its foot), leaning back by tilt_deg."""
    r = tilt_rotation(tilt_deg)
    parts = []
    if style == 'solid':
        parts.append(box((back_t, back_h, width), base, r, base_at_bottom=True))
    elif style == 'padded':   # thick upholstered back, a rounded top
        parts.append(box((back_t, back_h * 0.85, width), base, r, base_at_bottom=True))
        parts.append(ellipsoid((back_t / 2, back_h * 0.15, width / 2), base + r @ [0, back_h * 0.85, 0], r,
                               y_range=(0.0, 1.0)))
    elif style == 'shell':    # a thin moulded back, wider at the top
        top = uniform(rng, 1.0, 1.25)
        parts.append(box((back_t, back_h, width * 0.85), base, r, top_scale=(1.0, top), base_at_bottom=True))
    elif style == 'oval':     # an oval pad on two posts or a spine
        pad_h = back_h * uniform(rng, 0.45, 0.7)
        centre = base + r @ [0, back_h - pad_h / 2, 0]
        parts.append(cylinder(pad_h / 2, back_t, centre - r @ [back_t / 2, 0, 0], r @ ROT_Z90,
                              radius_z=width / 2, segments=20))
        for sz in (-1, 1):
            parts.append(box((back_t * 0.6, back_h - pad_h * 0.7, 0.03), base + [0, 0, sz * width * 0.3], r,
                             base_at_bottom=True))
    else:   # post-and-rail backs: frame, slats (vertical), ladder (horizontal rails), spindle
        post = min(max(back_t, 0.025), 0.05)
        for sz in (-1, 1):
            parts.append(box((post, back_h, post), base + [0, 0, sz * (width / 2 - post / 2)], r,
                             base_at_bottom=True))
        rail_h = uniform(rng, 0.04, 0.14)
        parts.append(box((back_t, rail_h, width), base + r @ [0, back_h - rail_h, 0], r, base_at_bottom=True))
        if style == 'slats':
            n = int(rng.integers(1, 6))
            sw = uniform(rng, 0.02, 0.12) if n > 1 else uniform(rng, 0.08, width * 0.5)
            for k in range(n):
                z = (k + 1) / (n + 1) * width - width / 2
                parts.append(box((back_t * 0.7, back_h - rail_h, sw), base + [0, 0, z], r, base_at_bottom=True))
        elif style == 'spindle':
            n = int(rng.integers(4, 9))
            for k in range(n):
                z = (k + 1) / (n + 1) * (width - post) - (width - post) / 2
                parts.append(tube(base + [0, 0, z], base + r @ [0, back_h - rail_h, 0] + [0, 0, z], 0.008,
                                  segments=6))
        elif style == 'ladder':
            n = int(rng.integers(1, 4))
            for k in range(n):
                y = back_h * (0.25 + 0.45 * k / max(n, 1))
                parts.append(box((back_t * 0.8, rail_h * 0.8, width), base + r @ [0, y, 0], r,
                                 base_at_bottom=True))
        else:   # frame: a low rail too
            parts.append(box((back_t, rail_h, width), base + r @ [0, back_h * 0.3, 0], r, base_at_bottom=True))
    return tagged('back', *parts)


def open_arms(rng, depth, width, seat_h, x_back, panel=False):
    """Armrests on posts (or solid side panels) over the seat's sides."""
    arm_h = uniform(rng, 0.17, 0.28)
    aw = uniform(rng, 0.035, 0.08)
    parts, frame = [], []
    for sz in (-1, 1):
        z = sz * (width / 2 - aw / 2)
        if panel:
            parts.append(box((depth * 0.85, arm_h, aw), (x_back + depth * 0.45, seat_h, z), base_at_bottom=True))
        else:
            parts.append(box((depth * uniform(rng, 0.75, 0.95), 0.035, aw), (x_back + depth * 0.45, seat_h + arm_h, z)))
            fx = x_back + depth * uniform(rng, 0.7, 0.9)
            frame.append(square_leg([fx, seat_h - 0.02, z], [fx, seat_h + arm_h, z], min(aw, 0.04)))
    return tagged('arm', *parts) + tagged('arm', *frame)


def pedestal_or_sled(rng, depth, width, under):
    if rng.random() < 0.55:   # tulip pedestal: a column on a disc or a cross of feet
        col = uniform(rng, 0.02, 0.05)
        parts = [cylinder(col, under, (0, 0, 0), top_radius=col * uniform(rng, 0.6, 1.5), segments=12)]
        if rng.random() < 0.6:
            parts.append(cylinder(min(depth, width) * uniform(rng, 0.35, 0.5), 0.025, (0, 0, 0), top_radius=None,
                                  segments=20))
        else:
            reach = min(depth, width) * uniform(rng, 0.45, 0.6)
            for k in range(4):
                a = np.pi / 4 + k * np.pi / 2
                parts.append(tube([0, 0.03, 0], [reach * np.cos(a), 0.015, reach * np.sin(a)], 0.018, segments=6))
        return tagged('leg', *parts)
    # sled: a bent rod per side, runner on the floor and two uprights
    r = uniform(rng, 0.008, 0.016)
    parts = []
    for sz in (-1, 1):
        z = sz * (width / 2 - r)
        a, b = np.array([-depth / 2 + 0.02, r, z]), np.array([depth / 2 - 0.02, r, z])
        parts += [tube(a, b, r, segments=8), tube(a, [-depth / 2 + 0.05, under, z], r, segments=8),
                  tube(b, [depth / 2 - 0.05, under, z], r, segments=8)]
    return tagged('frame', *parts)
