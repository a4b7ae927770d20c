"""Displays (ShapeNet synset 03211117).

build_v1: the grammar of dataset format version 1, kept as it was so version 1 stays byte-identical.
"""
import numpy as np

from datasets.embedded.primitives import box, cylinder, prism, rotation
from datasets.embedded.shapes.common import uniform, DARK

SYNSET = '03211117'


def build_v1(rng):
    parts = []
    width = uniform(rng, 0.40, 0.75)
    aspect = float(rng.choice([16 / 9, 16 / 10, 4 / 3]))
    height = width / aspect
    crt = rng.random() < 0.15
    depth = uniform(rng, 0.3, 0.45) * width if crt else uniform(rng, 0.015, 0.05)
    stand_h = uniform(rng, 0.05, 0.2)
    tilt = rotation('z', uniform(rng, 0, 10))
    base_w = uniform(rng, 0.15, 0.35)
    foot_h = 0.02
    style = rng.choice(['plate', 'disc', 'feet', 'none'], p=[0.45, 0.25, 0.15, 0.15])
    bottom = 0.0 if style == 'none' else foot_h + stand_h
    centre = np.array([0.0, bottom + height / 2, 0.0])
    bezel = uniform(rng, 0.01, 0.04)
    # the screen panel: a thin box; a CRT has a tapered back
    parts.append(box((depth if not crt else 0.06, height + 2 * bezel, width + 2 * bezel), centre, tilt))
    parts.append(box((0.006, height, width), centre + tilt @ [(depth if not crt else 0.06) / 2, 0, 0], tilt,
                     albedo=DARK * 0.7))
    if crt:   # tube housing tapering towards the back (local y -> -x, local x -> +y)
        parts.append(prism(_rect(height * 0.8, width * 0.8), depth, centre + tilt @ [-0.03, 0, 0],
                           tilt @ rotation('z', 90), top_scale=(0.55, 0.55)))
    if style != 'none':
        back_x = -(depth if not crt else 0.06) / 2 - 0.015
        neck_top = centre + tilt @ [back_x, 0, 0]
        parts.append(box((0.03, neck_top[1] - foot_h, uniform(rng, 0.04, 0.1)), (back_x - 0.01, foot_h, 0),
                         base_at_bottom=True))
        if style == 'plate':
            parts.append(box((base_w * 0.8, foot_h, base_w * 1.3), (back_x, 0, 0), base_at_bottom=True))
        elif style == 'disc':
            parts.append(cylinder(base_w / 2, foot_h, (back_x, 0, 0), radius_z=base_w * 0.7, segments=24))
        else:
            for sz in (-1, 1):
                parts.append(box((base_w, foot_h, 0.04), (back_x, 0, sz * width * 0.3), base_at_bottom=True))
    return parts


def _rect(sx, sz):
    return [(-sx / 2, -sz / 2), (sx / 2, -sz / 2), (sx / 2, sz / 2), (-sx / 2, sz / 2)]


# ---------------------------------------------------------------------------------------- version 2
from datasets.embedded.primitives import tube   # noqa: E402
from datasets.embedded.shapes.common import tagged   # noqa: E402

MATERIALS = {
    'body': {'black': 0.6, 'grey': 0.15, 'white': 0.1, 'metal': 0.1, 'plastic': 0.05},
    'screen': {'screen': 1.0},
    'stand': {'=body': 0.6, 'metal': 0.2, 'black': 0.15, 'grey': 0.05},
}

_TYPES = ('monitor', 'tv', 'wall', 'crt', 'allinone', 'v1')
_TYPE_P = (0.45, 0.2, 0.08, 0.1, 0.1, 0.07)


def build(rng):
    kind = _TYPES[int(rng.choice(len(_TYPES), p=_TYPE_P))]
    if kind == 'v1':
        parts = build_v1(rng)
        parts[1].role = 'screen'
        return parts
    body, screen, stand = [], [], []
    if kind == 'tv':
        width = uniform(rng, 0.8, 1.6)
    elif kind == 'crt':
        width = uniform(rng, 0.35, 0.6)
    else:
        width = uniform(rng, 0.4, 0.8)
    aspect = float(rng.choice([16 / 9, 16 / 10, 4 / 3, 21 / 9], p=[0.55, 0.2, 0.2, 0.05] if kind != 'crt' else [0, 0, 1, 0]))
    height = width / aspect
    bezel = uniform(rng, 0.005, 0.04) if kind != 'crt' else uniform(rng, 0.02, 0.05)
    chin = bezel + (uniform(rng, 0.04, 0.12) * width if kind == 'allinone' else
                    (uniform(rng, 0.0, 0.04) if rng.random() < 0.4 else 0.0))
    depth = uniform(rng, 0.01, 0.04) if kind != 'allinone' else uniform(rng, 0.02, 0.05)
    tilt = rotation('z', uniform(rng, -2, 12) if kind in ('monitor', 'allinone', 'crt') else uniform(rng, 0, 3))
    if kind == 'wall':
        bottom = 0.0
    elif kind == 'tv':
        bottom = uniform(rng, 0.03, 0.12)
    elif kind == 'crt':
        bottom = uniform(rng, 0.0, 0.05)
    else:
        bottom = uniform(rng, 0.06, 0.22) * (width / 0.55)
    panel_h = height + bezel + chin
    centre = np.array([0.0, bottom + panel_h / 2, 0.0])
    sc = centre + tilt @ [0, (chin - bezel) / 2, 0]
    front = depth / 2 if kind != 'crt' else 0.03
    body.append(box((2 * front, panel_h, width + 2 * bezel), centre, tilt))
    screen.append(box((0.006, height, width), sc + tilt @ [front, 0, 0], tilt))
    back_x = -front
    if kind == 'crt':   # tube housing tapering towards the back
        d = uniform(rng, 0.7, 1.0) * width
        s = uniform(rng, 0.45, 0.7)   # the back narrows; its bottom stays flat, its top slopes down
        body.append(prism(_rect(panel_h * 0.9, width * 0.9), d, centre + tilt @ [-0.03, 0, 0],
                          tilt @ rotation('z', 90), top_scale=(s, uniform(rng, 0.45, 0.7)),
                          top_offset=(-0.45 * panel_h * (1 - s), 0.0)))
        if bottom > 0.01:
            stand.append(box((d * 0.6, bottom, width * 0.5), (-d * 0.3, 0, 0), base_at_bottom=True))
        return tagged('body', *body) + tagged('screen', *screen) + tagged('stand', *stand)
    if rng.random() < 0.6 and kind != 'wall':   # thicker housing behind the panel
        bd = uniform(rng, 0.02, 0.08) * (width / 0.6)
        body.append(box((bd, panel_h * uniform(rng, 0.5, 0.85), width * uniform(rng, 0.5, 0.9)),
                        centre + tilt @ [back_x - bd / 2 + 0.002, 0, 0], tilt, top_scale=(0.6, 1.0)))
        back_x -= bd
    if kind == 'wall':
        if rng.random() < 0.5:   # wall bracket
            stand.append(box((0.03, panel_h * 0.4, width * 0.3), centre + [back_x - 0.015, 0, 0]))
        return tagged('body', *body) + tagged('screen', *screen) + tagged('stand', *stand)
    neck_top = centre + tilt @ [back_x, -panel_h * uniform(rng, 0.0, 0.2), 0]
    base = rng.choice(['plate', 'disc', 'vfeet', 'feet', 'arm'],
                      p=[0.3, 0.25, 0.15, 0.1, 0.2] if kind != 'tv' else [0.3, 0.1, 0.0, 0.6, 0.0])
    base_w = uniform(rng, 0.3, 0.6) * width if kind != 'tv' else uniform(rng, 0.3, 0.5) * width
    base_d = min(uniform(rng, 0.15, 0.3) * width if kind != 'tv' else uniform(rng, 0.15, 0.3), width * 0.6)
    foot_h = uniform(rng, 0.01, 0.03)
    bx = neck_top[0] + base_d * 0.25
    nw = uniform(rng, 0.03, 0.12) * (width / 0.6)
    if kind == 'allinone' or base == 'arm':   # slanted L-shaped stand
        foot = np.array([neck_top[0] - base_d * 0.4, foot_h, 0.0])
        stand.append(box((0.025, np.linalg.norm(neck_top - foot), nw * 1.5), foot,
                         rotation('z', np.degrees(np.arctan2(neck_top[0] - foot[0], neck_top[1] - foot[1])) * -1),
                         base_at_bottom=True))
        stand.append(box((base_d, foot_h, nw * 2.5 if kind == 'allinone' else base_w), (foot[0] + base_d * 0.3, 0, 0),
                         base_at_bottom=True))
    elif base == 'feet':   # two feet under the panel (TVs)
        for sz in (-1, 1):
            z = sz * width * uniform(rng, 0.3, 0.42)
            foot = [0.0, 0.0, z]
            stand.append(tube(foot, centre + tilt @ [0, -panel_h / 2 + 0.02, 0] + [0, 0, z * 0.98], 0.015, segments=6))
            stand.append(box((base_d, foot_h, 0.05), (0.0, 0, z), base_at_bottom=True))
    else:
        if rng.random() < 0.6:
            stand.append(box((uniform(rng, 0.02, 0.05), neck_top[1] - foot_h, nw), (neck_top[0], foot_h, 0),
                             base_at_bottom=True))
        else:
            stand.append(cylinder(nw * 0.3, neck_top[1] - foot_h, (neck_top[0], foot_h, 0), segments=12))
        if base == 'plate':
            stand.append(box((base_d, foot_h, base_w), (bx, 0, 0), base_at_bottom=True, top_scale=(0.95, 0.95)))
        elif base == 'disc':
            stand.append(cylinder(base_d / 2, foot_h, (bx, 0, 0), radius_z=min(base_w, base_d) / 2 * uniform(rng, 1.0, 1.6),
                                  segments=24))
        else:   # V or Y shaped feet
            for sz in (-1, 1):
                stand.append(tube([neck_top[0], foot_h / 2, 0], [neck_top[0] + base_d, foot_h / 2, sz * base_w / 2],
                                  foot_h, segments=6))
            stand.append(tube([neck_top[0], foot_h / 2, 0], [neck_top[0] - base_d * 0.4, foot_h / 2, 0], foot_h,
                              segments=6))
    return tagged('body', *body) + tagged('screen', *screen) + tagged('stand', *stand)
