"""Lamps (ShapeNet synset 03636649).

build_v1: the grammar of dataset format version 1, kept as it was so version 1 stays byte-identical.
"""
import numpy as np

from datasets.embedded.primitives import box, cylinder, ellipsoid, rotation, tube
from datasets.embedded.shapes.common import uniform, MID, LIGHT

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


# ---------------------------------------------------------------------------------------- version 2
from datasets.embedded.shapes.common import tagged   # noqa: E402

MATERIALS = {
    'body': {'metal': 0.3, 'black': 0.25, 'white': 0.15, 'grey': 0.1, 'wood': 0.08, 'paint': 0.06,
             'plastic': 0.06},
    'base': {'=body': 0.75, 'black': 0.1, 'metal': 0.05, 'wood': 0.05, 'white': 0.05},
    'shade': {'shade': 0.65, '=body': 0.2, 'white': 0.06, 'black': 0.04, 'paint': 0.05},
    'bulb': {'white': 0.8, 'shade': 0.2},
}

_TYPES = ('table', 'floor', 'desk', 'pendant', 'chandelier', 'v1')
_TYPE_P = (0.3, 0.2, 0.2, 0.1, 0.08, 0.12)


def _shell(r_bottom, r_top, h, y0, centre=(0.0, 0.0), n=12, t=0.008):
    """A lamp shade as a ring of thin panels (open at both ends), from y0 up to y0 + h."""
    out = []
    cx, cz = centre
    for k in range(n):
        a = 2 * np.pi * (k + 0.5) / n
        r_hat = np.array([np.cos(a), 0.0, np.sin(a)])
        t_hat = np.array([-np.sin(a), 0.0, np.cos(a)])
        s = (r_top - r_bottom) * r_hat + np.array([0.0, h, 0.0])
        length = np.linalg.norm(s)
        s = s / length
        nrm = np.cross(s, t_hat)
        rot = np.stack([nrm, s, t_hat], axis=1)
        mid = (r_bottom + r_top) / 2 * r_hat + np.array([cx, y0 + h / 2, cz])
        w = 2 * max(r_bottom, r_top) * np.sin(np.pi / n) * 1.08
        out.append(box((t, length, w), mid, rot))
    return out


def _shade_v2(rng, top_y, centre=(0.0, 0.0), size=1.0, style=None):
    """A shade hanging from top_y (the top of the shade): drum, cone, dome or globe. (shade parts, bulb parts)"""
    style = style or rng.choice(['drum', 'cone', 'dome', 'globe', 'solid_cone'], p=[0.3, 0.3, 0.15, 0.1, 0.15])
    cx, cz = centre
    r = uniform(rng, 0.1, 0.25) * size
    if style in ('drum', 'cone', 'solid_cone'):
        h = uniform(rng, 0.6, 1.2) * r
        r_top = r * (uniform(rng, 0.85, 1.0) if style == 'drum' else uniform(rng, 0.35, 0.75))
        if style == 'solid_cone':
            shade = [cylinder(r, h, (cx, top_y - h, cz), top_radius=r_top, segments=20)]
        else:
            shade = _shell(r, r_top, h, top_y - h, centre, t=0.006 * size + 0.004)
        bulb = [ellipsoid((0.03, 0.045, 0.03), (cx, top_y - h * 0.55, cz))]
        return shade, bulb, top_y - h
    if style == 'dome':
        h = uniform(rng, 0.5, 1.0) * r
        return [ellipsoid((r, h, r), (cx, top_y - h, cz), y_range=(0.0, 1.0), segments=20)], \
               [ellipsoid((0.035, 0.035, 0.035), (cx, top_y - h, cz))], top_y - h
    r *= 0.7
    return [ellipsoid((r, r, r), (cx, top_y - r, cz), segments=16)], [], top_y - 2 * r


def _base(rng, size=1.0):
    r = uniform(rng, 0.07, 0.16) * size
    h = uniform(rng, 0.015, 0.05)
    style = rng.choice(['disc', 'square', 'dome'], p=[0.6, 0.25, 0.15])
    if style == 'square':
        return [box((r * 1.7, h, r * 1.7), (0, 0, 0), base_at_bottom=True)], h
    if style == 'dome':
        return [ellipsoid((r, h * 2, r), (0, 0, 0), y_range=(0.0, 1.0), segments=20)], h * 1.5
    return [cylinder(r, h, (0, 0, 0), top_radius=r * uniform(rng, 0.7, 1.0), segments=24)], h


def build(rng):
    kind = _TYPES[int(rng.choice(len(_TYPES), p=_TYPE_P))]
    if kind == 'v1':
        return tagged('body', *build_v1(rng))
    body, base, shade, bulb = [], [], [], []
    if kind == 'table':
        b, bh = _base(rng)
        body_h = uniform(rng, 0.2, 0.5)
        r = rng.random()
        if r < 0.4:   # vase / urn body
            vr = uniform(rng, 0.06, 0.15)
            body.append(ellipsoid((vr, body_h / 2, vr), (0, bh + body_h / 2, 0), segments=16))
            body.append(tube([0, bh + body_h * 0.95, 0], [0, bh + body_h + 0.15, 0], 0.012, segments=8))
            top = bh + body_h + uniform(rng, 0.15, 0.3)
            b = b if rng.random() < 0.4 else []
        elif r < 0.55:   # column body
            cr = uniform(rng, 0.03, 0.08)
            body.append(cylinder(cr, body_h, (0, bh, 0), top_radius=cr * uniform(rng, 0.6, 1.2), segments=12))
            top = bh + body_h + uniform(rng, 0.15, 0.3)
        else:   # thin stem
            top = bh + body_h + uniform(rng, 0.1, 0.25)
            body.append(tube([0, bh, 0], [0, top - 0.05, 0], uniform(rng, 0.008, 0.02), segments=8))
        base += b
        s, bu, _ = _shade_v2(rng, top, size=uniform(rng, 0.9, 1.3),
                             style=rng.choice(['drum', 'cone', 'solid_cone', 'dome', 'globe'], p=[0.35, 0.35, 0.15, 0.05, 0.1]))
        shade += s
        bulb += bu
    elif kind == 'floor':
        b, bh = _base(rng, 1.4)
        base += b
        stem_h = uniform(rng, 1.2, 1.8)
        sr = uniform(rng, 0.01, 0.025)
        r = rng.random()
        if r < 0.35:   # arc lamp
            reach = uniform(rng, 0.4, 0.9)
            pts = [np.array([reach * (1 - np.cos(a)), stem_h * np.sin(a) ** 0.7, 0]) for a in np.linspace(0, np.pi / 2, 6)]
            pts = [np.array([0, bh, 0])] + [p + [0, bh, 0] for p in pts[1:]] + [np.array([reach * 1.1, stem_h * 0.93, 0])]
            body += [tube(p, q, sr, segments=8) for p, q in zip(pts[:-1], pts[1:])]
            s, bu, _ = _shade_v2(rng, pts[-1][1], centre=(pts[-1][0], 0.0), size=1.2,
                                 style=rng.choice(['dome', 'solid_cone', 'globe']))
        elif r < 0.55:   # torchiere: a bowl opening up
            body.append(tube([0, bh, 0], [0, stem_h, 0], sr, segments=8))
            br = uniform(rng, 0.15, 0.28)
            s = [ellipsoid((br, br * uniform(rng, 0.3, 0.6), br), (0, stem_h + br * 0.3, 0), y_range=(-1.0, 0.0))]
            bu = []
        else:
            body.append(tube([0, bh, 0], [0, stem_h, 0], sr, segments=8))
            if rng.random() < 0.3:   # tripod legs instead of a base
                base[:] = [tube([0, stem_h * 0.4, 0], [0.3 * np.cos(a), 0, 0.3 * np.sin(a)], sr, segments=6)
                           for a in np.radians([0, 120, 240])]
            s, bu, _ = _shade_v2(rng, stem_h + uniform(rng, 0.1, 0.25), size=uniform(rng, 1.2, 1.8),
                                 style=rng.choice(['drum', 'cone', 'solid_cone'], p=[0.4, 0.4, 0.2]))
        shade += s
        bulb += bu
    elif kind == 'desk':
        b, bh = _base(rng, 0.9)
        base += b
        n = int(rng.choice([2, 3], p=[0.75, 0.25]))
        p = np.array([0.0, bh, 0.0])
        pts = [p]
        angles = [uniform(rng, 55, 90) * -1 + 180] + [uniform(rng, -30, 40) for _ in range(n - 1)]
        for k, ang in enumerate(angles):
            a = np.radians(ang)
            seg = uniform(rng, 0.25, 0.45)
            p = p + seg * np.array([np.cos(a), np.sin(a), 0.0])
            pts.append(p)
        # the base sits under the arm's start; the head looks down and forward
        for a, c in zip(pts[:-1], pts[1:]):
            body.append(tube(a, c, uniform(rng, 0.008, 0.018), segments=8))
            if rng.random() < 0.5:   # parallel spring bar
                body.append(tube(a + [0, 0.025, 0], c + [0, 0.025, 0], 0.005, segments=6))
        for q in pts[1:-1]:
            body.append(ellipsoid((0.025, 0.025, 0.025), q, segments=10, rings=6))
        head = pts[-1]
        hr, hh = uniform(rng, 0.05, 0.12), uniform(rng, 0.08, 0.18)
        tilt = rotation('z', uniform(rng, -50, 10))
        shade.append(cylinder(hr * uniform(rng, 0.2, 0.45), hh, head, tilt @ rotation('x', 180), top_radius=hr,
                              segments=16))
        bulb.append(ellipsoid((0.025, 0.025, 0.025), head + tilt @ [0, -hh * 0.9, 0], segments=10, rings=6))
    elif kind == 'pendant':
        drop = uniform(rng, 0.3, 1.0)
        body.append(cylinder(uniform(rng, 0.04, 0.1), 0.025, (0, drop, 0)))
        n = int(rng.choice([1, 3], p=[0.8, 0.2]))
        for k in range(n):
            z = (k - (n - 1) / 2) * 0.35
            body.append(tube([0, drop, z], [0, 0.02, z], 0.006, segments=6))
            s, bu, _ = _shade_v2(rng, 0.02, centre=(0.0, z), size=uniform(rng, 1.0, 1.6) / np.sqrt(n),
                                 style=rng.choice(['dome', 'cone', 'drum', 'globe', 'solid_cone']))
            shade += s
            bulb += bu
    else:   # chandelier: a central stem, arms round a hub, candles or small shades
        h = uniform(rng, 0.4, 0.8)
        body.append(cylinder(0.06, 0.025, (0, h + 0.3, 0)))
        body.append(tube([0, h + 0.3, 0], [0, h * 0.3, 0], 0.012, segments=8))
        body.append(ellipsoid((0.07, 0.12, 0.07), (0, h * 0.3, 0), segments=12, rings=8))
        n = int(rng.integers(3, 9))
        reach = uniform(rng, 0.25, 0.45)
        small = rng.random() < 0.5
        for k in range(n):
            a = 2 * np.pi * k / n
            tip = np.array([reach * np.cos(a), h * 0.3 + uniform(rng, 0.05, 0.15), reach * np.sin(a)])
            mid = np.array([tip[0] * 0.6, h * 0.3 - 0.08, tip[2] * 0.6])
            body.append(tube([0, h * 0.3, 0], mid, 0.01, segments=6))
            body.append(tube(mid, tip, 0.01, segments=6))
            body.append(cylinder(0.03, 0.02, tip, segments=10))
            if small:
                shade.append(cylinder(0.07, 0.09, tip + [0, 0.02, 0], top_radius=0.045, segments=12))
            else:
                bulb.append(cylinder(0.012, 0.08, tip + [0, 0.02, 0], segments=8))
    return tagged('body', *body) + tagged('base', *base) + tagged('shade', *shade) + tagged('bulb', *bulb)
