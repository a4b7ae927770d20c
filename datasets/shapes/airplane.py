"""Airplanes (ShapeNet synset 02691156).

build_v1: the grammar of dataset format version 1, kept as it was so version 1 stays byte-identical.
"""

from datasets.primitives import box, cylinder, ellipsoid, plate, prism, regular_polygon, rotation, tube
from datasets.shapes.common import uniform, ROT_X90, ROT_Z90, DARK, MID

SYNSET = '02691156'


def _wing(root_x, root_chord, tip_chord, half_span, sweep, thickness, y, side, dihedral=0.0, z0=0.0,
          albedo=1.0):
    """One wing (side +1: +z, -1: -z) as a thin prism from the root (at z = z0) to the tip."""
    poly = [(root_x, 0.0), (root_x - sweep, half_span), (root_x - sweep - tip_chord, half_span),
            (root_x - root_chord, 0.0)]
    poly = [(x, side * z) for x, z in poly]
    rot = rotation('x', -side * dihedral)
    return prism(poly, thickness, (0.0, y - thickness / 2, z0), rot, albedo=albedo)


def build_v1(rng):
    parts = []
    kind = rng.choice(['airliner', 'fighter', 'prop'], p=[0.5, 0.25, 0.25])
    L = 1.0
    R = L * (uniform(rng, 0.045, 0.07) if kind == 'airliner' else uniform(rng, 0.035, 0.055))
    body0, body1 = -0.3 * L, 0.28 * L
    parts.append(cylinder(R, body1 - body0, (body0, 0, 0), ROT_Z90, segments=16))
    # nose and tail cone
    nose_len = L * (uniform(rng, 0.08, 0.12) if kind != 'fighter' else uniform(rng, 0.15, 0.22))
    parts.append(cylinder(R, nose_len, (body1, 0, 0), ROT_Z90, top_radius=R * 0.25, segments=16))
    parts.append(ellipsoid((R * 0.4, R * 0.25, R * 0.25), (body1 + nose_len, 0, 0), ROT_Z90))
    tail_len = -0.5 * L - body0
    tail_lift = R * (0.5 if kind == 'airliner' else 0.2)
    parts.append(prism(regular_polygon(R, None, 16), tail_len, (body0, 0, 0), rotation('z', 90),
                       top_scale=(0.3, 0.3), top_offset=(tail_lift, 0.0)))
    if kind == 'fighter':
        span = L * uniform(rng, 0.25, 0.35)
        root_x = L * uniform(rng, 0.1, 0.2)
        rear_x = -0.42 * L
        delta = [(root_x, 0.0), (rear_x + L * uniform(rng, 0.0, 0.08), span), (rear_x, span), (rear_x, -span),
                 (rear_x + L * uniform(rng, 0.0, 0.08), -span)]
        parts.append(prism(delta, 0.012, (0, -R * 0.2, 0)))
        n_fins = int(rng.choice([1, 2]))
        for k in range(n_fins):
            fin_h = L * uniform(rng, 0.1, 0.15)
            fin = [(-0.48 * L, 0.0), (-0.36 * L, 0.0), (-0.46 * L, fin_h), (-0.5 * L, fin_h)]
            zc = 0.0 if n_fins == 1 else (k * 2 - 1) * R * 0.8
            parts.append(plate([(x, y + R * 0.6) for x, y in fin], 0.01, zc))
        # cockpit canopy
        parts.append(ellipsoid((L * 0.07, R * 0.7, R * 0.55), (body1 - 0.02, R * 0.7, 0), albedo=DARK))
        return parts
    wing_y = -R * 0.5 if kind == 'airliner' else (R * 0.85 if rng.random() < 0.6 else -R * 0.6)
    half_span = L * (uniform(rng, 0.38, 0.5) if kind == 'airliner' else uniform(rng, 0.45, 0.6))
    root_chord = L * (uniform(rng, 0.16, 0.24) if kind == 'airliner' else uniform(rng, 0.12, 0.16))
    tip_chord = root_chord * (uniform(rng, 0.25, 0.45) if kind == 'airliner' else uniform(rng, 0.6, 1.0))
    sweep = L * (uniform(rng, 0.15, 0.28) if kind == 'airliner' else uniform(rng, 0.0, 0.04))
    root_x = L * uniform(rng, 0.02, 0.1)
    dihedral = uniform(rng, 2, 7)
    for side in (-1, 1):
        parts.append(_wing(root_x, root_chord, tip_chord, half_span, sweep, 0.014, wing_y, side, dihedral))
    # horizontal tail and fin
    ht_span = half_span * uniform(rng, 0.3, 0.4)
    for side in (-1, 1):
        parts.append(_wing(-0.38 * L, L * 0.09, L * 0.045, ht_span, L * 0.05, 0.01, tail_lift * 0.9, side, 4.0))
    fin_h = L * uniform(rng, 0.1, 0.17)
    fin = [(-0.5 * L, R * 0.6), (-0.36 * L, R * 0.6), (-0.46 * L, R + fin_h), (-0.5 * L, R + fin_h)]
    parts.append(plate([(x, y + tail_lift * 0.5) for x, y in fin], 0.012))
    if kind == 'airliner':
        n_engines = int(rng.choice([1, 2], p=[0.7, 0.3]))
        for side in (-1, 1):
            for k in range(n_engines):
                frac = 0.33 if n_engines == 1 else (0.25 + 0.35 * k)
                z = side * half_span * frac
                x = root_x - sweep * frac - 0.01
                er = R * uniform(rng, 0.45, 0.6)
                parts.append(cylinder(er, L * 0.12, (x - L * 0.06, wing_y - er * 1.3, z), ROT_Z90, segments=14,
                                      albedo=MID))
                parts.append(box((L * 0.05, er * 0.9, 0.01), (x - L * 0.03, wing_y - er * 0.5, z)))
    else:   # propeller at the nose
        hub_x = body1 + nose_len
        parts.append(ellipsoid((R * 0.5, R * 0.4, R * 0.4), (hub_x, 0, 0), albedo=DARK))
        blade = L * uniform(rng, 0.08, 0.12)
        parts.append(box((0.01, 2 * blade, 0.025), (hub_x + R * 0.2, 0, 0), albedo=DARK))
        if rng.random() < 0.6:   # landing gear
            for sz in (-1, 1):
                parts.append(tube([root_x - root_chord * 0.3, -R, sz * R], [root_x - root_chord * 0.3, -R * 2.4, sz * R * 2.5], 0.008))
                parts.append(cylinder(R * 0.45, 0.015, (root_x - root_chord * 0.3, -R * 2.4, sz * R * 2.5 - 0.0075),
                                      ROT_X90, segments=12, albedo=0.35))
    return parts
