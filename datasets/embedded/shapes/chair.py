"""Chairs (ShapeNet synset 03001627).

build_v1: the grammar of dataset format version 1, kept as it was so version 1 stays byte-identical.
build: version 2's chair types; the parts several types share are built in chair_parts.py.
"""
import numpy as np

from datasets.embedded.primitives import box, cylinder, ellipsoid, rotation, tube
from datasets.embedded.shapes.common import uniform, square_leg, leg, ROT_Z90, DARK

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


# ---------------------------------------------------------------------------------------------------
# Version 2: the chair types of ShapeNet, each part tagged with its role.
# ---------------------------------------------------------------------------------------------------
from datasets.embedded.shapes.common import tagged, ROT_X90       # noqa: E402
from datasets.embedded.shapes.chair_parts import (backrest, four_legs, open_arms, pedestal_or_sled,   # noqa: E402
                                                  tilt_rotation)

MATERIALS = {
    'body': {'=seat': 1.0},
    'seat': {'fabric': 0.24, 'wood': 0.2, 'leather': 0.08, 'plastic': 0.02, 'black': 0.06, 'white': 0.14,
             'grey': 0.26},
    'back': {'=seat': 0.85, 'fabric': 0.04, 'wood': 0.04, 'black': 0.04, 'metal': 0.03},
    'cushion': {'=seat': 0.6, 'fabric': 0.25, 'leather': 0.1, 'white': 0.05},
    'leg': {'wood': 0.26, 'metal': 0.36, 'black': 0.2, 'grey': 0.12, 'white': 0.06},
    'arm': {'=seat': 0.45, '=leg': 0.4, 'wood': 0.08, 'black': 0.07},
    'frame': {'=leg': 0.5, 'metal': 0.3, 'black': 0.2},
    'base': {'black': 0.45, 'metal': 0.45, 'grey': 0.1},
    'upholstery': {'fabric': 0.5, 'leather': 0.25, 'grey': 0.1, 'white': 0.07, 'black': 0.08},   # club chairs
    'ucushion': {'=upholstery': 0.8, 'fabric': 0.1, 'leather': 0.05, 'white': 0.05},
    'office': {'black': 0.35, 'fabric': 0.25, 'leather': 0.1, 'grey': 0.22, 'white': 0.06, 'plastic': 0.02},
    'wheel': {'black': 0.7, 'rubber': 0.3},
}

_TYPES = ('side', 'armchair', 'club', 'office', 'cantilever', 'stool', 'folding', 'lounge', 'rocking', 'v1')
_TYPE_P = (0.27, 0.12, 0.15, 0.15, 0.06, 0.07, 0.04, 0.06, 0.03, 0.05)


def _side(rng, arms=False):
    depth, width = uniform(rng, 0.40, 0.56), uniform(rng, 0.40, 0.58)
    if arms:
        width = uniform(rng, 0.5, 0.66)
    seat_t, seat_h = uniform(rng, 0.02, 0.09), uniform(rng, 0.40, 0.50)
    parts = []
    padded_seat = rng.random() < 0.3
    if padded_seat:
        parts += tagged('seat', box((depth, seat_t, width), (0, seat_h - seat_t - 0.02 + seat_t / 2, 0)))
        parts += tagged('cushion', box((depth * 0.96, uniform(rng, 0.04, 0.08), width * 0.96),
                                       (0, seat_h - 0.02, 0), base_at_bottom=True))
    else:
        parts += tagged('seat', box((depth, seat_t, width), (0, seat_h - seat_t / 2, 0)))
    under = seat_h - seat_t
    style = rng.choice(['square', 'round', 'tapered', 'turned'], p=[0.4, 0.25, 0.25, 0.1])
    lt = uniform(rng, 0.025, 0.06)
    splay = uniform(rng, 0.0, 0.06)
    side_panels = arms and rng.random() < 0.25
    if side_panels:   # solid sides from the floor to the armrests (legs and arms in one slab)
        pt = uniform(rng, 0.03, 0.07)
        top = seat_h + uniform(rng, 0.15, 0.26)
        pd = depth * uniform(rng, 0.85, 1.05)
        for sz in (-1, 1):
            parts += tagged('arm', box((pd, top, pt), (depth / 2 - pd / 2, 0, sz * (width / 2 + pt / 2)),
                                       base_at_bottom=True))
        arms = False
    elif rng.random() < 0.14:
        parts += pedestal_or_sled(rng, depth, width, under)
    else:
        parts += four_legs(rng, depth, width, under, lt, style, uniform(rng, 0.0, 0.04), splay,
                            rng.random() < 0.4)
    back_style = rng.choice(['solid', 'slats', 'padded', 'shell', 'frame', 'ladder', 'spindle', 'oval'],
                            p=[0.22, 0.18, 0.15, 0.1, 0.1, 0.1, 0.08, 0.07])
    back_t = uniform(rng, 0.02, 0.06) if back_style != 'padded' else uniform(rng, 0.06, 0.14)
    back_h = uniform(rng, 0.32, 0.62)
    base = np.array([-depth / 2 + back_t / 2, seat_h - 0.01, 0.0])
    parts += backrest(rng, back_style, base, width, back_h, back_t, uniform(rng, 0.0, 16.0))
    if arms:
        parts += open_arms(rng, depth, width, seat_h, -depth / 2, panel=rng.random() < 0.25)
    return parts


def _club(rng):
    """Upholstered armchair / club chair / wing chair / sofa-like chair: thick arms and cushions."""
    leg_h = uniform(rng, 0.07, 0.2)
    seat_h = uniform(rng, 0.38, 0.48)
    cushion_t = uniform(rng, 0.08, 0.18)
    base_top = seat_h - cushion_t
    wing = rng.random() < 0.25
    back_top = uniform(rng, 1.0, 1.2) if wing else uniform(rng, 0.7, 1.0)
    width = min(uniform(rng, 0.65, 0.95), back_top * 0.98)
    depth = min(uniform(rng, 0.65, 0.9), back_top * 0.98)
    arm_w = uniform(rng, 0.08, 0.24) if rng.random() < 0.9 else 0.0
    arm_top = min(seat_h + uniform(rng, 0.12, 0.28), back_top - 0.1)
    back_t = uniform(rng, 0.12, 0.26)
    parts = []
    parts += tagged('body', box((depth, base_top - leg_h, width), (0, leg_h, 0), base_at_bottom=True))
    inner = width - 2 * arm_w
    parts += tagged('cushion', box((depth - back_t - 0.01, cushion_t, inner - 0.01),
                                   (back_t / 2, base_top, 0), base_at_bottom=True))
    tilt = uniform(rng, 0.0, 10.0)
    parts += tagged('back', box((back_t, back_top - base_top, width), (-depth / 2 + back_t / 2, base_top, 0),
                                tilt_rotation(tilt), base_at_bottom=True))
    if rng.random() < 0.5:   # a loose back cushion
        parts += tagged('cushion', box((uniform(rng, 0.08, 0.16), (back_top - seat_h) * 0.8, inner - 0.02),
                                       (-depth / 2 + back_t + 0.05, seat_h, 0), tilt_rotation(tilt),
                                       base_at_bottom=True))
    if rng.random() < 0.3:   # rounded top of the back
        top = (np.array([-depth / 2 + back_t / 2, base_top, 0])
               + tilt_rotation(tilt) @ [0, back_top - base_top - 0.03, 0])
        parts += tagged('back', cylinder(back_t * 0.55, width, top - [0, 0, width / 2], ROT_X90, segments=12))
    if arm_w > 0:
        style = rng.choice(['box', 'rolled', 'slope'], p=[0.5, 0.3, 0.2])
        for sz in (-1, 1):
            z = sz * (width / 2 - arm_w / 2)
            if style == 'slope':
                parts += tagged('body', box((depth, arm_top - leg_h, arm_w), (0, leg_h, z), top_scale=(0.8, 1.0),
                                           top_offset=(-depth * 0.08, 0.0), base_at_bottom=True))
            else:
                parts += tagged('body', box((depth, arm_top - leg_h, arm_w), (0, leg_h, z), base_at_bottom=True))
            if style == 'rolled':
                parts += tagged('body', cylinder(arm_w * 0.6, depth, (-depth / 2, arm_top - arm_w * 0.45, z), ROT_Z90,
                                                radius_z=arm_w * 0.55, segments=14))
    if wing:
        for sz in (-1, 1):
            z = sz * (width / 2 - 0.03)
            wx = uniform(rng, 0.18, 0.32)
            foot = np.array([-depth / 2 + wx / 2, base_top, z]) + tilt_rotation(tilt) @ [0, arm_top - base_top, 0]
            parts += tagged('back', box((wx, back_top - arm_top - 0.05, 0.06), foot, tilt_rotation(tilt),
                                        top_scale=(1.25, 1.0), top_offset=(0.03, 0.0), base_at_bottom=True))
    lt = uniform(rng, 0.03, 0.06)
    style = rng.choice(['round', 'square', 'tapered'], p=[0.4, 0.3, 0.3])
    parts += four_legs(rng, depth, width, leg_h + 0.01, lt, style, uniform(rng, 0.01, 0.06),
                        uniform(rng, 0.0, 0.03), False)
    return _retag(parts, {'body': 'upholstery', 'back': 'upholstery', 'cushion': 'ucushion'})


def _retag(parts, mapping):
    for p in parts:
        p.role = mapping.get(p.role, p.role)
    return parts


def _office(rng):
    seat_h = uniform(rng, 0.42, 0.54)
    depth, width = uniform(rng, 0.44, 0.54), uniform(rng, 0.46, 0.58)
    seat_t = uniform(rng, 0.05, 0.11)
    parts = []
    parts += tagged('seat', box((depth, seat_t, width), (0, seat_h - seat_t, 0), base_at_bottom=True,
                                top_scale=(0.96, 0.96)))
    if rng.random() < 0.5:   # contoured cushion top
        parts += tagged('seat', ellipsoid((depth / 2, 0.025, width / 2 * 0.95), (0, seat_h - 0.005, 0),
                                          y_range=(0.0, 1.0)))
    under = seat_h - seat_t
    # mechanism, gas column, hub, 5-star base with casters
    parts += tagged('base', box((0.22, 0.05, 0.2), (0, under - 0.05, 0), base_at_bottom=True))
    wheel_r = uniform(rng, 0.022, 0.035)
    star_y = 2 * wheel_r + uniform(rng, 0.01, 0.04)
    reach = uniform(rng, 0.27, 0.35)
    col_r = uniform(rng, 0.018, 0.032)
    parts += tagged('base', cylinder(col_r, under - 0.05 - star_y, (0, star_y, 0)))
    parts += tagged('base', cylinder(col_r * 1.6, 0.06, (0, star_y - 0.02, 0)))
    n = 5 if rng.random() < 0.9 else 4
    leg_w = uniform(rng, 0.03, 0.05)
    phase = uniform(rng, 0, 2 * np.pi)
    for k in range(n):
        a = phase + 2 * np.pi * k / n
        d = np.array([np.cos(a), 0.0, np.sin(a)])
        end = d * reach + [0, star_y - 0.005, 0]
        parts += tagged('base', box((leg_w, 0.035, reach), (d * reach / 2) + [0, star_y - 0.01, 0],
                                    rotation('y', -np.degrees(a) + 90), top_scale=(0.7, 1.0)))
        parts += tagged('wheel', cylinder(wheel_r, wheel_r * 1.4, end + [0, wheel_r - star_y + 0.005, -wheel_r * 0.7],
                                          ROT_X90, segments=10))
        parts += tagged('base', box((0.02, star_y - wheel_r, 0.02), (end[0], wheel_r, end[2]), base_at_bottom=True))
    # back: a separate pad held by a spine behind the seat
    back_h = uniform(rng, 0.4, 0.78)
    back_t = uniform(rng, 0.04, 0.1)
    gap = uniform(rng, 0.03, 0.1)
    tilt = uniform(rng, 3.0, 15.0)
    bx = -depth / 2 + back_t / 2 - 0.01
    base = np.array([bx, seat_h + gap, 0.0])
    style = rng.choice(['padded', 'shell', 'solid'], p=[0.5, 0.3, 0.2])
    bw = width * uniform(rng, 0.85, 1.0)
    parts += backrest(rng, style, base, bw, back_h, back_t, tilt)
    if rng.random() < 0.35:   # headrest
        parts += tagged('back', box((back_t, 0.1, bw * 0.55), base + tilt_rotation(tilt) @ [0, back_h + 0.04, 0],
                                    tilt_rotation(tilt), base_at_bottom=True))
    parts += tagged('base', box((0.025, gap + 0.12 + seat_t, 0.06), (bx - back_t / 2 - 0.012, under - 0.02, 0),
                                base_at_bottom=True))
    if rng.random() < 0.65:   # T-arms or loop arms
        arm_h = uniform(rng, 0.18, 0.26)
        for sz in (-1, 1):
            z = sz * (width / 2 + 0.02)
            parts += tagged('arm', box((0.03, arm_h, 0.03), (0.0, seat_h - 0.03, z), base_at_bottom=True))
            parts += tagged('arm', box((depth * uniform(rng, 0.5, 0.8), 0.03, 0.06), (0.0, seat_h + arm_h, z)))
    return _retag(parts, {'seat': 'office', 'back': 'office', 'arm': 'base'})


def _cantilever(rng):
    depth, width = uniform(rng, 0.42, 0.55), uniform(rng, 0.42, 0.55)
    seat_h = uniform(rng, 0.42, 0.48)
    r = uniform(rng, 0.009, 0.016)
    seat_t = uniform(rng, 0.02, 0.07)
    under = seat_h - seat_t
    back_h = uniform(rng, 0.35, 0.55)
    tilt = uniform(rng, 4.0, 15.0)
    front = depth / 2 + uniform(rng, 0.0, 0.06)
    tr = tilt_rotation(tilt)
    frame = []
    for sz in (-1, 1):
        z = sz * (width / 2 + r)
        p_rear = np.array([-depth / 2 + uniform(rng, 0.0, 0.08), r, z])
        p_front = np.array([front, r, z])
        p_up = np.array([depth / 2 - 0.02, under - r, z])
        p_back = np.array([-depth / 2 + 0.02, under - r, z])
        p_top = p_back + tr @ [0, back_h + seat_t, 0]
        for a, b in ((p_rear, p_front), (p_front, p_up), (p_up, p_back), (p_back, p_top)):
            frame.append(tube(a, b, r, segments=8))
    frame.append(tube([-depth / 2 + 0.02, r, -width / 2], [-depth / 2 + 0.02, r, width / 2], r, segments=8))
    parts = tagged('frame', *frame)
    parts += tagged('seat', box((depth, seat_t, width), (0, under, 0), base_at_bottom=True))
    style = rng.choice(['solid', 'padded', 'shell'], p=[0.4, 0.3, 0.3])
    bt = uniform(rng, 0.02, 0.06) if style != 'padded' else uniform(rng, 0.05, 0.1)
    bh = back_h * uniform(rng, 0.5, 0.9)
    parts += backrest(rng, style, np.array([-depth / 2 + 0.02, seat_h, 0]) + tr @ [0, back_h - bh, 0], width,
                   bh, bt, tilt)
    if rng.random() < 0.3:
        parts += open_arms(rng, depth, width + 0.06, seat_h, -depth / 2)
    return parts


def _stool(rng):
    """Stools and bar stools (with a low back: the check wants a back at the rear)."""
    bar = rng.random() < 0.6
    seat_h = uniform(rng, 0.62, 0.8) if bar else uniform(rng, 0.42, 0.55)
    round_seat = rng.random() < 0.6
    rad = uniform(rng, 0.17, 0.23)
    seat_t = uniform(rng, 0.03, 0.09)
    under = seat_h - seat_t
    parts = []
    if round_seat:
        parts += tagged('seat', cylinder(rad, seat_t, (0, under, 0), segments=20))
    else:
        parts += tagged('seat', box((rad * 1.9, seat_t, rad * 1.9), (0, under, 0), base_at_bottom=True))
    if rng.random() < 0.6:   # four splayed legs with a footring
        lt = uniform(rng, 0.025, 0.045)
        splay = uniform(rng, 0.02, 0.08)
        style = rng.choice(['round', 'square'])
        inset = rad * (0.3 if round_seat else 0.05)
        parts += four_legs(rng, rad * 1.8, rad * 1.8, under, lt, style, inset, splay, False)
        if bar:
            y = uniform(rng, 0.2, 0.33)
            f = y / under
            half = rad * 0.9 - inset - lt / 2 + splay * (1 - f)
            pts = [np.array([sx * half, y, sz * half]) for sx, sz in ((1, 1), (1, -1), (-1, -1), (-1, 1))]
            parts += tagged('frame', *[tube(pts[k], pts[(k + 1) % 4], 0.01, segments=6) for k in range(4)])
    else:   # pedestal: column on a disc, often a footring
        col = uniform(rng, 0.025, 0.045)
        parts += tagged('base', cylinder(rad * uniform(rng, 0.7, 1.05), 0.03, (0, 0, 0), segments=20))
        parts += tagged('base', cylinder(col, under - 0.03, (0, 0.03, 0), segments=12))
        if bar:
            ring_r = uniform(rng, 0.15, 0.2)
            y = uniform(rng, 0.22, 0.32)
            pts = [np.array([ring_r * np.cos(a), y, ring_r * np.sin(a)]) for a in np.linspace(0, 2 * np.pi, 9)[:-1]]
            parts += tagged('frame', *[tube(pts[k], pts[(k + 1) % 8], 0.01, segments=6) for k in range(8)])
            for k in (0, 4):
                parts += tagged('frame', tube([0, y, 0], pts[k], 0.01, segments=6))
    total = max(seat_h + uniform(rng, 0.22, 0.45), (under) / 0.58)
    back_h = total - seat_h
    bt = uniform(rng, 0.02, 0.05)
    style = rng.choice(['solid', 'padded', 'frame', 'slats', 'shell'])
    bt = bt * 2 if style == 'padded' else bt
    parts += backrest(rng, style, np.array([-rad * 0.9 + bt / 2, seat_h - 0.01, 0]), rad * 1.7, back_h, bt,
                   uniform(rng, 0.0, 12.0))
    return parts


def _folding(rng):
    depth, width = uniform(rng, 0.38, 0.46), uniform(rng, 0.4, 0.48)
    seat_h = uniform(rng, 0.42, 0.47)
    seat_t = uniform(rng, 0.015, 0.04)
    r = uniform(rng, 0.009, 0.015)
    back_top = seat_h + uniform(rng, 0.33, 0.45)
    frame = []
    lean = uniform(rng, 0.04, 0.1)
    for sz in (-1, 1):
        z = sz * (width / 2 + r)
        # front legs run from the floor at the front to the seat's rear and on up as back posts; rear legs
        # cross them from the floor at the back to the seat's front
        f0, f1 = np.array([depth / 2 + 0.04, 0, z]), np.array([-depth / 2 + 0.03, seat_h - seat_t, z])
        f2 = np.array([-depth / 2 + 0.03 - lean, back_top, z])
        frame += [tube(f0, f1, r, segments=8), tube(f1, f2, r, segments=8)]
        b0, b1 = np.array([-depth / 2 - 0.05, 0, z * 0.96]), np.array([depth / 2 - 0.03, seat_h - seat_t, z * 0.96])
        frame.append(tube(b0, b1, r, segments=8))
    frame.append(tube([depth / 2 + 0.03, 0.03, -width / 2], [depth / 2 + 0.03, 0.03, width / 2], r, segments=8))
    parts = tagged('frame', *frame)
    parts += tagged('seat', box((depth, seat_t, width), (0, seat_h - seat_t, 0), base_at_bottom=True))
    bh = uniform(rng, 0.12, 0.28)
    ang = np.degrees(np.arctan2(lean, back_top - seat_h + seat_t))
    t = (back_top - bh / 2 - (seat_h - seat_t)) / (back_top - seat_h + seat_t)
    centre = np.array([-depth / 2 + 0.03 - t * lean, back_top - bh / 2, 0])
    parts += tagged('back', box((0.02, bh, width), centre, tilt_rotation(ang)))
    return parts


def _lounge(rng):
    """Lounge chairs and recliners: low, deep seats and reclined backs."""
    recliner = rng.random() < 0.45
    if recliner:
        parts = _club(rng)
        return parts
    seat_h = uniform(rng, 0.3, 0.42)
    depth, width = uniform(rng, 0.55, 0.75), uniform(rng, 0.55, 0.8)
    seat_t = uniform(rng, 0.05, 0.16)
    slope = uniform(rng, 3.0, 12.0)
    parts = tagged('seat', box((depth, seat_t, width), (0, seat_h - seat_t / 2, 0), rotation('z', slope)))
    tilt = uniform(rng, 15.0, 30.0)
    back_h = uniform(rng, 0.5, 0.75)
    bt = uniform(rng, 0.05, 0.16)
    back_top = seat_h + back_h * np.cos(np.radians(tilt))
    if back_top < max(depth, width) + 0.1:
        back_h = (max(depth, width) + 0.15 - seat_h) / np.cos(np.radians(tilt))
    style = rng.choice(['padded', 'shell', 'solid'])
    parts += backrest(rng, style, np.array([-depth / 2 + bt / 2, seat_h - 0.03, 0]), width, back_h, bt, tilt)
    if rng.random() < 0.5:
        parts += open_arms(rng, depth, width, seat_h, -depth / 2, panel=rng.random() < 0.4)
    under = seat_h - seat_t - depth / 2 * np.sin(np.radians(slope))
    if rng.random() < 0.3:   # swivel on a star base
        parts += tagged('base', cylinder(0.03, under, (0, 0, 0)))
        for k in range(4 + int(rng.integers(2))):
            a = 2 * np.pi * k / 5
            parts += tagged('base', tube([0, 0.03, 0], [0.33 * np.cos(a), 0.015, 0.33 * np.sin(a)], 0.02, segments=6))
    else:
        lt = uniform(rng, 0.025, 0.05)
        parts += four_legs(rng, depth, width, under, lt, rng.choice(['round', 'tapered', 'square']),
                            uniform(rng, 0.02, 0.06), uniform(rng, 0.02, 0.08), False)
    return parts


def _rocking(rng):
    parts = _side(rng, arms=rng.random() < 0.5)
    # runners: arcs of tubes under the legs
    depth = max(abs(p.vertices[:, 0]).max() for p in parts if p.role == 'seat')
    zs = sorted({round(float(z), 3) for p in parts if p.role == 'leg' for z in [p.vertices[:, 2].mean()]})
    zmax = max(abs(z) for z in zs) if zs else 0.25
    lift = uniform(rng, 0.04, 0.08)
    half = depth + uniform(rng, 0.15, 0.3)
    curv = uniform(rng, 0.05, 0.1)
    runners = []
    for sz in (-1, 1):
        xs = np.linspace(-half, half, 6)
        pts = [np.array([x, 0.015 + curv * (x / half) ** 2, sz * zmax]) for x in xs]
        runners += [tube(pts[k], pts[k + 1], 0.015, segments=8) for k in range(5)]
    for p in parts:   # lift the chair onto its runners
        p.vertices = p.vertices + [0, lift, 0]
        p.translation = p.translation + [0, lift, 0]
    return parts + tagged('leg', *runners)


def _v1(rng):
    parts = build_v1(rng)
    seat_top = parts[0].vertices[:, 1].max()
    for p in parts:
        p.role = 'back' if p.vertices[:, 1].min() >= seat_top - 0.025 else 'leg'
    parts[0].role = 'seat'
    return parts


_BUILD = {'side': _side, 'armchair': lambda rng: _side(rng, arms=True), 'club': _club, 'office': _office,
          'cantilever': _cantilever, 'stool': _stool, 'folding': _folding, 'lounge': _lounge, 'rocking': _rocking,
          'v1': _v1}


def build(rng):
    kind = _TYPES[int(rng.choice(len(_TYPES), p=_TYPE_P))]
    for _ in range(6):   # ShapeNet's chairs stand taller than they are wide or deep (the part check)
        parts = _BUILD[kind](rng)
        v = np.concatenate([p.vertices for p in parts])
        ext = v.max(axis=0) - v.min(axis=0)
        if ext[1] >= 1.04 * max(ext[0], ext[2]):
            break
    return parts
