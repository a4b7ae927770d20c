"""Cars (ShapeNet synset 02958343).

build_v1: the grammar of dataset format version 1, kept as it was so version 1 stays byte-identical.
"""

from datasets.embedded.primitives import box, cylinder, plate
from datasets.embedded.shapes.common import uniform, ROT_X90, MID

SYNSET = '02958343'


def build_v1(rng):
    parts = []
    kind = rng.choice(['sedan', 'hatchback', 'suv', 'pickup', 'sports', 'van'],
                      p=[0.3, 0.15, 0.2, 0.1, 0.15, 0.1])
    L = uniform(rng, 4.0, 5.0)
    W = L * uniform(rng, 0.38, 0.44)
    wheel_r = L * uniform(rng, 0.065, 0.075) * (1.15 if kind in ('suv', 'pickup') else 1.0)
    clear = wheel_r * uniform(rng, 0.5, 0.75)
    body_h = wheel_r * uniform(rng, 1.9, 2.3) * {'sports': 0.8, 'suv': 1.2, 'pickup': 1.15, 'van': 1.2}.get(kind, 1.0)
    y0, y1 = clear, clear + body_h
    nose = L * uniform(rng, 0.03, 0.08)
    # lower body: a side profile extruded across the width (the bonnet slopes down to the nose)
    profile = [(-L / 2, y0 + body_h * 0.1), (-L / 2 + 0.05 * L, y0), (L / 2 - nose, y0),
               (L / 2, y0 + body_h * 0.35), (L / 2 - nose * 0.5, y1 - body_h * uniform(rng, 0.1, 0.3)),
               (L / 2 - 2 * nose, y1), (-L / 2, y1)]
    parts.append(plate(profile, W))
    # cabin: a box whose top is shorter (windscreen and rear window slopes) and narrower
    cabin_h = L * {'sports': 0.065, 'suv': 0.12, 'van': 0.14, 'pickup': 0.11}.get(kind, 0.095) * uniform(rng, 0.9, 1.1)
    front = {'sports': 0.05, 'van': 0.38, 'suv': 0.22, 'pickup': 0.2}.get(kind, 0.15) * L
    rear = {'hatchback': -0.42, 'suv': -0.46, 'van': -0.48, 'pickup': -0.1, 'sports': -0.3}.get(kind, -0.32) * L
    cab_len = front - rear
    windscreen = cab_len * (uniform(rng, 0.2, 0.35) if kind != 'van' else 0.1)
    back_slope = cab_len * (uniform(rng, 0.15, 0.3) if kind in ('sedan', 'sports') else uniform(rng, 0.02, 0.08))
    parts.append(box((cab_len, cabin_h, W * uniform(rng, 0.86, 0.94)), ((front + rear) / 2, y1 - 0.01, 0),
                     base_at_bottom=True, albedo=MID,
                     top_scale=((cab_len - windscreen - back_slope) / cab_len, uniform(rng, 0.8, 0.9)),
                     top_offset=((back_slope - windscreen) / 2, 0.0)))
    if kind == 'pickup':   # open bed walls
        for sz in (-1, 1):
            parts.append(box((L * 0.38, body_h * 0.3, 0.06), (-L * 0.29, y1, sz * (W / 2 - 0.03)), base_at_bottom=True))
        parts.append(box((0.06, body_h * 0.3, W), (-L / 2 + 0.03, y1, 0), base_at_bottom=True))
    # wheels stand slightly out of the body's sides, so they show as in real cars' wheel arches
    wheel_w = W * uniform(rng, 0.13, 0.17)
    base = L * uniform(rng, 0.29, 0.34)
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


# ----------------------------------------------------------------------------------------------------
# version 2: sedans, hatchbacks, wagons, SUVs, pickups, vans, sports cars, buses/trucks; wheel arches,
# a glass band around the greenhouse, tyres with hubs, lights and bumpers, each part tagged with its role.

from datasets.embedded.shapes.common import tagged, ROT_Z90  # noqa: E402

KINDS = ('sedan', 'hatchback', 'wagon', 'suv', 'pickup', 'van', 'sports', 'coupe', 'bus', 'truck')
KIND_P = (0.24, 0.12, 0.06, 0.17, 0.08, 0.07, 0.1, 0.08, 0.04, 0.04)

MATERIALS = {
    'body': {'paint': 0.8, 'white': 0.08, 'grey': 0.06, 'black': 0.06},
    'window': {'glass': 0.85, 'black': 0.15},
    'tyre': {'rubber': 0.9, 'black': 0.1},
    'hub': {'metal': 0.6, 'grey': 0.2, 'black': 0.2},
    'trim': {'black': 0.35, '=body': 0.45, 'grey': 0.2},
    'light': {'white': 0.5, 'glass': 0.3, 'metal': 0.2},
    'bed': {'=body': 0.6, 'black': 0.3, 'grey': 0.1},
}


def _frustum_band(size, base, top_scale, top_offset, t0, t1, grow):
    """The slab t0..t1 of a tapered box (bottom size (sx, h, sz) standing at base), enlarged by grow."""
    sx, h, sz = size
    def at(t):
        return sx * (1 + t * (top_scale[0] - 1)), sz * (1 + t * (top_scale[1] - 1)), t * top_offset[0]
    bx, bz, bo = at(t0)
    tx, tz, to = at(t1)
    return box((bx + grow, (t1 - t0) * h, bz + grow), (base[0] + bo, base[1] + t0 * h, base[2]),
               base_at_bottom=True, top_scale=((tx + grow) / (bx + grow), (tz + grow) / (bz + grow)),
               top_offset=(to - bo, 0.0))


def build(rng):
    kind = str(rng.choice(KINDS, p=KIND_P))
    big = kind in ('bus', 'truck')
    # buses and trucks stay shorter than 3.3 widths (midibuses, box trucks): the car check wants z >= 0.3 x
    L = {'bus': uniform(rng, 6.5, 8.0), 'truck': uniform(rng, 5.5, 7.6), 'sports': uniform(rng, 4.0, 4.6),
         'hatchback': uniform(rng, 3.6, 4.3), 'pickup': uniform(rng, 5.0, 5.8)}.get(kind, uniform(rng, 4.3, 5.1))
    W = {'bus': 2.5, 'truck': 2.4}.get(kind, uniform(rng, 1.72, 1.95)) * uniform(rng, 0.95, 1.05)
    r = {'bus': 0.5, 'truck': 0.5, 'suv': 0.38, 'pickup': 0.4, 'van': 0.34, 'sports': 0.33}.get(kind, 0.31)
    r *= uniform(rng, 0.92, 1.1)
    clear = r * {'suv': uniform(rng, 0.65, 0.85), 'pickup': uniform(rng, 0.7, 0.9), 'sports': uniform(rng, 0.3, 0.42),
                 'bus': 0.6, 'truck': 0.7}.get(kind, uniform(rng, 0.4, 0.55))
    # total height of the lower body (to the beltline) and of the greenhouse
    belt = {'sports': uniform(rng, 0.8, 0.9), 'coupe': uniform(rng, 0.85, 0.98), 'suv': uniform(rng, 1.05, 1.25),
            'pickup': uniform(rng, 1.05, 1.25), 'van': uniform(rng, 0.95, 1.1), 'bus': uniform(rng, 1.2, 1.6),
            'truck': uniform(rng, 1.0, 1.35)}.get(kind, uniform(rng, 0.88, 1.02))
    cab_h = {'sports': uniform(rng, 0.34, 0.44), 'coupe': uniform(rng, 0.4, 0.5), 'suv': uniform(rng, 0.6, 0.8),
             'pickup': uniform(rng, 0.55, 0.72), 'van': uniform(rng, 0.9, 1.15), 'bus': uniform(rng, 1.3, 1.7),
             'truck': uniform(rng, 0.9, 1.2), 'wagon': uniform(rng, 0.5, 0.6)}.get(kind, uniform(rng, 0.45, 0.58))
    clear = max(clear, L * 0.04)
    belt = max(belt, clear + r * 1.1)
    y0, y1 = clear, belt
    cab_h = min(cab_h, 0.47 * L - y1)   # long and low: height at most half the length
    base_f = L / 2 - L * {'bus': uniform(rng, 0.12, 0.2), 'truck': uniform(rng, 0.1, 0.15), 'van': 0.16}.get(
        kind, uniform(rng, 0.17, 0.22))
    base_r = -L / 2 + L * {'bus': uniform(rng, 0.2, 0.28), 'truck': uniform(rng, 0.15, 0.25)}.get(
        kind, uniform(rng, 0.17, 0.23))
    # --- lower body with wheel arches: a top slab over the whole length and three lower blocks between arches
    arch = r * uniform(rng, 1.08, 1.2)
    arch_top = min(r + arch * 0.85, y1 - 0.08)
    nose = L * (0.015 if big else uniform(rng, 0.03, 0.08))
    tail = L * (0.01 if big else uniform(rng, 0.02, 0.05))
    bonnet_drop = (y1 - arch_top) * (0.0 if big else uniform(rng, 0.1, 0.5))
    upper = [(-L / 2, arch_top), (L / 2, arch_top), (L / 2, y1 - bonnet_drop - (y1 - arch_top) * 0.2),
             (L / 2 - nose, y1 - bonnet_drop * 0.3), (-L / 2 + tail, y1), (-L / 2, y1 - (y1 - arch_top) * 0.15)]
    body = [plate(upper, W)]
    lows = [(-L / 2, base_r - arch), (base_r + arch, base_f - arch), (base_f + arch, L / 2)]
    for k, (xa, xb) in enumerate(lows):
        if xb - xa < 0.05:
            continue
        low = [(xa, y0 + (0.08 if k != 1 else 0.0)), (xb, y0 + (0.08 if k != 1 else 0.0)), (xb, arch_top + 0.01),
               (xa, arch_top + 0.01)]
        if k == 0:
            low = [(xa + tail, y0 + 0.06), (xb, y0 + 0.06), (xb, arch_top + 0.01), (xa, arch_top + 0.01), (xa, y0 + 0.2)]
        if k == 2:
            low = [(xa, y0 + 0.06), (xb - nose, y0 + 0.06), (xb, y0 + 0.25), (xb, arch_top + 0.01), (xa, arch_top + 0.01)]
        body.append(plate(low, W * (0.985 if k != 1 else 0.97)))
    # --- greenhouse
    if kind in ('van', 'bus'):
        front, rear = L / 2 - L * (0.03 if kind == 'bus' else uniform(rng, 0.1, 0.2)), -L / 2 + L * 0.01
        ws, bs = (0.03 if kind == 'bus' else uniform(rng, 0.12, 0.22)) * L, 0.02 * L
    elif kind == 'truck':
        front, rear = L / 2 - 0.02 * L, L / 2 - L * uniform(rng, 0.22, 0.3)
        ws, bs = 0.03 * L, 0.0
    else:
        front = L * {'sports': uniform(rng, 0.1, 0.2), 'suv': uniform(rng, 0.18, 0.26),
                     'pickup': uniform(rng, 0.18, 0.24)}.get(kind, uniform(rng, 0.12, 0.22))
        rear = L * {'hatchback': uniform(rng, -0.47, -0.42), 'wagon': uniform(rng, -0.48, -0.45),
                    'suv': uniform(rng, -0.48, -0.44), 'pickup': uniform(rng, -0.1, 0.0),
                    'sports': uniform(rng, -0.32, -0.2), 'coupe': uniform(rng, -0.36, -0.26)}.get(
                        kind, uniform(rng, -0.36, -0.28))
        cl = front - rear
        ws = cl * {'sports': uniform(rng, 0.4, 0.55), 'coupe': uniform(rng, 0.32, 0.45)}.get(kind, uniform(rng, 0.22, 0.35))
        bs = cl * {'sedan': uniform(rng, 0.2, 0.3), 'sports': uniform(rng, 0.25, 0.4), 'coupe': uniform(rng, 0.3, 0.4),
                   'hatchback': uniform(rng, 0.08, 0.2), 'pickup': 0.03}.get(kind, uniform(rng, 0.02, 0.08))
    cl = front - rear
    cw = W * (uniform(rng, 0.86, 0.94) if not big else 0.98)
    top_sx = max(0.2, (cl - ws - bs) / cl)
    top_sz = uniform(rng, 0.78, 0.9) if not big else 0.96
    top_off = ((bs - ws) / 2, 0.0)
    cab_base = ((front + rear) / 2, y1 - 0.02, 0.0)
    body.append(box((cl, cab_h, cw), cab_base, base_at_bottom=True, top_scale=(top_sx, top_sz), top_offset=top_off))
    glass = [_frustum_band((cl, cab_h, cw), cab_base, (top_sx, top_sz), top_off, 0.12, 0.86 if not big else 0.8,
                           0.03 * (W / 1.8))]
    if kind == 'truck':   # cargo box behind the cab
        bl = (rear - 0.1) - (-L / 2 + 0.05 * 0)
        bh = min(cab_h + uniform(rng, 0.2, 0.8), 0.47 * L - y1)
        body.append(box((bl, bh, W * 1.02), ((rear - 0.1 - L / 2) / 2, y1 - 0.02, 0), base_at_bottom=True))
    bed = []
    if kind == 'pickup':   # open bed: floor at the beltline minus depth, walls around it
        wall_h = uniform(rng, 0.2, 0.32)
        bx0, bx1 = -L / 2 + 0.03, rear - 0.05
        bed.append(box((bx1 - bx0, 0.05, W * 0.98), ((bx0 + bx1) / 2, y1 - 0.02, 0), base_at_bottom=True))
        for sz in (-1, 1):
            bed.append(box((bx1 - bx0, wall_h, 0.07), ((bx0 + bx1) / 2, y1, sz * (W / 2 - 0.035)), base_at_bottom=True))
        bed.append(box((0.07, wall_h, W), (bx0 + 0.035, y1, 0), base_at_bottom=True))
        if rng.random() < 0.3:   # tonneau cover or a canopy over the bed
            ch = 0.03 if rng.random() < 0.5 else cab_h * uniform(rng, 0.6, 0.9) - wall_h
            bed.append(box((bx1 - bx0, max(ch, 0.03), W * 0.98), ((bx0 + bx1) / 2, y1 + wall_h, 0), base_at_bottom=True,
                           top_scale=(0.95, 0.92 if ch > 0.05 else 1.0)))
    if kind in ('sports', 'coupe', 'sedan') and rng.random() < 0.25:   # rear spoiler
        sx = -L / 2 + 0.2
        body.append(box((0.28, 0.04, W * 0.85), (sx, y1 + 0.15, 0)))
        for sz in (-1, 1):
            body.append(box((0.06, 0.15, 0.05), (sx, y1 - 0.01, sz * W * 0.3), base_at_bottom=True))
    if kind == 'suv' and rng.random() < 0.5:   # roof rails
        for sz in (-1, 1):
            body.append(box((cl * top_sx * 0.9, 0.05, 0.05), (cab_base[0] + top_off[0], y1 + cab_h - 0.02,
                                                               sz * cw * top_sz * 0.42), base_at_bottom=True))
    # --- wheels: tyres and hubs, standing a little out of the body's sides
    tyres, hubs = [], []
    wheel_w = uniform(rng, 0.2, 0.3) * (1.2 if big else 1.0)
    axles = [base_r, base_f] + ([base_r + 1.35 * r * 2.2] if kind == 'truck' and rng.random() < 0.5 else [])
    if kind in ('bus', 'truck') and len(axles) == 2 and rng.random() < 0.3:
        axles.append(base_r - 2.4 * r)
    for ax in axles:
        for sz in (-1, 1):
            zo = sz * (W / 2 - wheel_w * 0.45)
            tyres.append(cylinder(r, wheel_w, (ax, r, zo - wheel_w / 2), ROT_X90, segments=18))
            hubs.append(cylinder(r * uniform(rng, 0.5, 0.65), 0.02, (ax, r, zo + sz * wheel_w / 2 - 0.01), ROT_X90,
                                 segments=12))
    # --- lights, bumpers, mirrors
    lights, trim = [], []
    hl_y = y1 - bonnet_drop - (y1 - arch_top) * 0.45
    for sz in (-1, 1):
        lights.append(box((0.04, 0.1 * (W / 1.8), W * 0.18), (L / 2 - 0.005, hl_y, sz * W * 0.36)))
        trim.append(box((0.04, 0.1, W * 0.16), (-L / 2 + 0.005, (arch_top + y1) / 2, sz * W * 0.38)))
    if not big or rng.random() < 0.5:   # grille between the headlights
        trim.append(box((0.03, 0.12 * (W / 1.8) * uniform(rng, 0.8, 1.8), W * uniform(rng, 0.3, 0.45)),
                        (L / 2 - 0.005, hl_y - 0.02, 0)))
    if kind == 'suv' and rng.random() < 0.3:   # spare wheel on the tailgate
        tyres.append(cylinder(r * 0.9, wheel_w * 0.9, (-L / 2 - wheel_w * 0.9 + 0.02, (arch_top + y1) / 2 + 0.1, 0),
                              ROT_Z90, segments=18))
    if rng.random() < 0.7 and not big:
        trim.append(box((0.1, 0.16, W * 1.0), (L / 2 - 0.04, y0 + 0.14, 0)))
        trim.append(box((0.1, 0.16, W * 1.0), (-L / 2 + 0.04, y0 + 0.14, 0)))
    if rng.random() < 0.7:
        for sz in (-1, 1):
            trim.append(box((0.1, 0.09, 0.16), (front - ws * 0.25, y1 + 0.08, sz * (cw / 2 + 0.07))))
    return (tagged('body', *body) + tagged('window', *glass) + tagged('bed', *bed) + tagged('tyre', *tyres) +
            tagged('hub', *hubs) + tagged('light', *lights) + tagged('trim', *trim))
