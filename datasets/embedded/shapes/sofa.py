"""Sofas (ShapeNet synset 04256520).

build_v1: the grammar of dataset format version 1, kept as it was so version 1 stays byte-identical.
"""

from datasets.embedded.primitives import box, cylinder, rotation
from datasets.embedded.shapes.common import uniform, ROT_Z90, DARK

SYNSET = '04256520'


def build_v1(rng):
    parts = []
    length, depth = uniform(rng, 1.3, 2.4), uniform(rng, 0.75, 1.0)
    leg_h = uniform(rng, 0.03, 0.15) if rng.random() < 0.6 else 0.0
    seat_h = uniform(rng, 0.36, 0.46)
    cushion_t = uniform(rng, 0.08, 0.16)
    base_top = seat_h - cushion_t
    arm_w = uniform(rng, 0.1, 0.25) if rng.random() < 0.85 else 0.0
    back_t = uniform(rng, 0.15, 0.28)
    parts.append(box((depth, base_top - leg_h, length), (0, leg_h, 0), base_at_bottom=True))
    if leg_h > 0:
        for sx in (-1, 1):
            for sz in (-1, 1):
                x, z = sx * (depth / 2 - 0.06), sz * (length / 2 - 0.06)
                parts.append(cylinder(0.025, leg_h + 0.01, (x, 0, z), top_radius=0.03, albedo=DARK))
    # seat cushions side by side between the arms
    n = int(rng.integers(1, 4))
    inner = length - 2 * arm_w
    gap = 0.012
    cw = (inner - gap * (n - 1)) / n
    cd = depth - back_t
    for k in range(n):
        z = -inner / 2 + cw / 2 + k * (cw + gap)
        parts.append(box((cd - 0.01, cushion_t, cw), (depth / 2 - cd / 2, base_top, z), base_at_bottom=True))
    back_h = uniform(rng, 0.3, 0.5)
    tilt = rotation('z', uniform(rng, 0, 12))
    parts.append(box((back_t, back_h + cushion_t, length), (-depth / 2 + back_t / 2, base_top, 0), tilt,
                     base_at_bottom=True))
    if rng.random() < 0.4:   # back cushions
        for k in range(n):
            z = -inner / 2 + cw / 2 + k * (cw + gap)
            parts.append(box((0.12, back_h * 0.8, cw), (-depth / 2 + back_t + 0.05, seat_h, z),
                             tilt, base_at_bottom=True))
    if arm_w > 0:
        arm_top = seat_h + uniform(rng, 0.08, 0.25)
        rounded = rng.random() < 0.4
        for sz in (-1, 1):
            z = sz * (length / 2 - arm_w / 2)
            parts.append(box((depth, arm_top - leg_h, arm_w), (0, leg_h, z), base_at_bottom=True))
            if rounded:
                parts.append(cylinder(arm_w * 0.6, depth, (-depth / 2, arm_top, z), ROT_Z90,
                                      radius_z=arm_w * 0.5, segments=16))
    if rng.random() < 0.15:   # chaise: an extension of the seat towards the front at one end
        sz = rng.choice([-1, 1])
        ext = uniform(rng, 0.5, 0.8)
        z = sz * (length / 2 - arm_w - 0.35)
        parts.append(box((ext, base_top - leg_h, 0.7), (depth / 2 + ext / 2 - 0.01, leg_h, z), base_at_bottom=True))
        parts.append(box((ext, cushion_t, 0.68), (depth / 2 + ext / 2 - 0.01, base_top, z), base_at_bottom=True))
    return parts


# ---------------------------------------------------------------------------------------------------
# Version 2: the sofa types of ShapeNet, each part tagged with its role.
# ---------------------------------------------------------------------------------------------------
import numpy as np   # noqa: E402

from datasets.embedded.primitives import ellipsoid   # noqa: E402
from datasets.embedded.shapes.common import tagged   # noqa: E402

MATERIALS = {
    'body': {'fabric': 0.52, 'leather': 0.24, 'grey': 0.1, 'white': 0.07, 'black': 0.07},
    'cushion': {'=body': 0.85, 'fabric': 0.1, 'white': 0.05},
    'back': {'=body': 0.9, 'fabric': 0.1},
    'arm': {'=body': 0.95, 'wood': 0.05},
    'pillow': {'=body': 0.4, 'fabric': 0.6},
    'leg': {'black': 0.35, 'wood': 0.4, 'metal': 0.2, 'grey': 0.05},
}

_TYPES = ('standard', 'loveseat', 'sectional', 'chaise', 'armless', 'v1')
_TYPE_P = (0.46, 0.14, 0.15, 0.1, 0.07, 0.08)


def _tilt(deg):
    return rotation('z', deg)   # positive: the top leans backwards (towards -x)


def _legs(rng, x0, x1, z0, z1, leg_h, style, n_along):
    r = uniform(rng, 0.018, 0.035)
    parts = []
    zs = np.linspace(z0 + 0.06, z1 - 0.06, n_along)
    for x in (x0 + 0.06, x1 - 0.06):
        for z in zs:
            if style == 'block':
                parts.append(box((0.06, leg_h + 0.01, 0.06), (x, 0, z), base_at_bottom=True))
            elif style == 'taper':
                parts.append(cylinder(r * 0.6, leg_h + 0.01, (x, 0, z), top_radius=r, segments=10))
            else:
                parts.append(cylinder(r, leg_h + 0.01, (x, 0, z), segments=10))
    return tagged('leg', *parts)


def _cushion_row(rng, n, x0, x1, z0, z1, y, t, rounded):
    gap = 0.01
    w = (z1 - z0 - gap * (n - 1)) / n
    parts = []
    for k in range(n):
        z = z0 + w / 2 + k * (w + gap)
        parts.append(box((x1 - x0, t, w), ((x0 + x1) / 2, y, z), base_at_bottom=True))
        if rounded:
            parts.append(ellipsoid(((x1 - x0) / 2, 0.025, w / 2), ((x0 + x1) / 2, y + t, z), y_range=(0.0, 1.0),
                                   rings=4, segments=12))
    return tagged('cushion', *parts)


def _arm(rng, style, x0, x1, z, arm_w, y0, arm_top):
    depth = x1 - x0
    xc = (x0 + x1) / 2
    parts = []
    if style == 'slope':
        parts.append(box((depth, arm_top - y0, arm_w), (xc, y0, z), top_scale=(0.85, 1.0),
                         top_offset=(-depth * 0.07, 0.0), base_at_bottom=True))
    elif style == 'rolled':
        parts.append(box((depth, arm_top - y0 - arm_w * 0.3, arm_w), (xc, y0, z), base_at_bottom=True))
        parts.append(cylinder(arm_w * 0.65, depth, (x0, arm_top - arm_w * 0.55, z), ROT_Z90,
                              radius_z=arm_w * 0.55, segments=14))
    else:   # box / track arm
        parts.append(box((depth, arm_top - y0, arm_w), (xc, y0, z), base_at_bottom=True))
    return tagged('arm', *parts)


def _sofa(rng, kind):
    if kind == 'loveseat':
        length = uniform(rng, 1.25, 1.65)
    elif kind == 'armless':
        length = uniform(rng, 1.2, 2.2)
    else:
        length = uniform(rng, 1.7, 2.6)
    depth = uniform(rng, 0.78, 1.05)
    plinth = rng.random() < 0.3
    leg_h = 0.0 if plinth else uniform(rng, 0.04, 0.17)
    seat_h = uniform(rng, 0.38, 0.48)
    cushion_t = uniform(rng, 0.08, 0.2)
    base_top = seat_h - cushion_t
    arm_w = 0.0 if kind == 'armless' else uniform(rng, 0.08, 0.3)
    arm_style = rng.choice(['box', 'rolled', 'slope'], p=[0.55, 0.25, 0.2])
    back_t = uniform(rng, 0.14, 0.3)
    back_top = seat_h + uniform(rng, 0.28, 0.55)
    arm_top = min(seat_h + uniform(rng, 0.1, 0.28), back_top - 0.08)
    tilt = uniform(rng, 0.0, 12.0)
    n = int(rng.choice([1, 2, 3, 4], p=[0.15, 0.35, 0.4, 0.1])) if kind != 'loveseat' else int(rng.choice([1, 2]))
    inner = length - 2 * arm_w
    back_cushions = rng.random() < 0.55
    rounded = rng.random() < 0.4
    parts = []
    xb, xf = -depth / 2, depth / 2
    parts += tagged('body', box((depth, base_top - leg_h, length), (0, leg_h, 0), base_at_bottom=True))
    parts += tagged('back', box((back_t, back_top - base_top, length), (xb + back_t / 2, base_top, 0), _tilt(tilt),
                                base_at_bottom=True))
    parts += _cushion_row(rng, n, xb + back_t, xf - 0.005, -inner / 2, inner / 2, base_top, cushion_t, rounded)
    if back_cushions:
        bc_t = uniform(rng, 0.1, 0.2)
        nb = n if rng.random() < 0.7 else max(1, n - 1)
        gap = 0.01
        w = (inner - gap * (nb - 1)) / nb
        for k in range(nb):
            z = -inner / 2 + w / 2 + k * (w + gap)
            parts += tagged('cushion', box((bc_t, (back_top - seat_h) * uniform(rng, 0.75, 1.0), w),
                                           (xb + back_t + bc_t / 2 - 0.02, seat_h, z), _tilt(tilt + 4),
                                           base_at_bottom=True))
    ret_side = 1 if rng.random() < 0.5 else -1
    if arm_w > 0:
        for sz in (-1, 1):
            if kind == 'sectional' and sz == ret_side:   # the return's back takes the arm's place
                parts += tagged('arm', box((depth, back_top - leg_h - 0.02, back_t), (0, leg_h,
                                           sz * (length / 2 - back_t / 2)), base_at_bottom=True))
                continue
            parts += _arm(rng, arm_style, xb, xf, sz * (length / 2 - arm_w / 2), arm_w, leg_h, arm_top)
    if rng.random() < 0.3:   # throw pillows against the back by the arms
        ps = uniform(rng, 0.3, 0.45)
        for sz in (-1, 1):
            z = sz * (inner / 2 - ps / 2 - 0.03)
            parts += tagged('pillow', box((0.12, ps, ps), (xb + back_t + 0.15, seat_h, z), _tilt(15),
                                          base_at_bottom=True))
    # an L-shaped return (sectional) or a chaise at one end, towards the front
    if kind in ('sectional', 'chaise'):
        sz = ret_side
        ext = uniform(rng, 0.55, 0.95) if kind == 'chaise' else uniform(rng, 0.7, 1.2)
        rw = uniform(rng, 0.65, 0.9) if kind == 'chaise' else depth
        z_out = sz * length / 2
        z_in = z_out - sz * rw
        zc = (z_out + z_in) / 2
        xr = xf + ext
        parts += tagged('body', box((ext + 0.02, base_top - leg_h, rw), (xf + ext / 2 - 0.01, leg_h, zc),
                                    base_at_bottom=True))
        parts += tagged('cushion', box((ext + depth - back_t - 0.01, cushion_t, rw - arm_w - 0.01),
                                       ((xb + back_t + xr) / 2, base_top, zc - sz * arm_w / 2), base_at_bottom=True))
        if kind == 'sectional':   # the return keeps a back on its outer side, an arm at its front end
            parts += tagged('back', box((ext + 0.02, back_top - base_top, back_t), (xf + ext / 2 - 0.01, base_top,
                                        z_out - sz * back_t / 2), base_at_bottom=True))
            if arm_w > 0 and rng.random() < 0.6:
                parts += tagged('arm', box((arm_w, arm_top - leg_h, rw), (xr - arm_w / 2, leg_h, zc),
                                           base_at_bottom=True))
        elif arm_w > 0:   # chaise: the side arm runs on to the front
            parts += _arm(rng, arm_style, xf - 0.01, xr, z_out - sz * arm_w / 2, arm_w, leg_h, arm_top)
        xf = xr
        if leg_h > 0:
            parts += _legs(rng, xb + depth, xr, min(z_in, z_out), max(z_in, z_out), leg_h, 'round', 2)
    if leg_h > 0:
        style = rng.choice(['round', 'taper', 'block'], p=[0.4, 0.35, 0.25])
        parts += _legs(rng, xb, xb + depth, -length / 2, length / 2, leg_h, style, 2 if length < 2.2 else 3)
    return parts


def _v1(rng):
    parts = build_v1(rng)
    for p in parts[1:]:
        p.role = 'cushion' if p.role == 'body' else p.role
    parts[0].role = 'body'
    for p in parts:
        if p.vertices[:, 1].max() < 0.17 and np.ptp(p.vertices[:, 0]) < 0.1:
            p.role = 'leg'
    return parts


def build(rng):
    kind = _TYPES[int(rng.choice(len(_TYPES), p=_TYPE_P))]
    for _ in range(6):   # ShapeNet's sofas are long and low (the part check wants length >= 1.4 x height)
        parts = _v1(rng) if kind == 'v1' else _sofa(rng, kind)
        v = np.concatenate([p.vertices for p in parts])
        ext = v.max(axis=0) - v.min(axis=0)
        if ext[2] >= 1.5 * ext[1]:
            break
    return parts
