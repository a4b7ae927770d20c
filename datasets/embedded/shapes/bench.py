"""Benchs (ShapeNet synset 02828884).

build_v1: the grammar of dataset format version 1, kept as it was so version 1 stays byte-identical.
"""
import numpy as np

from datasets.embedded.primitives import box, rotation, tube
from datasets.embedded.shapes.common import uniform, square_leg

SYNSET = '02828884'


def build_v1(rng):
    parts = []
    length, depth = uniform(rng, 1.0, 1.9), uniform(rng, 0.30, 0.50)
    seat_h, seat_t = uniform(rng, 0.38, 0.50), uniform(rng, 0.035, 0.08)
    under = seat_h - seat_t
    if rng.random() < 0.35:   # slatted seat
        n = int(rng.integers(3, 6))
        gap = uniform(rng, 0.01, 0.025)
        w = (depth - gap * (n - 1)) / n
        for k in range(n):
            x = -depth / 2 + w / 2 + k * (w + gap)
            parts.append(box((w, seat_t, length), (x, seat_h - seat_t / 2, 0)))
    else:
        parts.append(box((depth, seat_t, length), (0, seat_h - seat_t / 2, 0)))
    ends_in = uniform(rng, 0.05, 0.25)
    style = rng.choice(['slab', 'legs', 'aframe'], p=[0.4, 0.4, 0.2])
    for sz in (-1, 1):
        z = sz * (length / 2 - ends_in)
        if style == 'slab':
            parts.append(box((depth * uniform(rng, 0.7, 1.0), under, uniform(rng, 0.04, 0.08)), (0, under / 2, z)))
        elif style == 'legs':
            lt = uniform(rng, 0.035, 0.07)
            for sx in (-1, 1):
                x = sx * (depth / 2 - lt)
                parts.append(square_leg([x, under, z], [x * 1.1, 0, z], lt))
            parts.append(box((depth - lt, 0.04, lt), (0, under * 0.3, z)))
        else:
            for sx in (-1, 1):
                parts.append(tube([0, under, z], [sx * depth / 2, 0, z], 0.02))
    parts.append(box((0.04, 0.04, length - 2 * ends_in), (0, under * uniform(rng, 0.25, 0.6), 0)))
    if rng.random() < 0.45:   # backrest
        back_h = uniform(rng, 0.25, 0.45)
        tilt = rotation('z', uniform(rng, 0, 15))
        x0 = -depth / 2 + 0.02
        for sz in (-1, 1):
            z = sz * (length / 2 - ends_in)
            parts.append(box((0.04, back_h, 0.05), (x0, seat_h, z), tilt, base_at_bottom=True))
        n = int(rng.integers(1, 4))
        for k in range(n):
            h = back_h * (0.35 + 0.65 * (k + 1) / n) - 0.04
            parts.append(box((0.03, uniform(rng, 0.05, 0.1), length * 0.97), np.array([x0, seat_h, 0]) + tilt @ [0, h - 0.05, 0],
                             tilt, base_at_bottom=True))
        if rng.random() < 0.5:   # armrests
            for sz in (-1, 1):
                z = sz * (length / 2 - 0.02)
                parts.append(box((depth, 0.035, 0.05), (0, seat_h + 0.2, z)))
                parts.append(box((0.04, 0.2, 0.04), (depth / 2 - 0.04, seat_h, z), base_at_bottom=True))
    return parts


# ---------------------------------------------------------------------------------------- version 2
from datasets.embedded.primitives import plate   # noqa: E402
from datasets.embedded.shapes.common import tagged   # noqa: E402

MATERIALS = {
    'body': {'wood': 0.5, 'grey': 0.15, 'white': 0.1, 'black': 0.1, 'metal': 0.1, 'paint': 0.05},
    'seat': {'wood': 0.5, 'grey': 0.12, 'white': 0.08, 'black': 0.08, 'metal': 0.07, 'paint': 0.07,
             'fabric': 0.05, 'leather': 0.03},
    'back': {'=seat': 0.9, 'wood': 0.05, 'metal': 0.05},
    'frame': {'black': 0.35, '=seat': 0.3, 'metal': 0.2, 'grey': 0.1, 'paint': 0.05},
    'arm': {'=seat': 0.7, 'black': 0.15, 'metal': 0.15},
    'cushion': {'fabric': 0.6, 'leather': 0.4},
}

_TYPES = ('park', 'backless', 'slab_ends', 'garden_arms', 'piano', 'upholstered', 'v1')
_TYPE_P = (0.28, 0.2, 0.14, 0.16, 0.06, 0.08, 0.08)


def _slats(rng, depth, length, y_top, thick, x0=0.0):
    """A seat of boards along z (or one board), top at y_top, centred at x0."""
    if rng.random() < 0.35:
        return [box((depth, thick, length), (x0, y_top - thick / 2, 0))]
    n = int(rng.integers(3, 7))
    gap = uniform(rng, 0.008, 0.03)
    w = (depth - gap * (n - 1)) / n
    return [box((w, thick, length), (x0 - depth / 2 + w / 2 + k * (w + gap), y_top - thick / 2, 0))
            for k in range(n)]


def _backrest(rng, seat_x_back, seat_h, length, height, tilt_deg, solid=None):
    """Back boards tilted backwards (towards -x) from the back edge of the seat."""
    tilt = rotation('z', tilt_deg)
    origin = np.array([seat_x_back + 0.02, seat_h, 0.0])
    solid = rng.random() < 0.35 if solid is None else solid
    parts = []
    if solid:
        y0 = uniform(rng, 0.0, 0.08)
        parts.append(box((uniform(rng, 0.025, 0.06), height - y0, length), origin + tilt @ [0, y0, 0], tilt,
                         base_at_bottom=True))
    else:
        n = int(rng.integers(2, 6))
        bh = min(uniform(rng, 0.05, 0.13), height / n * 0.8)
        for k in range(n):
            y = height - bh - k * (height - 0.05) / n
            parts.append(box((0.03, bh, length), origin + tilt @ [0, y, 0], tilt, base_at_bottom=True))
    return parts, tilt, origin


def _frame_end(rng, z, depth, seat_h, under, back_h, tilt, style, arm):
    """One end of a bench: legs, rails, back post, arm, as frame parts."""
    t = uniform(rng, 0.035, 0.08)
    fx, bx = depth / 2 - t / 2, -depth / 2 + t / 2
    frame, arms = [], []
    if style == 'cast':   # cast iron end: splayed legs, seat rail, back post, arm scroll
        splay = uniform(rng, 0.0, 0.08)
        frame.append(box((t, under, t * 0.7), (fx + splay / 2, under / 2, z), rotation('z', -np.degrees(splay / under))))
        top = np.array([bx, seat_h, z])
        if back_h > 0:
            top = np.array([bx, seat_h, z]) + tilt @ [0, back_h, 0]
        frame.append(tube([bx - splay, 0, z], top, t * 0.4, segments=6))
        frame.append(box((depth, t * 0.8, t * 0.6), (0, under - t * 0.4, z)))
    elif style == 'legs':
        for x in (fx, bx):
            frame.append(square_leg([x, under, z], [x, 0, z], t) if rng.random() < 0.7 else
                         tube([x, under, z], [x, 0, z], t / 2))
        frame.append(box((depth, t * 0.8, t), (0, under - t * 0.4, z)))
        if rng.random() < 0.6:
            frame.append(box((depth - t, t * 0.6, t * 0.7), (0, under * uniform(rng, 0.15, 0.4), z)))
        if back_h > 0:
            frame.append(box((t, back_h, t), np.array([bx, seat_h, z]), tilt, base_at_bottom=True))
    else:   # 'panel': a solid board end (wooden benches)
        w = uniform(rng, 0.04, 0.09)
        d = depth * uniform(rng, 0.75, 1.0)
        top_s = uniform(rng, 0.8, 1.0)
        frame.append(plate([(-d / 2, 0), (d / 2, 0), (d / 2 * top_s, under), (-d / 2 * top_s, under)], w, z))
        if back_h > 0:
            frame.append(box((t, back_h, w), np.array([bx, seat_h, z]), tilt, base_at_bottom=True))
    if arm:
        ah = uniform(rng, 0.18, 0.3)
        aw = uniform(rng, 0.04, 0.1)
        arms.append(box((depth * uniform(rng, 0.85, 1.05), uniform(rng, 0.03, 0.05), aw), (0.02, seat_h + ah, z)))
        arms.append(box((t * 0.8, ah, t * 0.8), (fx - 0.01, seat_h, z), base_at_bottom=True))
    return frame, arms


def build(rng):
    kind = _TYPES[int(rng.choice(len(_TYPES), p=_TYPE_P))]
    if kind == 'v1':
        return tagged('seat', *build_v1(rng))
    parts = []
    if kind == 'piano':
        length, depth = uniform(rng, 0.7, 1.0), uniform(rng, 0.3, 0.42)
        seat_h = uniform(rng, 0.45, 0.55)
    elif kind == 'upholstered':
        length, depth = uniform(rng, 0.9, 1.6), uniform(rng, 0.35, 0.55)
        seat_h = uniform(rng, 0.4, 0.5)
    else:
        length, depth = uniform(rng, 1.0, 2.2), uniform(rng, 0.32, 0.6)
        seat_h = uniform(rng, 0.38, 0.5)
        depth = min(depth, length / 2.6)
    thick = uniform(rng, 0.03, 0.08)
    if kind in ('piano', 'upholstered'):
        thick = uniform(rng, 0.06, 0.16)
        top_t = thick * uniform(rng, 0.5, 0.7)
        parts += tagged('seat', box((depth, thick - top_t, length), (0, seat_h - thick, 0), base_at_bottom=True))
        parts += tagged('cushion', box((depth * 0.98, top_t, length * 0.98), (0, seat_h - top_t, 0),
                                       base_at_bottom=True))
        under = seat_h - thick
        lt = uniform(rng, 0.035, 0.07)
        ins = uniform(rng, 0.0, 0.05)
        legs = []
        for sx in (-1, 1):
            for sz in (-1, 1):
                x, z = sx * (depth / 2 - ins - lt / 2), sz * (length / 2 - ins - lt / 2)
                legs.append(square_leg([x, under, z], [x * 1.05, 0, z * 1.02], lt) if rng.random() < 0.6
                            else tube([x, under, z], [x, 0, z], lt / 2, top_radius=lt * 0.35))
        if rng.random() < 0.4:
            legs.append(box((0.03, 0.03, length - 2 * ins - lt), (0, under * 0.3, 0)))
        parts += tagged('frame', *legs)
        return parts
    back = kind in ('park', 'garden_arms') or (kind == 'slab_ends' and rng.random() < 0.3)
    arm = kind == 'garden_arms' or (kind == 'park' and rng.random() < 0.4)
    style = {'park': rng.choice(['cast', 'legs', 'panel'], p=[0.55, 0.3, 0.15]),
             'garden_arms': rng.choice(['legs', 'cast', 'panel'], p=[0.6, 0.25, 0.15]),
             'backless': rng.choice(['legs', 'panel', 'cast'], p=[0.6, 0.3, 0.1]),
             'slab_ends': 'panel'}[kind]
    if kind == 'slab_ends':
        thick = uniform(rng, 0.04, 0.12)
    under = seat_h - thick
    parts += tagged('seat', *_slats(rng, depth, length, seat_h, thick))
    back_h, tilt = 0.0, rotation('z', 0)
    if back:
        back_h = uniform(rng, 0.28, 0.55)
        b, tilt, _ = _backrest(rng, -depth / 2, seat_h, length * 0.98, back_h, uniform(rng, 3, 22))
        parts += tagged('back', *b)
    inset = uniform(rng, 0.0, 0.2) if not arm else uniform(rng, 0.0, 0.04)
    n_frames = 2 + (1 if length > 1.7 and rng.random() < 0.6 else 0)
    frames, arms = [], []
    for k in range(n_frames):
        z = -(length / 2 - inset) + k * (length - 2 * inset) / (n_frames - 1)
        f, a = _frame_end(rng, z, depth, seat_h, under, back_h, tilt, style, arm and k in (0, n_frames - 1))
        frames += f
        arms += a
    if style != 'cast' and rng.random() < 0.5:   # stretcher along the length
        frames.append(box((0.04, 0.04, length - 2 * inset), (0, under * uniform(rng, 0.2, 0.6), 0)))
    parts += tagged('frame', *frames)
    parts += tagged('arm', *arms)
    return parts
