"""Tables (ShapeNet synset 04379243).

build_v1: the grammar of dataset format version 1, kept as it was so version 1 stays byte-identical.
"""
import numpy as np

from datasets.embedded.primitives import box, cylinder, tube, rotation
from datasets.embedded.shapes.common import uniform, square_leg, leg

SYNSET = '04379243'


def build_v1(rng):
    parts = []
    height = uniform(rng, 0.35, 0.48) if rng.random() < 0.2 else uniform(rng, 0.60, 0.80)
    top_t = uniform(rng, 0.025, 0.07)
    under = height - top_t
    if rng.random() < 0.7:   # rectangular top, four legs
        depth, width = uniform(rng, 0.5, 1.0), uniform(rng, 0.8, 1.9)
        parts.append(box((depth, top_t, width), (0, height - top_t / 2, 0)))
        if rng.random() < 0.2:   # trestle ends
            for sz in (-1, 1):
                z = sz * (width / 2 - uniform(rng, 0.08, 0.2))
                parts.append(box((depth * 0.15, under, 0.06), (0, under / 2, z)))
                parts.append(box((depth * 0.85, 0.05, 0.08), (0, 0.025, z)))
            parts.append(box((0.06, 0.06, width * 0.7), (0, under * 0.4, 0)))
            return parts
        style = rng.choice(['square', 'round'])
        lt = uniform(rng, 0.03, 0.08)
        inset = uniform(rng, 0.0, 0.08)
        for sx in (-1, 1):
            for sz in (-1, 1):
                x, z = sx * (depth / 2 - inset - lt / 2), sz * (width / 2 - inset - lt / 2)
                parts.append(leg(style, [x, under, z], [x, 0, z], lt))
        if rng.random() < 0.5:   # apron
            ah = uniform(rng, 0.05, 0.12)
            parts.append(box((depth - 2 * inset - lt, ah, 0.02), (0, under - ah / 2, width / 2 - inset - lt / 2)))
            parts.append(box((depth - 2 * inset - lt, ah, 0.02), (0, under - ah / 2, -width / 2 + inset + lt / 2)))
            parts.append(box((0.02, ah, width - 2 * inset - lt), (depth / 2 - inset - lt / 2, under - ah / 2, 0)))
            parts.append(box((0.02, ah, width - 2 * inset - lt), (-depth / 2 + inset + lt / 2, under - ah / 2, 0)))
        if rng.random() < 0.25:   # lower shelf
            parts.append(box((depth - 2 * inset, 0.025, width - 2 * inset), (0, under * uniform(rng, 0.15, 0.3), 0)))
    else:   # round or oval top on a pedestal or three/four legs
        r = uniform(rng, 0.3, 0.6)
        rz = r * uniform(rng, 1.0, 1.6)
        parts.append(cylinder(r, top_t, (0, under, 0), radius_z=rz, segments=28))
        if rng.random() < 0.6:
            parts.append(cylinder(uniform(rng, 0.03, 0.07), under, (0, 0, 0)))
            if rng.random() < 0.5:
                parts.append(cylinder(r * uniform(rng, 0.4, 0.6), 0.04, (0, 0, 0), top_radius=r * 0.3, segments=24))
            else:
                for k in range(4):
                    a = np.pi / 4 + k * np.pi / 2
                    parts.append(square_leg([0, 0.12, 0], [r * 0.6 * np.cos(a), 0.0, r * 0.6 * np.sin(a)], 0.04))
        else:
            n = int(rng.choice([3, 4]))
            for k in range(n):
                a = 2 * np.pi * k / n
                x, z = 0.75 * r * np.cos(a), 0.75 * rz * np.sin(a)
                parts.append(tube([x * 0.8, under, z * 0.8], [x, 0, z], uniform(rng, 0.015, 0.03)))
    return parts


# ---------------------------------------------------------------------------------------- version 2
from datasets.embedded.shapes.common import tagged   # noqa: E402

MATERIALS = {
    'body': {'wood': 0.5, 'white': 0.15, 'grey': 0.12, 'black': 0.1, 'glass': 0.05, 'paint': 0.04,
             'plastic': 0.04},
    'top': {'wood': 0.5, 'white': 0.15, 'grey': 0.12, 'black': 0.1, 'glass': 0.05, 'paint': 0.04,
            'plastic': 0.04},
    'leg': {'=top': 0.55, 'metal': 0.2, 'black': 0.17, 'grey': 0.05, 'white': 0.03},
    'apron': {'=top': 0.8, 'black': 0.1, 'wood': 0.1},
    'drawer': {'=top': 0.6, 'white': 0.15, 'grey': 0.1, 'wood': 0.15},
    'handle': {'metal': 0.6, 'black': 0.3, 'grey': 0.1},
    'shelf': {'=top': 0.8, 'wood': 0.1, 'black': 0.1},
}

_TYPES = ('four_leg', 'desk', 'coffee', 'pedestal', 'round_legs', 'trestle', 'side', 'panel_ends', 'v1')
_TYPE_P = (0.3, 0.14, 0.12, 0.1, 0.06, 0.06, 0.08, 0.08, 0.06)


def _legs(rng, depth, width, under, lt, inset, style, splay=0.0):
    out = []
    for sx in (-1, 1):
        for sz in (-1, 1):
            x, z = sx * (depth / 2 - inset - lt / 2), sz * (width / 2 - inset - lt / 2)
            x0, z0 = x + sx * splay, z + sz * splay
            if style == 'square':
                out.append(square_leg([x, under, z], [x0, 0, z0], lt))
            elif style == 'taper':
                out.append(tube([x, under, z], [x0, 0, z0], lt / 2, top_radius=lt * 0.3))
            else:
                out.append(tube([x, under, z], [x0, 0, z0], lt / 2))
    return out


def _apron(depth, width, y_top, h, inset, t=0.02):
    return [box((depth - 2 * inset, h, t), (0, y_top - h / 2, sz * (width / 2 - inset - t / 2))) for sz in (-1, 1)] + \
           [box((t, h, width - 2 * inset), (sx * (depth / 2 - inset - t / 2), y_top - h / 2, 0)) for sx in (-1, 1)]


def _drawers(rng, x_front, y0, y1, z0, z1, n):
    """n drawer fronts stacked between y0 and y1 on the front face x_front, spanning z0..z1."""
    fronts, handles = [], []
    h = (y1 - y0) / n
    for k in range(n):
        yc = y0 + h * (k + 0.5)
        fronts.append(box((0.015, h - 0.01, (z1 - z0) - 0.01), (x_front + 0.007, yc, (z0 + z1) / 2)))
        handles.append(box((0.02, 0.015, min(0.12, (z1 - z0) * 0.4)), (x_front + 0.02, yc, (z0 + z1) / 2)))
    return fronts, handles


def build(rng):
    kind = _TYPES[int(rng.choice(len(_TYPES), p=_TYPE_P))]
    if kind == 'v1':
        parts = build_v1(rng)
        parts[0].role = 'top'
        return tagged('leg', *parts[1:]) + [parts[0]]
    parts, legs, apron, shelf, drawers, handles = [], [], [], [], [], []
    if kind == 'coffee':
        height = uniform(rng, 0.3, 0.48)
    elif kind == 'side':
        height = uniform(rng, 0.45, 0.7)
    else:
        height = uniform(rng, 0.68, 0.8)
    top_t = uniform(rng, 0.02, 0.07) if rng.random() < 0.8 else uniform(rng, 0.07, 0.12)
    under = height - top_t
    round_top = kind in ('pedestal', 'round_legs') or (kind in ('coffee', 'side') and rng.random() < 0.3)
    if kind == 'side':
        depth = uniform(rng, 0.35, 0.6)
        width = depth * uniform(rng, 1.0, 1.4)
    elif kind == 'coffee':
        depth = uniform(rng, 0.45, 0.8)
        width = depth * uniform(rng, 1.0, 2.3)
    elif kind == 'desk':
        depth, width = uniform(rng, 0.55, 0.85), uniform(rng, 1.1, 1.9)
    elif kind in ('pedestal', 'round_legs'):
        depth = uniform(rng, 0.6, 1.3)
        width = depth * (1.0 if rng.random() < 0.7 else uniform(rng, 1.2, 1.8))
    else:
        depth = uniform(rng, 0.7, 1.1)
        width = depth * uniform(rng, 1.1, 2.6)
        if kind == 'four_leg' and rng.random() < 0.15:
            width = depth * uniform(rng, 0.9, 1.1)   # square
    if round_top:
        parts += tagged('top', cylinder(depth / 2, top_t, (0, under, 0), radius_z=width / 2, segments=32))
    else:
        parts += tagged('top', box((depth, top_t, width), (0, under, 0), base_at_bottom=True))
    ft = 0.7 if round_top else 1.0   # legs under a round top sit further in
    if kind in ('four_leg', 'side', 'round_legs') or (kind == 'coffee' and rng.random() < 0.6):
        lt = uniform(rng, 0.03, 0.09) if kind != 'side' else uniform(rng, 0.025, 0.06)
        style = rng.choice(['square', 'round', 'taper'], p=[0.55, 0.25, 0.2])
        inset = uniform(rng, 0.0, 0.1)
        d, w = depth * ft, width * ft
        splay = uniform(rng, 0.0, 0.06) if rng.random() < 0.25 else 0.0
        legs += _legs(rng, d, w, under, lt, inset, style, splay)
        if rng.random() < (0.6 if not round_top else 0.3):
            apron += _apron(d, w, under, uniform(rng, 0.05, 0.14), inset + lt * 0.3)
        if rng.random() < (0.2 if kind == 'four_leg' else 0.4):
            shelf.append(box((d - 2 * inset, 0.025, w - 2 * inset), (0, under * uniform(rng, 0.1, 0.35), 0)))
        elif rng.random() < 0.2:
            for sz in (-1, 1):
                legs.append(box((d - 2 * inset - lt, 0.03, lt * 0.6), (0, under * 0.2, sz * (w / 2 - inset - lt / 2))))
            legs.append(box((lt * 0.6, 0.03, w - 2 * inset - lt), (0, under * 0.2, 0)))
        if kind == 'side' and rng.random() < 0.4:
            f, h = _drawers(rng, d / 2 - inset, under - 0.14, under - 0.01, -w / 2 + inset + lt, w / 2 - inset - lt, 1)
            drawers += [box((d - 2 * inset - lt, 0.13, w - 2 * inset - 2 * lt), (0, under - 0.075, 0))] + f
            handles += h
    elif kind == 'coffee':   # solid slab ends or a box base with a gap
        wt = uniform(rng, 0.03, 0.1)
        for sz in (-1, 1):
            legs.append(box((depth * uniform(rng, 0.8, 1.0), under, wt), (0, 0, sz * (width / 2 - wt / 2 - uniform(rng, 0, 0.08))),
                            base_at_bottom=True))
        if rng.random() < 0.5:
            shelf.append(box((depth * 0.8, 0.025, width - 0.1), (0, under * uniform(rng, 0.1, 0.3), 0)))
    elif kind == 'pedestal':
        r = uniform(rng, 0.04, 0.12) * (depth / 0.9)
        legs.append(cylinder(r, under, (0, 0, 0), top_radius=r * uniform(rng, 0.6, 1.2), segments=16))
        base = rng.choice(['disc', 'cross', 'star'], p=[0.45, 0.35, 0.2])
        br = depth * uniform(rng, 0.25, 0.4)
        if base == 'disc':
            legs.append(cylinder(br, uniform(rng, 0.02, 0.06), (0, 0, 0), top_radius=br * uniform(rng, 0.5, 1.0),
                                 radius_z=br * width / depth, segments=28))
        else:
            n = 4 if base == 'cross' else int(rng.choice([3, 5]))
            for k in range(n):
                a = np.pi / 4 + 2 * np.pi * k / n
                legs.append(square_leg([0, uniform(rng, 0.05, 0.15), 0], [br * np.cos(a), 0.0, br * np.sin(a) * width / depth], 0.045))
        if width > 1.3 * depth and rng.random() < 0.6:   # oval tables often stand on two pedestals
            legs[-1:] = []
            for sz in (-1, 1):
                legs.append(cylinder(r, under, (0, 0, sz * width * 0.25), segments=16))
                legs.append(box((br * 1.5, 0.04, 0.1), (0, 0, sz * width * 0.25), base_at_bottom=True))
    elif kind == 'trestle':
        for sz in (-1, 1):
            z = sz * (width / 2 - uniform(rng, 0.1, 0.25))
            tw = uniform(rng, 0.05, 0.12)
            legs.append(box((depth * uniform(rng, 0.1, 0.25), under, tw), (0, 0, z), base_at_bottom=True))
            legs.append(box((depth * uniform(rng, 0.7, 0.9), 0.06, tw * 1.2), (0, 0, z), base_at_bottom=True))
            legs.append(box((depth * 0.8, 0.05, tw), (0, under - 0.05, z), base_at_bottom=True))
        legs.append(box((0.06, 0.08, width * 0.75), (0, under * uniform(rng, 0.3, 0.6), 0)))
        if rng.random() < 0.4:   # X legs instead: two crossed boards per end (as extra parts)
            for sz in (-1, 1):
                z = sz * (width / 2 - 0.2)
                for sx in (-1, 1):
                    legs.append(tube([sx * depth * 0.4, 0, z], [-sx * depth * 0.4, under, z], 0.03, segments=4))
    elif kind == 'panel_ends':   # two slab legs (modern desks, conference tables, waterfall)
        wt = uniform(rng, 0.03, 0.08)
        d = depth * uniform(rng, 0.75, 1.0)
        for sz in (-1, 1):
            z = sz * (width / 2 - wt / 2 - (0.0 if rng.random() < 0.4 else uniform(rng, 0.05, 0.2)))
            if rng.random() < 0.6:
                legs.append(box((d, under, wt), (0, 0, z), base_at_bottom=True))
            else:   # open frame leg
                legs += [box((d, 0.04, wt), (0, 0, z), base_at_bottom=True),
                         box((d, 0.04, wt), (0, under - 0.04, z), base_at_bottom=True)]
                legs += [box((0.04, under, wt), (sx * (d / 2 - 0.02), 0, z), base_at_bottom=True) for sx in (-1, 1)]
        if rng.random() < 0.5:   # modesty panel at the back
            apron.append(box((0.02, under * uniform(rng, 0.3, 0.6), width - 0.3), (-depth / 2 + 0.1, under, 0), rotation('x', 180),
                             base_at_bottom=True))
        if width > 2.0 and rng.random() < 0.5:
            legs.append(box((d, under, wt), (0, 0, 0), base_at_bottom=True))
    else:   # desk: a drawer pedestal on one side, a panel or legs on the other, a drawer under the top
        pw = width * uniform(rng, 0.17, 0.22)
        pd = depth * uniform(rng, 0.8, 0.92)
        side = 1 if rng.random() < 0.5 else -1
        zc = side * (width / 2 - pw / 2 - 0.01)
        legs.append(box((pd, under, pw), (depth / 2 - pd / 2 - 0.01, 0, zc), base_at_bottom=True))
        n = int(rng.choice([1, 2, 3, 4], p=[0.15, 0.25, 0.4, 0.2]))
        f, h = _drawers(rng, depth / 2 - 0.01, 0.03, under - 0.01, zc - pw / 2, zc + pw / 2, n)
        drawers += f
        handles += h
        zo = -side * (width / 2 - 0.03)
        if rng.random() < 0.6:
            legs.append(box((depth * uniform(rng, 0.85, 1.0), under, 0.035), (0, 0, zo), base_at_bottom=True))
        else:
            lt = uniform(rng, 0.03, 0.06)
            legs += [square_leg([sx * (depth / 2 - 0.04), under, zo], [sx * (depth / 2 - 0.04), 0, zo], lt) for sx in (-1, 1)]
        if rng.random() < 0.5:
            f, h = _drawers(rng, depth / 2 - 0.02, under - 0.12, under - 0.01, -width * 0.2, width * 0.15, 1)
            drawers += f
            handles += h
        if rng.random() < 0.5:
            apron.append(box((0.02, under * 0.5, width - pw - 0.1), (-depth / 2 + 0.05, under * 0.5, -side * pw / 2), ))
        if False:   # hutch / raised shelf at the back: off, it fails the table check 'no back'
            hh = uniform(rng, 0.2, 0.45)
            shelf.append(box((0.2, 0.02, width), (-depth / 2 + 0.1, height + hh, 0), base_at_bottom=True))
            shelf += [box((0.2, hh, 0.02), (-depth / 2 + 0.1, height, sz * (width / 2 - 0.01)), base_at_bottom=True)
                      for sz in (-1, 1)]
    parts += tagged('leg', *legs) + tagged('apron', *apron) + tagged('shelf', *shelf)
    parts += tagged('drawer', *drawers) + tagged('handle', *handles)
    return parts
