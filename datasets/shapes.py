"""Procedural objects of the 13 ShapeNet categories of the paper, built from solid primitives.

Each builder takes a numpy Generator and returns a list of Parts in ShapeNet's canonical pose as seen
in ShapeNetVox32 (after the x-z-y reorder): y up, the front facing +x (a chair's seat opens towards +x,
an airplane's nose and a car's bonnet point to +x), benches, sofas and tables long along z. Sizes are
in rough metres; the generator normalises every object afterwards (bounding-box diagonal 1, centred),
as ShapeNetCore v1 models are.
"""
import numpy as np

from datasets.primitives import box, cylinder, ellipsoid, plate, prism, regular_polygon, rotation, tube

ROT_X90 = rotation('x', 90)     # local y -> +z  (a cylinder lying along z: wheels)
ROT_Z90 = rotation('z', -90)    # local y -> +x  (a cylinder lying along x: fuselages, barrels)
DARK, MID, LIGHT = 0.45, 0.75, 1.1   # relative albedos of parts


def _u(rng, lo, hi):
    return float(rng.uniform(lo, hi))


def _square_leg(p0, p1, side, albedo=1.0):
    """A leg of square section between two points."""
    return tube(p0, p1, side / np.sqrt(2.0), segments=4, albedo=albedo, phase=np.pi / 4)


def _leg(rng_style, p0, p1, thickness):
    return _square_leg(p0, p1, thickness) if rng_style == 'square' else tube(p0, p1, thickness / 2)


# ------------------------------------------------------------------------------------------ chairs
def chair(rng):
    parts = []
    depth, width = _u(rng, 0.40, 0.56), _u(rng, 0.40, 0.60)
    seat_t, seat_h = _u(rng, 0.03, 0.09), _u(rng, 0.38, 0.50)
    parts.append(box((depth, seat_t, width), (0, seat_h - seat_t / 2, 0)))
    style = rng.choice(['square', 'round', 'pedestal', 'sled'], p=[0.45, 0.25, 0.2, 0.1])
    under = seat_h - seat_t
    if style in ('square', 'round'):
        lt = _u(rng, 0.025, 0.06)
        inset = _u(rng, 0.0, 0.04)
        splay = _u(rng, 0.0, 0.05)
        corners = []
        for sx in (-1, 1):
            for sz in (-1, 1):
                top = np.array([sx * (depth / 2 - inset - lt / 2), under, sz * (width / 2 - inset - lt / 2)])
                bottom = top + [sx * splay, -under, sz * splay]
                bottom[1] = 0.0
                parts.append(_leg(style, top, bottom, lt))
                corners.append((top, bottom))
        if rng.random() < 0.45:   # stretchers between the legs
            height = _u(rng, 0.08, 0.2)
            pts = [t + (t[1] - height) / (t[1] - b[1]) * (b - t) for t, b in corners]
            for a, b in ((0, 1), (2, 3), (0, 2), (1, 3)):
                parts.append(_leg(style, pts[a], pts[b], lt * 0.6))
    elif style == 'pedestal':
        col_r = _u(rng, 0.02, 0.04)
        parts.append(cylinder(col_r, under - 0.06, (0, 0.06, 0)))
        n_feet = int(rng.choice([4, 5]))
        reach = _u(rng, 0.22, 0.32)
        for k in range(n_feet):
            a = 2 * np.pi * k / n_feet + np.pi / n_feet
            end = np.array([reach * np.cos(a), 0.03, reach * np.sin(a)])
            parts.append(_square_leg([0, 0.06, 0], end, 0.035))
            parts.append(ellipsoid((0.025, 0.025, 0.025), end + [0, -0.005, 0], albedo=DARK))
    else:   # sled: two runners joined to the seat by slanted posts
        lt = _u(rng, 0.02, 0.035)
        for sz in (-1, 1):
            z = sz * (width / 2 - lt)
            parts.append(tube([-depth / 2, lt / 2, z], [depth / 2, lt / 2, z], lt / 2))
            parts.append(tube([-depth / 2 + 0.03, lt / 2, z], [-depth / 2 + 0.06, under, z], lt / 2))
            parts.append(tube([depth / 2 - 0.03, lt / 2, z], [depth / 2 - 0.06, under, z], lt / 2))
    # back
    back_h, back_t = _u(rng, 0.30, 0.60), _u(rng, 0.025, 0.07)
    tilt = _u(rng, 0.0, 16.0)
    back_rot = rotation('z', tilt)
    base = np.array([-depth / 2 + back_t / 2, seat_h - 0.01, 0.0])
    back_style = rng.choice(['solid', 'slats', 'rounded', 'frame'], p=[0.4, 0.2, 0.2, 0.2])
    if back_style == 'solid':
        parts.append(box((back_t, back_h, width), base, back_rot, base_at_bottom=True))
    elif back_style == 'rounded':
        parts.append(box((back_t, back_h * 0.8, width), base, back_rot, base_at_bottom=True))
        centre = base + (back_rot @ [0, back_h * 0.8, 0])
        # an elliptic disc across the back's top: local y -> x (thickness), local x -> height, z -> width
        parts.append(cylinder(back_h * _u(rng, 0.15, 0.35), back_t, centre - back_rot @ [back_t / 2, 0, 0],
                              back_rot @ ROT_Z90, radius_z=width / 2, segments=24))
    else:
        post = min(back_t, 0.045)
        for sz in (-1, 1):
            parts.append(box((back_t, back_h, post), base + [0, 0, sz * (width / 2 - post / 2)], back_rot,
                             base_at_bottom=True))
        rail_h = _u(rng, 0.05, 0.12)
        parts.append(box((back_t, rail_h, width), base + back_rot @ [0, back_h - rail_h, 0], back_rot,
                         base_at_bottom=True))
        if back_style == 'slats':
            n = int(rng.integers(2, 6))
            for k in range(n):
                z = (k + 1) / (n + 1) * width - width / 2
                parts.append(box((back_t * 0.7, back_h - rail_h, _u(rng, 0.02, 0.05)), base + [0, 0, z],
                                 back_rot, base_at_bottom=True))
        else:   # frame: a second rail low on the back
            parts.append(box((back_t, rail_h, width), base + back_rot @ [0, back_h * 0.35, 0], back_rot,
                             base_at_bottom=True))
    if rng.random() < 0.3:   # armrests
        arm_h = _u(rng, 0.18, 0.28)
        for sz in (-1, 1):
            z = sz * (width / 2 - 0.02)
            parts.append(box((depth * 0.9, 0.035, 0.05), (-depth * 0.05, seat_h + arm_h, z)))
            parts.append(_square_leg([depth / 2 - 0.06, seat_h, z], [depth / 2 - 0.06, seat_h + arm_h, z], 0.035))
    return parts


# ------------------------------------------------------------------------------------------ tables
def table(rng):
    parts = []
    height = _u(rng, 0.35, 0.48) if rng.random() < 0.2 else _u(rng, 0.60, 0.80)
    top_t = _u(rng, 0.025, 0.07)
    under = height - top_t
    if rng.random() < 0.7:   # rectangular top, four legs
        depth, width = _u(rng, 0.5, 1.0), _u(rng, 0.8, 1.9)
        parts.append(box((depth, top_t, width), (0, height - top_t / 2, 0)))
        if rng.random() < 0.2:   # trestle ends
            for sz in (-1, 1):
                z = sz * (width / 2 - _u(rng, 0.08, 0.2))
                parts.append(box((depth * 0.15, under, 0.06), (0, under / 2, z)))
                parts.append(box((depth * 0.85, 0.05, 0.08), (0, 0.025, z)))
            parts.append(box((0.06, 0.06, width * 0.7), (0, under * 0.4, 0)))
            return parts
        style = rng.choice(['square', 'round'])
        lt = _u(rng, 0.03, 0.08)
        inset = _u(rng, 0.0, 0.08)
        for sx in (-1, 1):
            for sz in (-1, 1):
                x, z = sx * (depth / 2 - inset - lt / 2), sz * (width / 2 - inset - lt / 2)
                parts.append(_leg(style, [x, under, z], [x, 0, z], lt))
        if rng.random() < 0.5:   # apron
            ah = _u(rng, 0.05, 0.12)
            parts.append(box((depth - 2 * inset - lt, ah, 0.02), (0, under - ah / 2, width / 2 - inset - lt / 2)))
            parts.append(box((depth - 2 * inset - lt, ah, 0.02), (0, under - ah / 2, -width / 2 + inset + lt / 2)))
            parts.append(box((0.02, ah, width - 2 * inset - lt), (depth / 2 - inset - lt / 2, under - ah / 2, 0)))
            parts.append(box((0.02, ah, width - 2 * inset - lt), (-depth / 2 + inset + lt / 2, under - ah / 2, 0)))
        if rng.random() < 0.25:   # lower shelf
            parts.append(box((depth - 2 * inset, 0.025, width - 2 * inset), (0, under * _u(rng, 0.15, 0.3), 0)))
    else:   # round or oval top on a pedestal or three/four legs
        r = _u(rng, 0.3, 0.6)
        rz = r * _u(rng, 1.0, 1.6)
        parts.append(cylinder(r, top_t, (0, under, 0), radius_z=rz, segments=28))
        if rng.random() < 0.6:
            parts.append(cylinder(_u(rng, 0.03, 0.07), under, (0, 0, 0)))
            if rng.random() < 0.5:
                parts.append(cylinder(r * _u(rng, 0.4, 0.6), 0.04, (0, 0, 0), top_radius=r * 0.3, segments=24))
            else:
                for k in range(4):
                    a = np.pi / 4 + k * np.pi / 2
                    parts.append(_square_leg([0, 0.12, 0], [r * 0.6 * np.cos(a), 0.0, r * 0.6 * np.sin(a)], 0.04))
        else:
            n = int(rng.choice([3, 4]))
            for k in range(n):
                a = 2 * np.pi * k / n
                x, z = 0.75 * r * np.cos(a), 0.75 * rz * np.sin(a)
                parts.append(tube([x * 0.8, under, z * 0.8], [x, 0, z], _u(rng, 0.015, 0.03)))
    return parts


# ------------------------------------------------------------------------------------------ benches
def bench(rng):
    parts = []
    length, depth = _u(rng, 1.0, 1.9), _u(rng, 0.30, 0.50)
    seat_h, seat_t = _u(rng, 0.38, 0.50), _u(rng, 0.035, 0.08)
    under = seat_h - seat_t
    if rng.random() < 0.35:   # slatted seat
        n = int(rng.integers(3, 6))
        gap = _u(rng, 0.01, 0.025)
        w = (depth - gap * (n - 1)) / n
        for k in range(n):
            x = -depth / 2 + w / 2 + k * (w + gap)
            parts.append(box((w, seat_t, length), (x, seat_h - seat_t / 2, 0)))
    else:
        parts.append(box((depth, seat_t, length), (0, seat_h - seat_t / 2, 0)))
    ends_in = _u(rng, 0.05, 0.25)
    style = rng.choice(['slab', 'legs', 'aframe'], p=[0.4, 0.4, 0.2])
    for sz in (-1, 1):
        z = sz * (length / 2 - ends_in)
        if style == 'slab':
            parts.append(box((depth * _u(rng, 0.7, 1.0), under, _u(rng, 0.04, 0.08)), (0, under / 2, z)))
        elif style == 'legs':
            lt = _u(rng, 0.035, 0.07)
            for sx in (-1, 1):
                x = sx * (depth / 2 - lt)
                parts.append(_square_leg([x, under, z], [x * 1.1, 0, z], lt))
            parts.append(box((depth - lt, 0.04, lt), (0, under * 0.3, z)))
        else:
            for sx in (-1, 1):
                parts.append(tube([0, under, z], [sx * depth / 2, 0, z], 0.02))
    parts.append(box((0.04, 0.04, length - 2 * ends_in), (0, under * _u(rng, 0.25, 0.6), 0)))
    if rng.random() < 0.45:   # backrest
        back_h = _u(rng, 0.25, 0.45)
        tilt = rotation('z', _u(rng, 0, 15))
        x0 = -depth / 2 + 0.02
        for sz in (-1, 1):
            z = sz * (length / 2 - ends_in)
            parts.append(box((0.04, back_h, 0.05), (x0, seat_h, z), tilt, base_at_bottom=True))
        n = int(rng.integers(1, 4))
        for k in range(n):
            h = back_h * (0.35 + 0.65 * (k + 1) / n) - 0.04
            parts.append(box((0.03, _u(rng, 0.05, 0.1), length * 0.97), np.array([x0, seat_h, 0]) + tilt @ [0, h - 0.05, 0],
                             tilt, base_at_bottom=True))
        if rng.random() < 0.5:   # armrests
            for sz in (-1, 1):
                z = sz * (length / 2 - 0.02)
                parts.append(box((depth, 0.035, 0.05), (0, seat_h + 0.2, z)))
                parts.append(box((0.04, 0.2, 0.04), (depth / 2 - 0.04, seat_h, z), base_at_bottom=True))
    return parts


# ------------------------------------------------------------------------------------------ sofas
def sofa(rng):
    parts = []
    length, depth = _u(rng, 1.3, 2.4), _u(rng, 0.75, 1.0)
    leg_h = _u(rng, 0.03, 0.15) if rng.random() < 0.6 else 0.0
    seat_h = _u(rng, 0.36, 0.46)
    cushion_t = _u(rng, 0.08, 0.16)
    base_top = seat_h - cushion_t
    arm_w = _u(rng, 0.1, 0.25) if rng.random() < 0.85 else 0.0
    back_t = _u(rng, 0.15, 0.28)
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
    back_h = _u(rng, 0.3, 0.5)
    tilt = rotation('z', _u(rng, 0, 12))
    parts.append(box((back_t, back_h + cushion_t, length), (-depth / 2 + back_t / 2, base_top, 0), tilt,
                     base_at_bottom=True))
    if rng.random() < 0.4:   # back cushions
        for k in range(n):
            z = -inner / 2 + cw / 2 + k * (cw + gap)
            parts.append(box((0.12, back_h * 0.8, cw), (-depth / 2 + back_t + 0.05, seat_h, z),
                             tilt, base_at_bottom=True))
    if arm_w > 0:
        arm_top = seat_h + _u(rng, 0.08, 0.25)
        rounded = rng.random() < 0.4
        for sz in (-1, 1):
            z = sz * (length / 2 - arm_w / 2)
            parts.append(box((depth, arm_top - leg_h, arm_w), (0, leg_h, z), base_at_bottom=True))
            if rounded:
                parts.append(cylinder(arm_w * 0.6, depth, (-depth / 2, arm_top, z), ROT_Z90,
                                      radius_z=arm_w * 0.5, segments=16))
    if rng.random() < 0.15:   # chaise: an extension of the seat towards the front at one end
        sz = rng.choice([-1, 1])
        ext = _u(rng, 0.5, 0.8)
        z = sz * (length / 2 - arm_w - 0.35)
        parts.append(box((ext, base_top - leg_h, 0.7), (depth / 2 + ext / 2 - 0.01, leg_h, z), base_at_bottom=True))
        parts.append(box((ext, cushion_t, 0.68), (depth / 2 + ext / 2 - 0.01, base_top, z), base_at_bottom=True))
    return parts


# ------------------------------------------------------------------------------------------ cabinets
def cabinet(rng):
    parts = []
    width, height, depth = _u(rng, 0.4, 1.4), _u(rng, 0.5, 1.9), _u(rng, 0.3, 0.6)
    foot = rng.choice(['none', 'plinth', 'legs'], p=[0.35, 0.4, 0.25])
    foot_h = 0.0 if foot == 'none' else _u(rng, 0.04, 0.14)
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


# ------------------------------------------------------------------------------------------ displays
def display(rng):
    parts = []
    width = _u(rng, 0.40, 0.75)
    aspect = float(rng.choice([16 / 9, 16 / 10, 4 / 3]))
    height = width / aspect
    crt = rng.random() < 0.15
    depth = _u(rng, 0.3, 0.45) * width if crt else _u(rng, 0.015, 0.05)
    stand_h = _u(rng, 0.05, 0.2)
    tilt = rotation('z', _u(rng, 0, 10))
    base_w = _u(rng, 0.15, 0.35)
    foot_h = 0.02
    style = rng.choice(['plate', 'disc', 'feet', 'none'], p=[0.45, 0.25, 0.15, 0.15])
    bottom = 0.0 if style == 'none' else foot_h + stand_h
    centre = np.array([0.0, bottom + height / 2, 0.0])
    bezel = _u(rng, 0.01, 0.04)
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
        parts.append(box((0.03, neck_top[1] - foot_h, _u(rng, 0.04, 0.1)), (back_x - 0.01, foot_h, 0),
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


# ------------------------------------------------------------------------------------------ lamps
def lamp(rng):
    parts = []
    kind = rng.choice(['table', 'floor', 'desk', 'pendant'], p=[0.35, 0.25, 0.3, 0.1])
    if kind == 'pendant':
        drop = _u(rng, 0.3, 0.7)
        parts.append(cylinder(0.06, 0.02, (0, drop + 0.25, 0)))                      # ceiling cup
        parts.append(tube([0, drop + 0.25, 0], [0, 0.25, 0], 0.016, segments=6))       # cord
        _shade(rng, parts, np.array([0, 0.25, 0]), hanging=True)
        return parts
    base_r = _u(rng, 0.07, 0.16)
    if rng.random() < 0.3:
        parts.append(box((base_r * 1.6, 0.035, base_r * 1.6), (0, 0, 0), base_at_bottom=True))
    else:
        parts.append(cylinder(base_r, _u(rng, 0.02, 0.05), (0, 0, 0), top_radius=base_r * 0.85, segments=24))
    if kind == 'table':
        body_h = _u(rng, 0.2, 0.45)
        if rng.random() < 0.45:   # vase-like body
            parts.append(ellipsoid((base_r * 0.9, body_h / 2, base_r * 0.9), (0, body_h / 2 + 0.02, 0)))
            parts.append(tube([0, body_h, 0], [0, body_h + 0.12, 0], 0.015, segments=8))
            top = body_h + 0.1
        else:
            parts.append(tube([0, 0.02, 0], [0, body_h + 0.1, 0], _u(rng, 0.015, 0.03)))
            top = body_h + 0.05
        _shade(rng, parts, np.array([0, top, 0]), hanging=False)
    elif kind == 'floor':
        stem_h = _u(rng, 1.1, 1.7)
        parts.append(tube([0, 0.02, 0], [0, stem_h, 0], _u(rng, 0.018, 0.03)))
        if rng.random() < 0.4:   # arc floor lamp: an arm reaching out, shade hanging
            reach = _u(rng, 0.3, 0.6)
            parts.append(tube([0, stem_h, 0], [reach, stem_h + 0.1, 0], 0.018))
            parts.append(tube([reach, stem_h + 0.1, 0], [reach, stem_h - 0.05, 0], 0.015))
            _shade(rng, parts, np.array([reach, stem_h - 0.05, 0]), hanging=True)
        else:
            _shade(rng, parts, np.array([0, stem_h - 0.1, 0]), hanging=False)
    else:   # desk lamp: two arm segments and a shade pointing down
        a1 = np.radians(_u(rng, 55, 85))
        l1, l2 = _u(rng, 0.25, 0.45), _u(rng, 0.25, 0.45)
        a2 = np.radians(_u(rng, -20, 25))
        p0 = np.array([0, 0.03, 0])
        p1 = p0 + l1 * np.array([np.cos(a1), np.sin(a1), 0]) * [-1, 1, 1]
        p2 = p1 + l2 * np.array([np.cos(a2), np.sin(a2), 0])
        for a, b in ((p0, p1), (p1, p2)):
            parts.append(tube(a, b, 0.016, segments=8))
        parts.append(ellipsoid((0.025, 0.025, 0.025), p1, albedo=MID))
        _shade(rng, parts, p2, hanging=True, tilt=_u(rng, 0, 35), size=0.6)
    return parts


def _shade(rng, parts, anchor, hanging, tilt=0.0, size=1.0):
    """A lamp shade at anchor: a cone frustum or a dome, opening down if hanging or if a table lamp."""
    r_bottom = _u(rng, 0.10, 0.24) * size
    h = _u(rng, 0.10, 0.28) * size
    rot = rotation('z', -tilt)
    if rng.random() < 0.6 or not hanging:   # truncated cone, wide at the bottom
        r_top = r_bottom * _u(rng, 0.4, 0.9)
        base = anchor - rot @ [0, h if hanging else h * 0.3, 0]
        parts.append(cylinder(r_bottom, h, base, rot, top_radius=r_top, segments=20))
    else:   # dome hanging from the anchor
        parts.append(ellipsoid((r_bottom, h, r_bottom), anchor - rot @ [0, h, 0], rot, y_range=(0.0, 1.0)))
    bulb = anchor - rot @ [0, h * (1.05 if hanging else 0.2), 0]
    if hanging:
        parts.append(ellipsoid((0.035, 0.035, 0.035), bulb, albedo=LIGHT))


# ------------------------------------------------------------------------------------------ speakers
def loudspeaker(rng):
    parts = []
    kind = rng.choice(['bookshelf', 'tower', 'cube'], p=[0.45, 0.4, 0.15])
    if kind == 'tower':
        width, height, depth = _u(rng, 0.18, 0.3), _u(rng, 0.8, 1.1), _u(rng, 0.22, 0.35)
    elif kind == 'cube':
        s = _u(rng, 0.3, 0.45)
        width, height, depth = s, s * _u(rng, 0.9, 1.1), s
    else:
        width, height, depth = _u(rng, 0.15, 0.28), _u(rng, 0.25, 0.4), _u(rng, 0.18, 0.3)
    foot = _u(rng, 0.02, 0.05) if (kind == 'tower' and rng.random() < 0.6) else 0.0
    taper = _u(rng, 0.75, 1.0) if rng.random() < 0.25 else 1.0
    parts.append(box((depth, height, width), (0, foot, 0), base_at_bottom=True, top_scale=(1.0, taper)))
    if foot:
        parts.append(box((depth + 0.06, foot, width + 0.06), (0, 0, 0), base_at_bottom=True, albedo=MID))
    front = depth / 2
    # drivers from the top: a tweeter, then one to three woofers
    y = foot + height - 0.02
    n_woofers = 1 if kind != 'tower' else int(rng.integers(1, 4))
    sizes = [_u(rng, 0.15, 0.22)] + [_u(rng, 0.3, 0.42)] * n_woofers
    w_at = lambda yy: width * (1 + (taper - 1) * (yy - foot) / height)   # noqa: E731
    for k, rel in enumerate(sizes):
        r = rel * min(width, 0.5) * (1.0 if kind != 'cube' else 1.3)
        r = min(r, w_at(y) / 2 - 0.01)
        y -= r + 0.015
        if y - r < foot:
            break
        parts.append(cylinder(r, 0.012, (front - 0.004, y, 0), ROT_Z90, segments=20, albedo=DARK))
        parts.append(cylinder(r * 0.75, 0.02, (front, y, 0), ROT_Z90, top_radius=r * 0.3, segments=20,
                              albedo=DARK * 0.8))
        y -= r + 0.01
    if rng.random() < 0.4 and y - foot > 0.08:   # bass port
        parts.append(cylinder(0.025, 0.006, (front - 0.002, foot + 0.05, 0), ROT_Z90, segments=12, albedo=0.2))
    return parts


# ------------------------------------------------------------------------------------------ telephones
def _rounded_rect(sx, sz, r, per_corner=4):
    pts = []
    for cx, cz, a0 in ((sx / 2 - r, sz / 2 - r, 0), (-sx / 2 + r, sz / 2 - r, 90),
                       (-sx / 2 + r, -sz / 2 + r, 180), (sx / 2 - r, -sz / 2 + r, 270)):
        for k in range(per_corner + 1):
            a = np.radians(a0 + 90 * k / per_corner)
            pts.append((cx + r * np.cos(a), cz + r * np.sin(a)))
    return pts


def telephone(rng):
    parts = []
    kind = rng.choice(['smartphone', 'keypad', 'desk'], p=[0.65, 0.2, 0.15])
    if kind == 'desk':
        w, d = _u(rng, 0.18, 0.25), _u(rng, 0.18, 0.24)
        h = _u(rng, 0.05, 0.09)
        parts.append(box((d, h, w), (0, 0, 0), base_at_bottom=True, top_scale=(0.75, 1.0), top_offset=(-0.02, 0)))
        hl = w * _u(rng, 0.95, 1.1)
        hy = h + 0.025
        parts.append(box((0.045, 0.035, hl * 0.7), (-d * 0.2, hy, 0)))
        for sz in (-1, 1):
            parts.append(ellipsoid((0.03, 0.025, 0.04), (-d * 0.2, hy, sz * hl * 0.4)))
        for i in range(3):
            for j in range(3):
                parts.append(box((0.02, 0.01, 0.02), (d * 0.05 + i * 0.028 - 0.02, h * 0.82 + 0.005 - i * 0.01,
                                                      (j - 1) * 0.03), albedo=DARK))
        return parts
    height = _u(rng, 0.11, 0.16) if kind == 'smartphone' else _u(rng, 0.09, 0.13)
    width = height * _u(rng, 0.45, 0.55)
    thick = _u(rng, 0.007, 0.014) if kind == 'smartphone' else _u(rng, 0.014, 0.022)
    r = width * _u(rng, 0.05, 0.2)
    outline = _rounded_rect(height, width, r)
    # polygon in (y, z) extruded along x: local y -> +x, local x -> +y
    rot = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    parts.append(prism(outline, thick, (-thick / 2, height / 2, 0), rot))
    if kind == 'smartphone':
        sh, sw = height * _u(rng, 0.78, 0.92), width * _u(rng, 0.86, 0.94)
        parts.append(box((0.002, sh, sw), (thick / 2, height / 2 + height * _u(rng, 0.0, 0.02), 0), albedo=DARK * 0.6))
        if rng.random() < 0.6:   # camera bump on the back
            parts.append(box((0.003, 0.025, 0.025), (-thick / 2, height * 0.85, width * 0.25), albedo=DARK))
    else:   # screen on the upper half, a keypad below
        parts.append(box((0.002, height * 0.35, width * 0.8), (thick / 2, height * 0.72, 0), albedo=DARK * 0.6))
        for i in range(4):
            for j in range(3):
                parts.append(box((0.003, height * 0.06, width * 0.2),
                                 (thick / 2, height * (0.1 + 0.1 * i), (j - 1) * width * 0.27), albedo=DARK))
    return parts


# ------------------------------------------------------------------------------------------ cars
def car(rng):
    parts = []
    kind = rng.choice(['sedan', 'hatchback', 'suv', 'pickup', 'sports', 'van'],
                      p=[0.3, 0.15, 0.2, 0.1, 0.15, 0.1])
    L = _u(rng, 4.0, 5.0)
    W = L * _u(rng, 0.38, 0.44)
    wheel_r = L * _u(rng, 0.065, 0.075) * (1.15 if kind in ('suv', 'pickup') else 1.0)
    clear = wheel_r * _u(rng, 0.5, 0.75)
    body_h = wheel_r * _u(rng, 1.9, 2.3) * {'sports': 0.8, 'suv': 1.2, 'pickup': 1.15, 'van': 1.2}.get(kind, 1.0)
    y0, y1 = clear, clear + body_h
    nose = L * _u(rng, 0.03, 0.08)
    # lower body: a side profile extruded across the width (the bonnet slopes down to the nose)
    profile = [(-L / 2, y0 + body_h * 0.1), (-L / 2 + 0.05 * L, y0), (L / 2 - nose, y0),
               (L / 2, y0 + body_h * 0.35), (L / 2 - nose * 0.5, y1 - body_h * _u(rng, 0.1, 0.3)),
               (L / 2 - 2 * nose, y1), (-L / 2, y1)]
    parts.append(plate(profile, W))
    # cabin: a box whose top is shorter (windscreen and rear window slopes) and narrower
    cabin_h = L * {'sports': 0.065, 'suv': 0.12, 'van': 0.14, 'pickup': 0.11}.get(kind, 0.095) * _u(rng, 0.9, 1.1)
    front = {'sports': 0.05, 'van': 0.38, 'suv': 0.22, 'pickup': 0.2}.get(kind, 0.15) * L
    rear = {'hatchback': -0.42, 'suv': -0.46, 'van': -0.48, 'pickup': -0.1, 'sports': -0.3}.get(kind, -0.32) * L
    cab_len = front - rear
    windscreen = cab_len * (_u(rng, 0.2, 0.35) if kind != 'van' else 0.1)
    back_slope = cab_len * (_u(rng, 0.15, 0.3) if kind in ('sedan', 'sports') else _u(rng, 0.02, 0.08))
    parts.append(box((cab_len, cabin_h, W * _u(rng, 0.86, 0.94)), ((front + rear) / 2, y1 - 0.01, 0),
                     base_at_bottom=True, albedo=MID,
                     top_scale=((cab_len - windscreen - back_slope) / cab_len, _u(rng, 0.8, 0.9)),
                     top_offset=((back_slope - windscreen) / 2, 0.0)))
    if kind == 'pickup':   # open bed walls
        for sz in (-1, 1):
            parts.append(box((L * 0.38, body_h * 0.3, 0.06), (-L * 0.29, y1, sz * (W / 2 - 0.03)), base_at_bottom=True))
        parts.append(box((0.06, body_h * 0.3, W), (-L / 2 + 0.03, y1, 0), base_at_bottom=True))
    # wheels stand slightly out of the body's sides, so they show as in real cars' wheel arches
    wheel_w = W * _u(rng, 0.13, 0.17)
    base = L * _u(rng, 0.29, 0.34)
    for sx in (-1, 1):
        for sz in (-1, 1):
            z0 = sz * (W / 2 - wheel_w * 0.3) - wheel_w / 2
            parts.append(cylinder(wheel_r, wheel_w, (sx * base, wheel_r, z0), ROT_X90, segments=18, albedo=0.35))
            parts.append(cylinder(wheel_r * 0.55, wheel_w + 0.02, (sx * base, wheel_r, z0 - 0.01), ROT_X90,
                                  segments=12, albedo=MID))
    if rng.random() < 0.5:   # side mirrors
        for sz in (-1, 1):
            parts.append(box((0.08, 0.07, 0.14), (front - windscreen * 0.2, y1 + 0.05, sz * (W / 2 + 0.05))))
    if kind == 'sports' and rng.random() < 0.5:   # spoiler
        parts.append(box((0.25, 0.03, W * 0.9), (-L / 2 + 0.15, y1 + 0.18, 0)))
        for sz in (-1, 1):
            parts.append(box((0.05, 0.18, 0.04), (-L / 2 + 0.15, y1, sz * W * 0.3), base_at_bottom=True))
    return parts


# ------------------------------------------------------------------------------------------ airplanes
def _wing(root_x, root_chord, tip_chord, half_span, sweep, thickness, y, side, dihedral=0.0, z0=0.0,
          albedo=1.0):
    """One wing (side +1: +z, -1: -z) as a thin prism from the root (at z = z0) to the tip."""
    poly = [(root_x, 0.0), (root_x - sweep, half_span), (root_x - sweep - tip_chord, half_span),
            (root_x - root_chord, 0.0)]
    poly = [(x, side * z) for x, z in poly]
    rot = rotation('x', -side * dihedral)
    return prism(poly, thickness, (0.0, y - thickness / 2, z0), rot, albedo=albedo)


def airplane(rng):
    parts = []
    kind = rng.choice(['airliner', 'fighter', 'prop'], p=[0.5, 0.25, 0.25])
    L = 1.0
    R = L * (_u(rng, 0.045, 0.07) if kind == 'airliner' else _u(rng, 0.035, 0.055))
    body0, body1 = -0.3 * L, 0.28 * L
    parts.append(cylinder(R, body1 - body0, (body0, 0, 0), ROT_Z90, segments=16))
    # nose and tail cone
    nose_len = L * (_u(rng, 0.08, 0.12) if kind != 'fighter' else _u(rng, 0.15, 0.22))
    parts.append(cylinder(R, nose_len, (body1, 0, 0), ROT_Z90, top_radius=R * 0.25, segments=16))
    parts.append(ellipsoid((R * 0.4, R * 0.25, R * 0.25), (body1 + nose_len, 0, 0), ROT_Z90))
    tail_len = -0.5 * L - body0
    tail_lift = R * (0.5 if kind == 'airliner' else 0.2)
    parts.append(prism(regular_polygon(R, None, 16), tail_len, (body0, 0, 0), rotation('z', 90),
                       top_scale=(0.3, 0.3), top_offset=(tail_lift, 0.0)))
    if kind == 'fighter':
        span = L * _u(rng, 0.25, 0.35)
        root_x = L * _u(rng, 0.1, 0.2)
        rear_x = -0.42 * L
        delta = [(root_x, 0.0), (rear_x + L * _u(rng, 0.0, 0.08), span), (rear_x, span), (rear_x, -span),
                 (rear_x + L * _u(rng, 0.0, 0.08), -span)]
        parts.append(prism(delta, 0.012, (0, -R * 0.2, 0)))
        n_fins = int(rng.choice([1, 2]))
        for k in range(n_fins):
            fin_h = L * _u(rng, 0.1, 0.15)
            fin = [(-0.48 * L, 0.0), (-0.36 * L, 0.0), (-0.46 * L, fin_h), (-0.5 * L, fin_h)]
            zc = 0.0 if n_fins == 1 else (k * 2 - 1) * R * 0.8
            parts.append(plate([(x, y + R * 0.6) for x, y in fin], 0.01, zc))
        # cockpit canopy
        parts.append(ellipsoid((L * 0.07, R * 0.7, R * 0.55), (body1 - 0.02, R * 0.7, 0), albedo=DARK))
        return parts
    wing_y = -R * 0.5 if kind == 'airliner' else (R * 0.85 if rng.random() < 0.6 else -R * 0.6)
    half_span = L * (_u(rng, 0.38, 0.5) if kind == 'airliner' else _u(rng, 0.45, 0.6))
    root_chord = L * (_u(rng, 0.16, 0.24) if kind == 'airliner' else _u(rng, 0.12, 0.16))
    tip_chord = root_chord * (_u(rng, 0.25, 0.45) if kind == 'airliner' else _u(rng, 0.6, 1.0))
    sweep = L * (_u(rng, 0.15, 0.28) if kind == 'airliner' else _u(rng, 0.0, 0.04))
    root_x = L * _u(rng, 0.02, 0.1)
    dihedral = _u(rng, 2, 7)
    for side in (-1, 1):
        parts.append(_wing(root_x, root_chord, tip_chord, half_span, sweep, 0.014, wing_y, side, dihedral))
    # horizontal tail and fin
    ht_span = half_span * _u(rng, 0.3, 0.4)
    for side in (-1, 1):
        parts.append(_wing(-0.38 * L, L * 0.09, L * 0.045, ht_span, L * 0.05, 0.01, tail_lift * 0.9, side, 4.0))
    fin_h = L * _u(rng, 0.1, 0.17)
    fin = [(-0.5 * L, R * 0.6), (-0.36 * L, R * 0.6), (-0.46 * L, R + fin_h), (-0.5 * L, R + fin_h)]
    parts.append(plate([(x, y + tail_lift * 0.5) for x, y in fin], 0.012))
    if kind == 'airliner':
        n_engines = int(rng.choice([1, 2], p=[0.7, 0.3]))
        for side in (-1, 1):
            for k in range(n_engines):
                frac = 0.33 if n_engines == 1 else (0.25 + 0.35 * k)
                z = side * half_span * frac
                x = root_x - sweep * frac - 0.01
                er = R * _u(rng, 0.45, 0.6)
                parts.append(cylinder(er, L * 0.12, (x - L * 0.06, wing_y - er * 1.3, z), ROT_Z90, segments=14,
                                      albedo=MID))
                parts.append(box((L * 0.05, er * 0.9, 0.01), (x - L * 0.03, wing_y - er * 0.5, z)))
    else:   # propeller at the nose
        hub_x = body1 + nose_len
        parts.append(ellipsoid((R * 0.5, R * 0.4, R * 0.4), (hub_x, 0, 0), albedo=DARK))
        blade = L * _u(rng, 0.08, 0.12)
        parts.append(box((0.01, 2 * blade, 0.025), (hub_x + R * 0.2, 0, 0), albedo=DARK))
        if rng.random() < 0.6:   # landing gear
            for sz in (-1, 1):
                parts.append(tube([root_x - root_chord * 0.3, -R, sz * R], [root_x - root_chord * 0.3, -R * 2.4, sz * R * 2.5], 0.008))
                parts.append(cylinder(R * 0.45, 0.015, (root_x - root_chord * 0.3, -R * 2.4, sz * R * 2.5 - 0.0075),
                                      ROT_X90, segments=12, albedo=0.35))
    return parts


# ------------------------------------------------------------------------------------------ rifles
def rifle(rng):
    parts = []
    L = 1.0
    rec_len, rec_h, width = L * _u(rng, 0.18, 0.28), L * _u(rng, 0.055, 0.085), L * _u(rng, 0.035, 0.05)
    rec_x0 = -L * _u(rng, 0.12, 0.2)            # rear of the receiver
    rec_x1 = rec_x0 + rec_len
    parts.append(box((rec_len, rec_h, width), ((rec_x0 + rec_x1) / 2, 0, 0), base_at_bottom=True))
    barrel_r = L * _u(rng, 0.011, 0.016)
    muzzle = L / 2
    bore_y = rec_h * _u(rng, 0.55, 0.75)
    parts.append(tube([rec_x1, bore_y, 0], [muzzle, bore_y, 0], barrel_r, segments=10))
    if rng.random() < 0.75:   # handguard around the barrel
        hg_len = (muzzle - rec_x1) * _u(rng, 0.35, 0.7)
        parts.append(box((hg_len, rec_h * _u(rng, 0.6, 0.9), width * 0.95), (rec_x1 + hg_len / 2, bore_y - rec_h * 0.35, 0),
                         base_at_bottom=False))
    # stock: a side profile from the receiver's rear to the butt
    butt_x = -L / 2
    drop = rec_h * _u(rng, 0.0, 0.8)
    butt_h = L * _u(rng, 0.09, 0.14)
    stock = [(rec_x0 + 0.01, rec_h), (rec_x0 + 0.01, rec_h * 0.1), (butt_x, rec_h - drop - butt_h),
             (butt_x, rec_h - drop)]
    parts.append(plate(stock, width * 0.9))
    # pistol grip and trigger guard
    grip_rot = rotation('z', -_u(rng, 10, 25))
    parts.append(box((L * 0.04, L * 0.1, width * 0.85), (rec_x0 + rec_len * 0.25, 0.005, 0), grip_rot @ rotation('z', 180),
                     base_at_bottom=True))
    parts.append(box((L * 0.06, 0.008, width * 0.5), (rec_x0 + rec_len * 0.45, -L * 0.035, 0)))
    if rng.random() < 0.7:   # magazine
        mag_rot = rotation('z', _u(rng, -15, 5)) @ rotation('z', 180)
        parts.append(box((L * 0.045, L * _u(rng, 0.08, 0.16), width * 0.7), (rec_x0 + rec_len * 0.7, 0.005, 0), mag_rot,
                         base_at_bottom=True, albedo=DARK))
    if rng.random() < 0.5:   # scope on two rings
        sr = L * _u(rng, 0.015, 0.022)
        sl = rec_len * _u(rng, 1.0, 1.4)
        sx = rec_x0 + rec_len * 0.1
        sy = rec_h + sr + 0.012
        parts.append(cylinder(sr, sl, (sx, sy, 0), ROT_Z90, segments=12, albedo=DARK))
        # objective bell at the front
        parts.append(cylinder(sr, 0.06, (sx + sl - 0.06, sy, 0), ROT_Z90, top_radius=sr * 1.5, segments=12,
                              albedo=DARK))
        for fx in (0.25, 0.75):
            parts.append(box((0.015, 0.015, width * 0.6), (sx + sl * fx, rec_h, 0), base_at_bottom=True))
    else:   # iron sights
        parts.append(box((0.01, 0.025, 0.008), (muzzle - 0.03, bore_y + barrel_r, 0), base_at_bottom=True))
    if rng.random() < 0.15:   # bipod
        for sz in (-1, 1):
            parts.append(tube([muzzle - 0.2, bore_y, 0], [muzzle - 0.15, bore_y - 0.15, sz * 0.05], 0.005, segments=6))
    return parts


# ------------------------------------------------------------------------------------------ watercraft
def watercraft(rng):
    parts = []
    kind = rng.choice(['motorboat', 'sailboat', 'ship', 'canoe'], p=[0.35, 0.25, 0.3, 0.1])
    L = 1.0
    beam = L * {'canoe': _u(rng, 0.12, 0.18), 'ship': _u(rng, 0.12, 0.18)}.get(kind, _u(rng, 0.25, 0.35))
    depth = L * {'canoe': _u(rng, 0.05, 0.08), 'ship': _u(rng, 0.08, 0.12)}.get(kind, _u(rng, 0.08, 0.14))
    keel_scale = _u(rng, 0.3, 0.6)
    if kind == 'canoe':
        outline = [(-L / 2, 0.0), (-L * 0.3, -beam / 2), (L * 0.3, -beam / 2), (L / 2, 0.0),
                   (L * 0.3, beam / 2), (-L * 0.3, beam / 2)]
    else:
        stern = beam / 2 * _u(rng, 0.7, 0.95)
        shoulder = L * _u(rng, 0.05, 0.2)
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
        cab_len = L * _u(rng, 0.25, 0.4)
        cab_x = L * _u(rng, -0.15, 0.05)
        cab_h = depth * _u(rng, 0.5, 1.0)
        parts.append(box((cab_len, cab_h, beam * 0.7), (cab_x, deck, 0), base_at_bottom=True, top_scale=(0.75, 0.9),
                         top_offset=(-cab_len * 0.1, 0)))
        if rng.random() < 0.5:   # flybridge
            parts.append(box((cab_len * 0.5, cab_h * 0.6, beam * 0.55), (cab_x - cab_len * 0.1, deck + cab_h, 0),
                             base_at_bottom=True, albedo=MID))
    elif kind == 'sailboat':
        mast_x = L * _u(rng, 0.0, 0.15)
        mast_h = L * _u(rng, 0.9, 1.3)
        parts.append(tube([mast_x, deck, 0], [mast_x, deck + mast_h, 0], 0.008, segments=8))
        boom = L * _u(rng, 0.3, 0.45)
        main = [(mast_x - 0.01, deck + 0.06), (mast_x - boom, deck + 0.06), (mast_x - 0.01, deck + mast_h * 0.95)]
        parts.append(plate(main, 0.006, albedo=LIGHT))
        if rng.random() < 0.7:   # jib
            jib = [(mast_x + 0.01, deck + 0.05), (L * 0.45, deck + 0.03), (mast_x + 0.01, deck + mast_h * 0.8)]
            parts.append(plate(jib, 0.006, albedo=LIGHT))
        parts.append(box((L * 0.18, depth * 0.4, beam * 0.5), (mast_x - L * 0.2, deck, 0), base_at_bottom=True))
        parts.append(plate([(-0.05, 0.0), (0.1, 0.0), (0.06, -depth * 1.3), (-0.02, -depth * 1.3)], 0.015))
    else:   # ship: stacked superstructure, a funnel, maybe masts
        levels = int(rng.integers(2, 5))
        sx = L * _u(rng, -0.25, 0.0)
        sl = L * _u(rng, 0.2, 0.35)
        y = deck
        for k in range(levels):
            h = depth * _u(rng, 0.5, 0.9)
            parts.append(box((sl * (1 - 0.25 * k), h, beam * (0.75 - 0.1 * k)), (sx, y, 0), base_at_bottom=True))
            y += h
        parts.append(cylinder(beam * 0.12, depth * _u(rng, 0.5, 1.0), (sx - sl * 0.35, y - 0.01, 0),
                              radius_z=beam * 0.09, albedo=DARK))
        if rng.random() < 0.6:
            parts.append(tube([sx + sl * 0.2, y, 0], [sx + sl * 0.2, y + depth * 1.5, 0], 0.006, segments=6))
        if rng.random() < 0.5:   # deck cargo / turrets forward
            for k in range(int(rng.integers(1, 4))):
                parts.append(box((L * 0.07, depth * 0.3, beam * 0.5), (L * (0.1 + 0.09 * k), deck, 0), base_at_bottom=True,
                                 albedo=MID))
    return parts


BUILDERS = {
    '02691156': airplane, '02828884': bench, '02933112': cabinet, '02958343': car, '03001627': chair,
    '03211117': display, '03636649': lamp, '03691459': loudspeaker, '04090263': rifle, '04256520': sofa,
    '04379243': table, '04401088': telephone, '04530566': watercraft,
}
