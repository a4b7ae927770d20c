"""Cabinets (ShapeNet synset 02933112).

build_v1: the grammar of dataset format version 1, kept as it was so version 1 stays byte-identical.
"""

from datasets.embedded.primitives import box, cylinder, tube
from datasets.embedded.shapes.common import uniform, square_leg, ROT_Z90, DARK, MID, LIGHT

SYNSET = '02933112'


def build_v1(rng):
    parts = []
    width, height, depth = uniform(rng, 0.4, 1.4), uniform(rng, 0.5, 1.9), uniform(rng, 0.3, 0.6)
    foot = rng.choice(['none', 'plinth', 'legs'], p=[0.35, 0.4, 0.25])
    foot_h = 0.0 if foot == 'none' else uniform(rng, 0.04, 0.14)
    body_h = height - foot_h
    parts.append(box((depth, body_h, width), (0, foot_h, 0), base_at_bottom=True))
    if foot == 'plinth':
        parts.append(box((depth - 0.04, foot_h, width - 0.04), (-0.01, 0, 0), base_at_bottom=True, albedo=MID))
    elif foot == 'legs':
        for sx in (-1, 1):
            for sz in (-1, 1):
                parts.append(cylinder(0.02, foot_h, (sx * (depth / 2 - 0.04), 0, sz * (width / 2 - 0.04)),
                                      top_radius=0.025))
    if rng.random() < 0.4:   # top overhang
        parts.append(box((depth + 0.03, 0.03, width + 0.04), (0.015, height, 0), base_at_bottom=True))
    # front: rows of drawers and/or doors, each a thin panel with a handle
    front_x = depth / 2
    margin = 0.02
    rows = []
    n_drawers = int(rng.choice([0, 1, 2, 3, 4, 5], p=[0.3, 0.2, 0.15, 0.15, 0.1, 0.1]))
    drawer_h = min(0.25, (body_h - 2 * margin) / max(n_drawers, 1))
    y = foot_h + body_h - margin
    for _ in range(n_drawers):
        rows.append((y - drawer_h, y, 1 if width < 0.8 else int(rng.choice([1, 2])), 'drawer'))
        y -= drawer_h
    if y - (foot_h + margin) > 0.15:
        rows.append((foot_h + margin, y, 1 if width < 0.5 else 2, 'door'))
    handle_round = rng.random() < 0.4
    for y0, y1, cols, kind in rows:
        cw = (width - 2 * margin) / cols
        for c in range(cols):
            z0 = -width / 2 + margin + c * cw
            zc = z0 + cw / 2
            parts.append(box((0.015, (y1 - y0) - 0.012, cw - 0.012), (front_x + 0.0075, (y0 + y1) / 2, zc),
                             albedo=LIGHT))
            hy = (y0 + y1) / 2 if kind == 'drawer' else y1 - min(0.15, (y1 - y0) * 0.3)
            hz = zc if kind == 'drawer' else (z0 + cw - 0.06 if c % 2 == 0 else z0 + 0.06)
            if handle_round:
                parts.append(cylinder(0.012, 0.03, (front_x + 0.015, hy, hz), ROT_Z90, albedo=DARK))
            else:
                long = (0.02, 0.02, min(0.12, cw * 0.4)) if kind == 'drawer' else (0.02, 0.12, 0.02)
                parts.append(box(long, (front_x + 0.025, hy, hz), albedo=DARK))
    return parts


# ---------------------------------------------------------------------------------------- version 2
from datasets.embedded.shapes.common import tagged   # noqa: E402

MATERIALS = {
    'body': {'wood': 0.45, 'white': 0.2, 'grey': 0.1, 'black': 0.1, 'paint': 0.08, 'metal': 0.07},
    'door': {'=body': 0.75, 'wood': 0.08, 'white': 0.08, 'glass': 0.04, 'black': 0.05},
    'drawer': {'=body': 0.85, 'white': 0.05, 'wood': 0.05, 'black': 0.05},
    'handle': {'metal': 0.55, 'black': 0.25, 'grey': 0.1, 'wood': 0.1},
    'leg': {'=body': 0.5, 'black': 0.25, 'metal': 0.2, 'wood': 0.05},
    'top': {'=body': 0.8, 'wood': 0.1, 'black': 0.05, 'white': 0.05},
}

_TYPES = ('dresser', 'wardrobe', 'sideboard', 'bookcase', 'nightstand', 'filing', 'media', 'v1')
_TYPE_P = (0.22, 0.14, 0.17, 0.1, 0.12, 0.08, 0.09, 0.08)


def _front(rng, depth, y0, height, width, columns, recess, t):
    """A cabinet body from y0 up: a core behind a front layer of depth recess split into cells.

    columns: [(relative width, [(kind, relative height), ...] from the bottom)], kind 'drawer', 'door' or
    'open' (left empty, with a shelf board). Returns {role: parts}.
    """
    out = {'body': [], 'door': [], 'drawer': [], 'handle': []}
    out['body'].append(box((depth - recess, height, width), (-recess / 2, y0, 0), base_at_bottom=True))
    xf = depth / 2 - recess / 2
    for sz in (-1, 1):
        out['body'].append(box((recess, height, t), (xf, y0, sz * (width / 2 - t / 2)), base_at_bottom=True))
    out['body'].append(box((recess, t, width), (xf, y0, 0), base_at_bottom=True))
    out['body'].append(box((recess, t, width), (xf, y0 + height - t, 0), base_at_bottom=True))
    iw, ih = width - 2 * t, height - 2 * t
    total_w = sum(c[0] for c in columns)
    z = -iw / 2
    round_knob = rng.random() < 0.4
    gap = 0.006
    for cw, cells in columns:
        w = iw * cw / total_w
        if z > -iw / 2 + 1e-6:   # divider
            out['body'].append(box((recess, ih, t * 0.6), (xf, y0 + t, z), base_at_bottom=True))
        total_h = sum(c[1] for c in cells)
        y = y0 + t
        n_doors = sum(1 for c in cells if c[0] == 'door')
        for kind, ch in cells:
            h = ih * ch / total_h
            yc, zc = y + h / 2, z + w / 2
            if kind == 'open':
                for k in range(int(h > 0.45) + 1):
                    out['body'].append(box((recess, t * 0.6, w), (xf, y + k * h / 2, zc), base_at_bottom=True))
            else:
                out[kind].append(box((recess - 0.002, h - gap, w - gap), (xf + 0.001, yc, zc)))
                if kind == 'drawer':
                    hz, hy = zc, yc
                    long = (0.02, 0.02, min(0.15, w * 0.35))
                else:
                    hz = zc + (w / 2 - 0.05) * (1 if (z + w / 2) < 0 or w > 0.7 * iw else -1)
                    hy = yc + (h / 2 - 0.12 if h > 0.6 else 0.0)
                    long = (0.02, min(0.15, h * 0.3), 0.02)
                if round_knob:
                    out['handle'].append(cylinder(0.012, 0.025, (depth / 2, hy, hz), ROT_Z90, segments=8))
                else:
                    out['handle'].append(box(long, (depth / 2 + 0.012, hy, hz)))
            y += h
        z += w
    del n_doors
    return out


def _drawer_col(rng, n, w=1.0, graded=False):
    hs = [1.0 + (0.25 * (n - 1 - k) if graded else 0.0) for k in range(n)]
    return (w, [('drawer', h) for h in hs])


def build(rng):
    kind = _TYPES[int(rng.choice(len(_TYPES), p=_TYPE_P))]
    if kind == 'v1':
        return tagged('body', *build_v1(rng))
    recess = None
    if kind == 'dresser':
        width, height, depth = uniform(rng, 0.7, 1.7), uniform(rng, 0.7, 1.4), uniform(rng, 0.4, 0.6)
        n = int(rng.integers(3, 7))
        cols = [_drawer_col(rng, n, graded=rng.random() < 0.4)]
        if width > 1.0 and rng.random() < 0.6:
            cols = [_drawer_col(rng, n), _drawer_col(rng, n)] if rng.random() < 0.6 else \
                   [_drawer_col(rng, n), (1.2, [('door', 1.0)]), _drawer_col(rng, n)]
    elif kind == 'wardrobe':
        width, height, depth = uniform(rng, 0.8, 2.0), uniform(rng, 1.6, 2.3), uniform(rng, 0.45, 0.7)
        nd = int(rng.choice([2, 3, 4], p=[0.6, 0.25, 0.15])) if width > 1.0 else int(rng.choice([1, 2]))
        base = [('drawer', 0.12), ('drawer', 0.12)] if rng.random() < 0.35 else []
        cols = [(1.0, base + [('door', 1.0)]) for _ in range(nd)]
    elif kind == 'sideboard':
        width, height, depth = uniform(rng, 1.1, 2.3), uniform(rng, 0.6, 1.0), uniform(rng, 0.38, 0.55)
        nc = int(rng.integers(2, 5))
        cols = []
        for _ in range(nc):
            r = rng.random()
            if r < 0.45:
                cols.append((1.0, [('door', 1.0)] + ([('drawer', 0.3)] if rng.random() < 0.5 else [])))
            elif r < 0.75:
                cols.append(_drawer_col(rng, int(rng.integers(2, 5))))
            else:
                cols.append((1.0, [('door', 1.0)]))
        if rng.random() < 0.2:
            cols[len(cols) // 2] = (1.0, [('open', 1.0)])
    elif kind == 'bookcase':
        width, height, depth = uniform(rng, 0.6, 1.3), uniform(rng, 1.2, 2.1), uniform(rng, 0.3, 0.5)
        lower = [('door', 1.0)] if rng.random() < 0.7 else [('drawer', 0.5), ('drawer', 0.5)]
        nc = 1 if width < 0.9 else 2
        cols = [(1.0, lower + [('open', uniform(rng, 0.7, 1.1))]) for _ in range(nc)]
        recess = depth * uniform(rng, 0.45, 0.65)
    elif kind == 'nightstand':
        width, height, depth = uniform(rng, 0.38, 0.65), uniform(rng, 0.45, 0.75), uniform(rng, 0.32, 0.5)
        r = rng.random()
        if r < 0.5:
            cols = [_drawer_col(rng, int(rng.integers(1, 4)))]
        elif r < 0.8:
            cols = [(1.0, [('door', 1.0), ('drawer', 0.4)])]
        else:
            cols = [(1.0, [('drawer', 0.5), ('open', 0.5), ('drawer', 0.5)])]
            recess = depth * 0.4
    elif kind == 'filing':
        width, height, depth = uniform(rng, 0.38, 0.5), uniform(rng, 0.6, 1.4), uniform(rng, 0.5, 0.75)
        cols = [_drawer_col(rng, int(rng.integers(2, 5)))]
        if rng.random() < 0.3:
            width *= 2
            cols = cols * 2
    else:   # media console / TV stand
        width, height, depth = uniform(rng, 1.0, 2.2), uniform(rng, 0.35, 0.6), uniform(rng, 0.35, 0.55)
        cols = [(1.0, [('door', 1.0)]), (1.2, [('open', 1.0)]), (1.0, [('door', 1.0)])]
        if rng.random() < 0.4:
            cols = [(1.0, [('drawer', 1.0)]), (1.0, [('drawer', 1.0)]), (1.0, [('drawer', 1.0)])]
        recess = depth * uniform(rng, 0.3, 0.5)
    foot = rng.choice(['none', 'plinth', 'legs', 'tall_legs'],
                      p={'dresser': [0.3, 0.35, 0.3, 0.05], 'wardrobe': [0.4, 0.45, 0.15, 0.0],
                         'sideboard': [0.2, 0.25, 0.25, 0.3], 'bookcase': [0.5, 0.4, 0.1, 0.0],
                         'nightstand': [0.3, 0.2, 0.3, 0.2], 'filing': [0.85, 0.15, 0.0, 0.0],
                         'media': [0.3, 0.2, 0.3, 0.2]}[kind])
    foot_h = {'none': 0.0, 'plinth': uniform(rng, 0.04, 0.1), 'legs': uniform(rng, 0.04, 0.12),
              'tall_legs': height * uniform(rng, 0.1, 0.2)}[foot]
    body_h = height - foot_h
    t = uniform(rng, 0.015, 0.035)
    recess = depth * uniform(rng, 0.04, 0.1) if recess is None else recess
    roles = _front(rng, depth, foot_h, body_h, width, cols, recess, t)
    parts = []
    for role, ps in roles.items():
        parts += tagged(role, *ps)
    legs = []
    if foot == 'plinth':
        legs.append(box((depth - 0.04, foot_h, width - 0.04), (-0.01, 0, 0), base_at_bottom=True))
    elif foot != 'none':
        lt = uniform(rng, 0.03, 0.06)
        splay = uniform(rng, 0.0, 0.04) if foot == 'tall_legs' else 0.0
        for sx in (-1, 1):
            for sz in (-1, 1):
                x, z = sx * (depth / 2 - lt), sz * (width / 2 - lt)
                legs.append(tube([x, foot_h, z], [x + sx * splay, 0, z + sz * splay], lt / 2,
                                 top_radius=lt * (0.35 if foot == 'tall_legs' else 0.5), segments=8)
                            if rng.random() < 0.5 else square_leg([x, foot_h, z], [x, 0, z], lt))
    parts += tagged('leg', *legs)
    if rng.random() < 0.35:   # top board with an overhang
        oh = uniform(rng, 0.01, 0.04)
        parts += tagged('top', box((depth + oh, uniform(rng, 0.02, 0.045), width + 2 * oh), (oh / 2, height, 0),
                                   base_at_bottom=True))
    return parts
