"""Cars (ShapeNet synset 02958343).

build_v1: the grammar of dataset format version 1, kept as it was so version 1 stays byte-identical.
"""

from datasets.primitives import box, cylinder, plate
from datasets.shapes.common import uniform, ROT_X90, MID

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
