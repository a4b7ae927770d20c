"""Watercrafts (ShapeNet synset 04530566).

build_v1: the grammar of dataset format version 1, kept as it was so version 1 stays byte-identical.
"""

from datasets.embedded.primitives import box, cylinder, ellipsoid, plate, prism, tube
from datasets.embedded.shapes.common import uniform, DARK, MID, LIGHT

SYNSET = '04530566'


def build_v1(rng):
    parts = []
    kind = rng.choice(['motorboat', 'sailboat', 'ship', 'canoe'], p=[0.35, 0.25, 0.3, 0.1])
    L = 1.0
    beam = L * {'canoe': uniform(rng, 0.12, 0.18), 'ship': uniform(rng, 0.12, 0.18)}.get(kind, uniform(rng, 0.25, 0.35))
    depth = L * {'canoe': uniform(rng, 0.05, 0.08), 'ship': uniform(rng, 0.08, 0.12)}.get(kind, uniform(rng, 0.08, 0.14))
    keel_scale = uniform(rng, 0.3, 0.6)
    if kind == 'canoe':
        outline = [(-L / 2, 0.0), (-L * 0.3, -beam / 2), (L * 0.3, -beam / 2), (L / 2, 0.0),
                   (L * 0.3, beam / 2), (-L * 0.3, beam / 2)]
    else:
        stern = beam / 2 * uniform(rng, 0.7, 0.95)
        shoulder = L * uniform(rng, 0.05, 0.2)
        outline = [(-L / 2, -stern), (shoulder, -beam / 2), (L / 2, 0.0), (shoulder, beam / 2), (-L / 2, stern)]
    # the hull narrows towards the keel: the deck outline scaled down at the bottom
    bottom = [(x * (0.85 + 0.15 * keel_scale), z * keel_scale) for x, z in outline]
    parts.append(prism(bottom, depth, (0, 0, 0), top_scale=(1 / (0.85 + 0.15 * keel_scale), 1 / keel_scale)))
    deck = depth
    if kind == 'canoe':   # a kayak: one or two cockpit coamings on the deck
        for k in range(int(rng.integers(1, 3))):
            parts.append(ellipsoid((L * 0.07, depth * 0.5, beam * 0.3), (-0.12 + 0.25 * k, deck - 0.005, 0),
                                   y_range=(0.0, 1.0), albedo=MID))
        return parts
    if kind == 'motorboat':
        cab_len = L * uniform(rng, 0.25, 0.4)
        cab_x = L * uniform(rng, -0.15, 0.05)
        cab_h = depth * uniform(rng, 0.5, 1.0)
        parts.append(box((cab_len, cab_h, beam * 0.7), (cab_x, deck, 0), base_at_bottom=True, top_scale=(0.75, 0.9),
                         top_offset=(-cab_len * 0.1, 0)))
        if rng.random() < 0.5:   # flybridge
            parts.append(box((cab_len * 0.5, cab_h * 0.6, beam * 0.55), (cab_x - cab_len * 0.1, deck + cab_h, 0),
                             base_at_bottom=True, albedo=MID))
    elif kind == 'sailboat':
        mast_x = L * uniform(rng, 0.0, 0.15)
        mast_h = L * uniform(rng, 0.9, 1.3)
        parts.append(tube([mast_x, deck, 0], [mast_x, deck + mast_h, 0], 0.008, segments=8))
        boom = L * uniform(rng, 0.3, 0.45)
        main = [(mast_x - 0.01, deck + 0.06), (mast_x - boom, deck + 0.06), (mast_x - 0.01, deck + mast_h * 0.95)]
        parts.append(plate(main, 0.006, albedo=LIGHT))
        if rng.random() < 0.7:   # jib
            jib = [(mast_x + 0.01, deck + 0.05), (L * 0.45, deck + 0.03), (mast_x + 0.01, deck + mast_h * 0.8)]
            parts.append(plate(jib, 0.006, albedo=LIGHT))
        parts.append(box((L * 0.18, depth * 0.4, beam * 0.5), (mast_x - L * 0.2, deck, 0), base_at_bottom=True))
        parts.append(plate([(-0.05, 0.0), (0.1, 0.0), (0.06, -depth * 1.3), (-0.02, -depth * 1.3)], 0.015))
    else:   # ship: stacked superstructure, a funnel, maybe masts
        levels = int(rng.integers(2, 5))
        sx = L * uniform(rng, -0.25, 0.0)
        sl = L * uniform(rng, 0.2, 0.35)
        y = deck
        for k in range(levels):
            h = depth * uniform(rng, 0.5, 0.9)
            parts.append(box((sl * (1 - 0.25 * k), h, beam * (0.75 - 0.1 * k)), (sx, y, 0), base_at_bottom=True))
            y += h
        parts.append(cylinder(beam * 0.12, depth * uniform(rng, 0.5, 1.0), (sx - sl * 0.35, y - 0.01, 0),
                              radius_z=beam * 0.09, albedo=DARK))
        if rng.random() < 0.6:
            parts.append(tube([sx + sl * 0.2, y, 0], [sx + sl * 0.2, y + depth * 1.5, 0], 0.006, segments=6))
        if rng.random() < 0.5:   # deck cargo / turrets forward
            for k in range(int(rng.integers(1, 4))):
                parts.append(box((L * 0.07, depth * 0.3, beam * 0.5), (L * (0.1 + 0.09 * k), deck, 0), base_at_bottom=True,
                                 albedo=MID))
    return parts


# ----------------------------------------------------------------------------------------------------
# version 2: sailboats (sloop, ketch, catamaran), motorboats and speedboats, yachts with stacked cabins,
# ships (cargo, cruise, warship), rowing boats and canoes, submarines; each part tagged with its role.

import numpy as np  # noqa: E402

from datasets.embedded.primitives import box as _box, regular_polygon, rotation  # noqa: E402
from datasets.embedded.shapes.common import tagged, ROT_Z90  # noqa: E402

KINDS = ('sailboat', 'catamaran', 'motorboat', 'speedboat', 'yacht', 'cargo', 'cruise', 'warship', 'rowboat',
         'canoe', 'submarine', 'tallship')
KIND_P = (0.16, 0.03, 0.14, 0.08, 0.12, 0.08, 0.05, 0.1, 0.07, 0.04, 0.07, 0.06)

MATERIALS = {
    'body': {'white': 0.35, 'paint': 0.2, 'grey': 0.2, 'black': 0.12, 'wood': 0.13},
    'deck': {'wood': 0.35, '=body': 0.3, 'white': 0.15, 'grey': 0.2},
    'cabin': {'white': 0.55, '=body': 0.2, 'grey': 0.2, 'wood': 0.05},
    'window': {'glass': 0.7, 'black': 0.3},
    'sail': {'white': 0.75, 'fabric': 0.2, 'paint': 0.05},
    'mast': {'metal': 0.4, 'wood': 0.3, 'grey': 0.2, 'black': 0.1},
    'funnel': {'paint': 0.4, 'black': 0.3, 'white': 0.15, 'grey': 0.15},
    'gear': {'grey': 0.5, 'black': 0.3, 'metal': 0.2},
}


def _outline(L, beam, bow, stern_w):
    shoulder = L * bow
    return [(-L / 2, -stern_w), (shoulder, -beam / 2), (L * 0.38, -beam * 0.3), (L / 2, 0.0),
            (L * 0.38, beam * 0.3), (shoulder, beam / 2), (-L / 2, stern_w)]


TUMBLE = (0.985, 0.9)


def _hull(rng, L, beam, depth, bow, stern_w, keel, x0=0.0, z0=0.0, y0=0.0, waist=0.6):
    """A hull from keel to deck: the outline (pointed bow, transom stern) widest at the waist, scaled down
    to the keel below it and drawn in a little (tumblehome) above it."""
    outline = _outline(L, beam, bow, stern_w)
    kx = 0.85 + 0.15 * keel
    bottom = [(x * kx - L * 0.04, z * keel) for x, z in outline]
    return [prism(bottom, depth * waist, (x0, y0, z0), top_scale=(1 / kx, 1 / keel), top_offset=(L * 0.04, 0.0)),
            prism(outline, depth * (1 - waist), (x0, y0 + depth * waist, z0), top_scale=TUMBLE)]


def _deck(L, beam, depth, bow, stern_w, thick):
    outline = [(x * TUMBLE[0] * 0.99, z * TUMBLE[1] * 0.99) for x, z in _outline(L, beam, bow, stern_w)]
    return prism(outline, thick, (0.0, depth - thick * 0.7, 0.0))


def _windows_band(length, height, width, center_x, y, grow=0.01):
    return _box((length + grow, height, width + grow), (center_x, y, 0), base_at_bottom=True)


def build(rng):
    kind = str(rng.choice(KINDS, p=KIND_P))
    L = 1.0
    hull, deck, cabin, window, sail, mast, funnel, gear = [], [], [], [], [], [], [], []
    beam = L * {'canoe': uniform(rng, 0.1, 0.15), 'rowboat': uniform(rng, 0.34, 0.45), 'cargo': uniform(rng, 0.12, 0.17),
                'cruise': uniform(rng, 0.12, 0.16), 'warship': uniform(rng, 0.1, 0.14), 'speedboat': uniform(rng, 0.25, 0.33),
                'submarine': uniform(rng, 0.08, 0.12), 'tallship': uniform(rng, 0.2, 0.28), 'catamaran': uniform(rng, 0.45, 0.6)
                }.get(kind, uniform(rng, 0.3, 0.4))
    depth = L * {'canoe': uniform(rng, 0.05, 0.08), 'rowboat': uniform(rng, 0.1, 0.15), 'cargo': uniform(rng, 0.08, 0.12),
                 'cruise': uniform(rng, 0.08, 0.11), 'warship': uniform(rng, 0.07, 0.1), 'speedboat': uniform(rng, 0.09, 0.13),
                 'tallship': uniform(rng, 0.12, 0.18)}.get(kind, uniform(rng, 0.12, 0.17))
    if kind == 'submarine':
        R = beam / 2
        hull.append(cylinder(R, L * 0.6, (-L * 0.32, R, 0), ROT_Z90, segments=16))
        hull.append(ellipsoid((L * 0.22, R, R), (L * 0.28, R, 0)))
        hull.append(prism(regular_polygon(R, None, 16), L * 0.18, (-L * 0.32, R, 0), rotation('z', 90),
                          top_scale=(0.2, 0.2)))
        tx = L * uniform(rng, 0.0, 0.2)
        th, tl = R * uniform(rng, 0.9, 1.6), L * uniform(rng, 0.1, 0.16)
        cabin.append(_box((tl, th, R * 0.45), (tx, R * 1.8, 0), base_at_bottom=True, top_scale=(0.8, 0.9)))
        for s in (-1, 1):
            gear.append(_box((tl * 0.4, 0.006, R * 1.2), (tx, R * 1.8 + th * 0.6, s * R * 0.8)))
        fx = -L * 0.46
        gear.append(plate([(fx, R * 0.9), (fx + L * 0.08, R * 0.9), (fx + L * 0.02, R * 2.1), (fx - L * 0.01, R * 2.1)], 0.01))
        gear.append(plate([(fx, R * 1.1), (fx + L * 0.08, R * 1.1), (fx + L * 0.02, -R * 0.1), (fx - L * 0.01, -R * 0.1)], 0.01))
        gear.append(_box((L * 0.06, 0.01, R * 2.6), (fx + L * 0.02, R, 0)))
        if rng.random() < 0.5:
            gear.append(_box((L * 0.3, R * 0.15, R * 0.3), (L * 0.0, R * 1.95, 0)))   # deck casing
        return tagged('body', *hull) + tagged('cabin', *cabin) + tagged('gear', *gear)
    keel = {'canoe': uniform(rng, 0.35, 0.55), 'rowboat': uniform(rng, 0.45, 0.65), 'cargo': uniform(rng, 0.75, 0.9),
            'cruise': uniform(rng, 0.75, 0.9), 'speedboat': uniform(rng, 0.3, 0.5)}.get(kind, uniform(rng, 0.4, 0.7))
    if kind == 'canoe':
        bow, stern = 0.0, 0.002
    elif kind == 'rowboat':
        bow, stern = uniform(rng, -0.1, 0.05), beam / 2 * uniform(rng, 0.5, 0.7)
    else:
        bow, stern = uniform(rng, 0.0, 0.2), beam / 2 * uniform(rng, 0.7, 0.95)
    if kind == 'catamaran':
        for s in (-1, 1):
            hull += _hull(rng, L, beam * 0.22, depth, 0.1, beam * 0.03, 0.5, z0=s * beam * 0.39)
        deck.append(_box((L * 0.55, depth * 0.3, beam), (-L * 0.1, depth * 0.9, 0), base_at_bottom=True))
        cabin.append(_box((L * 0.3, depth * 0.7, beam * 0.6), (-L * 0.1, depth * 1.2, 0), base_at_bottom=True,
                          top_scale=(0.7, 0.9)))
        top = depth * 1.2
    else:
        hull += _hull(rng, L, beam, depth, bow, stern, keel)
        top = depth
    # a deck or open interior
    if kind in ('canoe', 'rowboat'):
        # open boat: thwarts (benches) across the inside, a gunwale rim
        n = 1 if kind == 'canoe' else int(rng.integers(2, 4))
        for k in range(n):
            xk = -L * 0.25 + k * L * 0.5 / max(1, n - 1) if n > 1 else 0.0
            deck.append(_box((L * 0.05, depth * 0.08, beam * 0.85 * (0.7 if kind == 'canoe' else 1.0)),
                             (xk, depth * 0.7, 0)))
        # raised stems at the bow (and the stern of a canoe)
        rise = depth * uniform(rng, 0.3, 0.6)
        hull.append(_box((L * 0.06, rise + depth * 0.3, beam * 0.08), (L / 2 - L * 0.04, depth * 0.7, 0), base_at_bottom=True,
                         top_offset=(L * 0.02, 0.0)))
        if kind == 'canoe':
            hull.append(_box((L * 0.06, rise + depth * 0.3, beam * 0.08), (-L / 2 + L * 0.04, depth * 0.7, 0),
                             base_at_bottom=True, top_offset=(-L * 0.02, 0.0)))
        else:   # transom board
            hull.append(_box((0.02, rise * 0.5 + depth * 0.3, stern * 1.6), (-L / 2 + 0.01, depth * 0.7, 0), base_at_bottom=True))
        if kind == 'rowboat' and rng.random() < 0.6:   # oars stowed along the thwarts
            for s in (-1, 1):
                gear.append(tube([L * 0.3, depth * 0.8, s * beam * 0.25], [-L * 0.35, depth * 0.8, s * beam * 0.3], 0.006,
                                 segments=6))
        return tagged('body', *hull) + tagged('deck', *deck) + tagged('gear', *gear)
    if kind != 'catamaran':
        deck.append(_deck(L, beam, depth, bow, stern, depth * 0.03))
    if kind in ('sailboat', 'catamaran', 'tallship'):
        masts = [L * uniform(rng, 0.0, 0.15)] if kind != 'tallship' else [L * 0.25, L * 0.0, -L * 0.22][:int(rng.integers(2, 4))]
        if kind == 'sailboat' and rng.random() < 0.2:
            masts.append(-L * 0.3)   # ketch: mizzen mast
        for k, mx in enumerate(masts):
            mh = L * (uniform(rng, 0.9, 1.4) if kind != 'tallship' else uniform(rng, 0.6, 0.9)) * (0.65 if k and kind == 'sailboat' else 1.0)
            mast.append(tube([mx, top, 0], [mx, top + mh, 0], 0.008, segments=8))
            if kind == 'tallship':   # square sails on yards
                for j in range(3):
                    yy = top + mh * (0.3 + 0.23 * j)
                    w = beam * (1.3 - 0.25 * j)
                    mast.append(tube([mx, yy + mh * 0.2, -w / 2], [mx, yy + mh * 0.2, w / 2], 0.005, segments=6))
                    sail.append(_box((0.01, mh * 0.19, w * 0.95), (mx + 0.01, yy, 0), base_at_bottom=True,
                                     top_scale=(1.0, 0.95)))
            else:
                boom = L * uniform(rng, 0.3, 0.45) * (0.6 if k else 1.0)
                main = [(mx - 0.01, top + 0.05), (mx - boom, top + 0.05), (mx - 0.01, top + mh * 0.95)]
                sail.append(plate(main, 0.006))
                mast.append(tube([mx, top + 0.05, 0], [mx - boom, top + 0.05, 0], 0.006, segments=6))
                if k == 0 and rng.random() < 0.8:   # jib / genoa
                    jib = [(mx + 0.01, top + 0.04), (L * 0.46, top + 0.02), (mx + 0.01, top + mh * uniform(rng, 0.7, 0.9))]
                    sail.append(plate(jib, 0.006))
        if kind == 'tallship':   # bowsprit and raised stern castle
            mast.append(tube([L * 0.45, depth, 0], [L * 0.68, depth * 1.6, 0], 0.008, segments=6))
            cabin.append(_box((L * 0.2, depth * 0.5, beam * 0.7), (-L * 0.38, depth, 0), base_at_bottom=True))
        elif kind == 'sailboat':
            cl = L * uniform(rng, 0.18, 0.3)
            cabin.append(_box((cl, depth * uniform(rng, 0.3, 0.5), beam * 0.5), (masts[0] - cl * 0.45, depth, 0),
                              base_at_bottom=True, top_scale=(0.85, 0.85)))
            hull.append(plate([(-0.05, 0.0), (0.1, 0.0), (0.06, -depth * 1.4), (-0.02, -depth * 1.4)], 0.015))
            hull.append(plate([(-0.45, depth * 0.2), (-0.4, depth * 0.2), (-0.41, -depth * 0.8), (-0.45, -depth * 0.8)], 0.012))
    elif kind in ('motorboat', 'speedboat', 'yacht'):
        levels = {'speedboat': 1, 'motorboat': int(rng.integers(1, 3)), 'yacht': int(rng.integers(2, 4))}[kind]
        cl = L * ({'speedboat': uniform(rng, 0.15, 0.25)}.get(kind, uniform(rng, 0.35, 0.55)))
        cx = L * uniform(rng, -0.12, 0.05)
        y = depth
        for k in range(levels):
            h = depth * (uniform(rng, 0.5, 0.75) if kind == 'speedboat' else uniform(rng, 0.5, 0.8))
            lk = cl * (1 - 0.22 * k)
            bk = beam * (0.8 - 0.1 * k)
            xk = cx - cl * 0.08 * k
            cabin.append(_box((lk, h, bk), (xk, y, 0), base_at_bottom=True, top_scale=(0.72 if k == 0 else 0.85, 0.92),
                              top_offset=(-lk * 0.12, 0)))
            window.append(_box((lk * 0.88, h * 0.4, bk * 0.97), (xk - lk * 0.05, y + h * 0.35, 0), base_at_bottom=True,
                               top_scale=(0.9, 0.97), top_offset=(-lk * 0.04, 0)))
            y += h
        if kind != 'speedboat' and rng.random() < 0.75:   # radar arch / mast
            mh = depth * uniform(rng, 0.8, 1.6)
            mast.append(tube([cx - cl * 0.2, y, 0], [cx - cl * 0.25, y + mh, 0], 0.006, segments=6))
            mast.append(tube([cx - cl * 0.25, y + mh * 0.8, -beam * 0.2], [cx - cl * 0.25, y + mh * 0.8, beam * 0.2], 0.005,
                             segments=6))
        elif kind == 'speedboat':   # windscreen and seats' backs
            window.append(_box((0.01, depth * 0.5, beam * 0.6), (cx + cl * 0.55, y - 0.01, 0), base_at_bottom=True,
                               rot=rotation('z', 30)))
        if kind == 'speedboat' and rng.random() < 0.6:   # outboard motor
            gear.append(_box((L * 0.05, depth * 1.2, beam * 0.15), (-L / 2 - 0.02, -depth * 0.2, 0), base_at_bottom=True))
    else:   # ships
        if kind == 'cargo':
            bx = -L * uniform(rng, 0.32, 0.4)
            y = depth
            for k in range(int(rng.integers(3, 6))):
                h = depth * uniform(rng, 0.45, 0.7)
                cabin.append(_box((L * 0.12 * (1 - 0.1 * k), h, beam * (0.9 - 0.05 * k)), (bx, y, 0), base_at_bottom=True))
                window.append(_box((L * 0.12 * (1 - 0.1 * k) + 0.01, h * 0.3, beam * (0.9 - 0.05 * k) + 0.01),
                                   (bx, y + h * 0.5, 0), base_at_bottom=True))
                y += h
            funnel.append(cylinder(beam * 0.12, depth * uniform(rng, 0.5, 1.0), (bx - L * 0.07, depth, 0), radius_z=beam * 0.1))
            # container stacks or hatch covers along the deck
            n = int(rng.integers(3, 7))
            x_lo, x_hi = bx + L * 0.08, L * 0.35
            step = (x_hi - x_lo) / n
            stack_h = depth * uniform(rng, 0.2, 1.0)
            mast.append(tube([bx, y, 0], [bx, y + depth * uniform(rng, 0.6, 1.5), 0], 0.006, segments=6))
            for k in range(int(rng.integers(1, 4))):   # derrick posts / cranes between the holds
                px = x_lo + (x_hi - x_lo) * uniform(rng, 0.1, 1.0)
                ph = depth * uniform(rng, 1.5, 2.8)
                mast.append(tube([px, depth, 0], [px, depth + ph, 0], 0.008, segments=6))
                mast.append(tube([px, depth + ph * 0.9, 0], [px - L * 0.12, depth + ph * 0.45, 0], 0.005, segments=6))
            for k in range(n):
                gear.append(_box((step * 0.9, stack_h * uniform(rng, 0.7, 1.0), beam * 0.85), (x_lo + step * (k + 0.5), depth, 0),
                                 base_at_bottom=True))
        elif kind == 'cruise':
            y = depth
            levels = int(rng.integers(4, 8))
            sl = L * uniform(rng, 0.6, 0.75)
            for k in range(levels):
                h = depth * uniform(rng, 0.35, 0.5)
                lk = sl * (1 - 0.08 * k)
                cabin.append(_box((lk, h, beam * 0.85), (-L * 0.08 - k * 0.01, y, 0), base_at_bottom=True))
                window.append(_box((lk + 0.01, h * 0.35, beam * 0.85 + 0.008), (-L * 0.08 - k * 0.01, y + h * 0.35, 0),
                                   base_at_bottom=True))
                y += h
            funnel.append(_box((L * 0.08, depth * 0.6, beam * 0.3), (-L * 0.25, y, 0), base_at_bottom=True, top_scale=(0.8, 0.8),
                               top_offset=(-0.01, 0)))
        else:   # warship: superstructure, mast, gun turrets with barrels
            sx = L * uniform(rng, -0.1, 0.1)
            y = depth
            for k in range(int(rng.integers(2, 4))):
                h = depth * uniform(rng, 0.4, 0.7)
                lk = L * uniform(rng, 0.18, 0.3) * (1 - 0.25 * k)
                cabin.append(_box((lk, h, beam * (0.7 - 0.12 * k)), (sx, y, 0), base_at_bottom=True, top_scale=(0.9, 0.9)))
                y += h
            mh = depth * uniform(rng, 2.0, 3.8)
            mast.append(tube([sx, y, 0], [sx, y + mh, 0], 0.007, segments=6))
            mast.append(_box((0.01, 0.01, beam * 0.5), (sx, y + mh * 0.6, 0)))
            mast.append(_box((L * 0.04, depth * 0.4, beam * 0.2), (sx, y, 0), base_at_bottom=True, top_scale=(0.5, 0.5)))
            funnel.append(_box((L * 0.06, depth * 0.7, beam * 0.3), (sx - L * 0.17, depth, 0), base_at_bottom=True,
                               top_scale=(0.85, 0.85)))
            for tx in [L * 0.25, L * 0.15, -L * 0.33][:int(rng.integers(1, 4))]:
                tr = beam * 0.2
                gear.append(cylinder(tr, depth * 0.3, (tx, depth, 0), segments=12))
                gear.append(tube([tx, depth * 1.15, 0], [tx + np.sign(tx) * L * 0.1, depth * 1.18, 0], 0.005, segments=6))
    return (tagged('body', *hull) + tagged('deck', *deck) + tagged('cabin', *cabin) + tagged('window', *window) +
            tagged('sail', *sail) + tagged('mast', *mast) + tagged('funnel', *funnel) + tagged('gear', *gear))
