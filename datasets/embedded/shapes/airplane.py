"""Airplanes (ShapeNet synset 02691156).

build_v1: the grammar of dataset format version 1, kept as it was so version 1 stays byte-identical.
"""

from datasets.embedded.primitives import box, cylinder, ellipsoid, plate, prism, regular_polygon, rotation, tube
from datasets.embedded.shapes.common import uniform, ROT_X90, ROT_Z90, DARK, MID

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


# ----------------------------------------------------------------------------------------------------
# version 2: airliners (2 or 4 podded engines, conventional or T-tail), business jets (rear engines,
# T-tail), fighters (delta or swept, one or two fins), propeller planes (high or low straight wing,
# nose or wing engines), military transports (high wing, T-tail), gliders; each part tagged with its role.

import numpy as np  # noqa: E402

from datasets.embedded.shapes.common import tagged  # noqa: E402

KINDS = ('airliner', 'bizjet', 'fighter', 'prop', 'transport', 'glider')
KIND_P = (0.38, 0.1, 0.22, 0.18, 0.06, 0.06)

MATERIALS = {
    'body': {'white': 0.5, 'grey': 0.25, 'metal': 0.1, 'paint': 0.1, 'black': 0.05},
    'wing': {'=body': 0.8, 'grey': 0.12, 'white': 0.08},
    'tail': {'=body': 0.6, 'paint': 0.25, 'white': 0.1, 'grey': 0.05},
    'engine': {'=body': 0.4, 'grey': 0.3, 'metal': 0.2, 'white': 0.1},
    'cockpit': {'glass': 0.8, 'black': 0.2},
    'prop': {'black': 0.6, 'grey': 0.3, 'metal': 0.1},
    'gear': {'black': 0.4, 'rubber': 0.4, 'grey': 0.2},
}


def _fuselage(rng, R, x_tail, x_nose, nose_len, tail_len, tail_lift, rz=None):
    """Cylinder body, tapered nose with a rounded tip, upswept tail cone."""
    rz = R if rz is None else rz
    body0, body1 = x_tail + tail_len, x_nose - nose_len
    out = [cylinder(R, body1 - body0, (body0, 0, 0), ROT_Z90, segments=16, radius_z=rz)]
    tip = uniform(rng, 0.2, 0.4)
    out.append(prism(regular_polygon(R, rz, 16), nose_len * 0.8, (body1, 0, 0), rotation('z', -90),
                     top_scale=(tip, tip), top_offset=(R * uniform(rng, -0.25, 0.05), 0.0)))
    out.append(ellipsoid((R * tip, nose_len * 0.25, rz * tip), (body1 + nose_len * 0.8, R * (tip - 1) * 0.0, 0),
                         ROT_Z90, y_range=(0.0, 1.0)))
    out.append(prism(regular_polygon(R, rz, 16), tail_len, (body0, 0, 0), rotation('z', 90),
                     top_scale=(0.25, 0.3), top_offset=(tail_lift, 0.0)))
    return out


def _fin(x_rear, root, tip, height, sweep, y_base, thickness, z=0.0):
    """A vertical fin: root chord from x_rear forwards, swept back towards its top."""
    poly = [(x_rear + root, 0.0), (x_rear + sweep + tip, height), (x_rear + sweep, height), (x_rear, 0.0)]
    return plate([(x, y + y_base) for x, y in poly], thickness, z)


def _engine(x_front, length, er, y, z):
    return [cylinder(er, length, (x_front - length, y, z), ROT_Z90, segments=14),
            cylinder(er * 0.75, length * 0.25, (x_front - length - length * 0.2, y, z), ROT_Z90, top_radius=er * 0.4,
                     segments=12)]


def build(rng):
    kind = str(rng.choice(KINDS, p=KIND_P))
    L = 1.0
    x_nose, x_tail = L / 2, -L / 2
    R = L * {'airliner': uniform(rng, 0.04, 0.065), 'bizjet': uniform(rng, 0.045, 0.06),
             'fighter': uniform(rng, 0.04, 0.06), 'prop': uniform(rng, 0.04, 0.06),
             'transport': uniform(rng, 0.06, 0.08), 'glider': uniform(rng, 0.025, 0.035)}[kind]
    nose_len = L * {'fighter': uniform(rng, 0.18, 0.28), 'glider': uniform(rng, 0.12, 0.18),
                    'prop': uniform(rng, 0.06, 0.1)}.get(kind, uniform(rng, 0.07, 0.12))
    tail_len = L * {'fighter': uniform(rng, 0.05, 0.1), 'glider': uniform(rng, 0.35, 0.45),
                    'prop': uniform(rng, 0.25, 0.35)}.get(kind, uniform(rng, 0.18, 0.28))
    tail_lift = R * {'fighter': 0.0, 'glider': 0.2, 'transport': 0.9}.get(kind, uniform(rng, 0.3, 0.6))
    body = _fuselage(rng, R, x_tail, x_nose, nose_len, tail_len, tail_lift,
                     rz=R * (uniform(rng, 1.0, 1.4) if kind == 'fighter' else 1.0))
    wings, tail, engines, cockpit, props, gear = [], [], [], [], [], []
    t_tail = kind in ('bizjet', 'transport', 'glider') or (kind == 'airliner' and rng.random() < 0.15)
    # --- main wing
    if kind == 'fighter':
        delta = rng.random() < 0.45
        half = L * uniform(rng, 0.3, 0.42)
        root_x = L * uniform(rng, 0.05, 0.2) if delta else L * uniform(rng, -0.02, 0.1)
        root_c = L * (uniform(rng, 0.45, 0.6) if delta else uniform(rng, 0.25, 0.35))
        tip_c = root_c * (uniform(rng, 0.02, 0.12) if delta else uniform(rng, 0.2, 0.4))
        sweep = (root_c - tip_c) * uniform(rng, 0.85, 1.0) if delta else L * uniform(rng, 0.12, 0.22)
        wy = -R * uniform(rng, 0.0, 0.4)
        for s in (-1, 1):
            wings.append(_wing(root_x, root_c, tip_c, half, sweep, 0.016, wy, s, uniform(rng, -4, 0)))
        if rng.random() < 0.5:   # leading-edge strakes
            for s in (-1, 1):
                wings.append(_wing(root_x + L * 0.15, L * 0.2, L * 0.02, R * 1.6, L * 0.15, 0.012, wy, s))
        # fins: one central or two canted; tailplanes unless tailless delta
        n_fins = int(rng.choice([1, 2], p=[0.5, 0.5]))
        fin_h = L * uniform(rng, 0.1, 0.16)
        for k in range(n_fins):
            z = 0.0 if n_fins == 1 else (2 * k - 1) * R * uniform(rng, 0.6, 1.0)
            fin = [(x_tail + L * 0.02 + L * 0.15, 0.0), (x_tail + L * 0.02 + L * 0.08, fin_h),
                   (x_tail + L * 0.02 + L * 0.03, fin_h), (x_tail + L * 0.02, 0.0)]
            part = plate([(x, y + R * 0.5) for x, y in fin], 0.012, z)
            tail.append(part)
        if not delta or rng.random() < 0.3:
            for s in (-1, 1):
                tail.append(_wing(x_tail + L * 0.14, L * 0.12, L * 0.04, L * uniform(rng, 0.1, 0.15), L * 0.07, 0.01,
                                  0.0, s))
        cockpit.append(ellipsoid((L * uniform(rng, 0.06, 0.09), R * 0.75, R * 0.55),
                                 (x_nose - nose_len - L * 0.02, R * 0.75, 0), y_range=(-0.2, 1.0)))
        # intakes on the sides
        if rng.random() < 0.7:
            for s in (-1, 1):
                engines.append(box((L * 0.22, R * 1.0, R * 0.6), (x_nose - nose_len - L * 0.15, -R * 0.1,
                                                                    s * R * 1.05)))
        engines.append(cylinder(R * 0.7, L * 0.05, (x_tail - L * 0.03, 0, 0), ROT_Z90, segments=12))
    else:
        if kind == 'glider':
            half = L * uniform(rng, 0.75, 1.1)
            root_c, tip_c = L * uniform(rng, 0.08, 0.11), L * uniform(rng, 0.03, 0.05)
            sweep, root_x, wy, dihedral = L * 0.01, L * uniform(rng, 0.15, 0.25), R * 0.6, uniform(rng, 2, 5)
        elif kind in ('prop', 'transport'):
            high = kind == 'transport' or rng.random() < 0.45
            half = L * (uniform(rng, 0.55, 0.7) if kind == 'prop' else uniform(rng, 0.5, 0.6))
            root_c = L * uniform(rng, 0.12, 0.17)
            tip_c = root_c * uniform(rng, 0.55, 1.0)
            sweep = L * uniform(rng, 0.0, 0.04)
            root_x = L * uniform(rng, 0.05, 0.18)
            wy = R * 0.85 if high else -R * 0.6
            dihedral = uniform(rng, 0, 3) if high else uniform(rng, 3, 7)
        else:
            half = L * (uniform(rng, 0.4, 0.52) if kind == 'airliner' else uniform(rng, 0.35, 0.45))
            root_c = L * uniform(rng, 0.16, 0.24)
            tip_c = root_c * uniform(rng, 0.2, 0.4)
            sweep = L * uniform(rng, 0.15, 0.3)
            root_x = L * uniform(rng, 0.02, 0.12)
            wy = -R * uniform(rng, 0.4, 0.7)
            dihedral = uniform(rng, 3, 7)
        thick = 0.014 if kind != 'glider' else 0.01
        for s in (-1, 1):
            wings.append(_wing(root_x, root_c, tip_c, half, sweep, thick, wy, s, dihedral))
            if kind in ('airliner', 'bizjet') and rng.random() < 0.5:   # winglets
                tx = root_x - sweep
                wl = [(tx, 0.0), (tx - tip_c * 0.9, 0.0), (tx - tip_c * 0.9 - 0.02, L * 0.05), (tx - tip_c * 0.5, L * 0.05)]
                tip_y = wy + half * np.tan(np.radians(dihedral))
                wings.append(plate([(x, y + tip_y) for x, y in wl], 0.006, s * half))
        if kind in ('airliner', 'bizjet', 'transport'):   # wing-body fairing
            body.append(box((root_c * 0.8, R * 0.6, R * 1.6), (root_x - root_c * 0.45, wy - R * 0.1, 0)))
        # tail: fin and tailplane (at the fin top for a T-tail)
        fin_h = L * {'glider': uniform(rng, 0.1, 0.13), 'bizjet': uniform(rng, 0.12, 0.16)}.get(kind, uniform(rng, 0.1, 0.17))
        fin_root = L * uniform(rng, 0.12, 0.18)
        fin_base = tail_lift * 0.7 + R * 0.35
        fin_sweep = fin_root * uniform(rng, 0.4, 0.8)
        tail.append(_fin(x_tail, fin_root, fin_root * 0.45, fin_h, fin_sweep, fin_base, 0.012))
        ht_span = half * uniform(rng, 0.28, 0.38) if kind != 'glider' else L * uniform(rng, 0.12, 0.16)
        ht_c = fin_root * uniform(rng, 0.6, 0.8)
        ht_x = x_tail + (fin_sweep + fin_root * 0.45 if t_tail else fin_root * 0.9)
        ht_y = (fin_base + fin_h - 0.006) if t_tail else tail_lift * 0.8
        for s in (-1, 1):
            tail.append(_wing(ht_x, ht_c, ht_c * 0.5, ht_span, ht_c * 0.3, 0.01, ht_y, s, 0 if t_tail else 4))
        # engines
        if kind == 'airliner':
            n = 2 if rng.random() < 0.72 else 4
            fracs = [uniform(rng, 0.3, 0.38)] if n == 2 else [uniform(rng, 0.25, 0.3), uniform(rng, 0.55, 0.65)]
            el = L * uniform(rng, 0.1, 0.14)
            er = R * uniform(rng, 0.5, 0.7) * (0.85 if n == 4 else 1.0)
            for s in (-1, 1):
                for f in fracs:
                    x = root_x - sweep * f + L * 0.04
                    y = wy + half * f * np.tan(np.radians(dihedral)) - er * 1.2
                    engines += _engine(x + el * 0.4, el, er, y, s * half * f)
                    engines.append(box((el * 0.6, er * 0.9, 0.008), (x - el * 0.2, y + er * 0.8, s * half * f)))
        elif kind == 'bizjet' or (kind == 'airliner' and t_tail and rng.random() < 0.5):
            el, er = L * uniform(rng, 0.1, 0.13), R * uniform(rng, 0.45, 0.6)
            ex = x_tail + tail_len + el * uniform(rng, 0.5, 0.9)
            for s in (-1, 1):
                engines += _engine(ex, el, er, R * 0.45, s * (R + er * 1.1))
                engines.append(box((el * 0.5, er * 0.4, er * 1.2), (ex - el * 0.5, R * 0.45, s * (R + er * 0.3))))
        elif kind in ('prop', 'transport'):
            twin = kind == 'transport' or rng.random() < 0.35
            n_side = 2 if kind == 'transport' and rng.random() < 0.7 else 1
            blade = L * uniform(rng, 0.07, 0.11)
            hubs = []
            if twin:
                for s in (-1, 1):
                    for k in range(n_side):
                        f = 0.3 + 0.3 * k
                        z = s * half * f
                        ex = root_x + L * 0.08
                        er = R * uniform(rng, 0.4, 0.55)
                        engines.append(cylinder(er, L * 0.2, (ex - L * 0.2, wy - er * 0.2, z), ROT_Z90, segments=12))
                        hubs.append((ex, wy - er * 0.2, z))
            else:
                hubs.append((x_nose, 0.0, 0.0))
            for hx, hy, hz in hubs:
                props.append(ellipsoid((R * 0.35, R * 0.3, R * 0.3), (hx, hy, hz)))
                ang = uniform(rng, 0, 180)
                props.append(box((0.008, 2 * blade, 0.02), (hx + R * 0.15, hy, hz), rot=rotation('x', ang)))
            if rng.random() < 0.6:   # fixed landing gear
                gx = root_x - root_c * 0.3
                for s in (-1, 1):
                    gear.append(tube([gx, -R * 0.8, s * R * 0.8], [gx, -R * 2.3, s * R * 2.2], 0.007, segments=6))
                    gear.append(cylinder(R * 0.4, 0.014, (gx, -R * 2.3, s * R * 2.2 - 0.007), ROT_X90, segments=12))
                gear.append(tube([x_nose - nose_len * 0.5, -R * 0.8, 0], [x_nose - nose_len * 0.5, -R * 2.3, 0], 0.006,
                                 segments=6))
        if kind in ('airliner', 'bizjet', 'transport') and rng.random() < 0.3:   # landing gear down
            gx = root_x - root_c * 0.55
            gy = wy - R * 1.5
            for s in (-1, 1):
                gear.append(tube([gx, wy, s * R * 1.3], [gx, gy, s * R * 1.3], 0.006, segments=6))
                gear.append(cylinder(R * 0.35, 0.02, (gx, gy, s * R * 1.3 - 0.01), ROT_X90, segments=12))
            nx = x_nose - nose_len * 1.2
            gear.append(tube([nx, -R * 0.8, 0], [nx, gy, 0], 0.005, segments=6))
            gear.append(cylinder(R * 0.28, 0.016, (nx, gy, -0.008), ROT_X90, segments=12))
        # cockpit windows
        if kind == 'glider':
            cockpit.append(ellipsoid((L * 0.09, R * 0.9, R * 0.8), (x_nose - nose_len - L * 0.03, R * 0.6, 0),
                                     y_range=(0.0, 1.0)))
        elif kind == 'prop':
            cockpit.append(ellipsoid((L * 0.07, R * 0.55, R * 0.85), (x_nose - nose_len - L * 0.02, R * 0.65, 0),
                                     y_range=(0.0, 1.0)))
        else:
            cockpit.append(box((nose_len * 0.3, R * 0.3, R * 1.2), (x_nose - nose_len * 0.85, R * 0.55, 0),
                               top_scale=(0.5, 0.8)))
    return (tagged('body', *body) + tagged('wing', *wings) + tagged('tail', *tail) + tagged('engine', *engines) +
            tagged('cockpit', *cockpit) + tagged('prop', *props) + tagged('gear', *gear))
