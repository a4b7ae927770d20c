"""Sofas (ShapeNet synset 04256520).

build_v1: the grammar of dataset format version 1, kept as it was so version 1 stays byte-identical.
"""

from datasets.primitives import box, cylinder, rotation
from datasets.shapes.common import uniform, ROT_Z90, DARK

SYNSET = '04256520'


def build_v1(rng):
    parts = []
    length, depth = uniform(rng, 1.3, 2.4), uniform(rng, 0.75, 1.0)
    leg_h = uniform(rng, 0.03, 0.15) if rng.random() < 0.6 else 0.0
    seat_h = uniform(rng, 0.36, 0.46)
    cushion_t = uniform(rng, 0.08, 0.16)
    base_top = seat_h - cushion_t
    arm_w = uniform(rng, 0.1, 0.25) if rng.random() < 0.85 else 0.0
    back_t = uniform(rng, 0.15, 0.28)
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
    back_h = uniform(rng, 0.3, 0.5)
    tilt = rotation('z', uniform(rng, 0, 12))
    parts.append(box((back_t, back_h + cushion_t, length), (-depth / 2 + back_t / 2, base_top, 0), tilt,
                     base_at_bottom=True))
    if rng.random() < 0.4:   # back cushions
        for k in range(n):
            z = -inner / 2 + cw / 2 + k * (cw + gap)
            parts.append(box((0.12, back_h * 0.8, cw), (-depth / 2 + back_t + 0.05, seat_h, z),
                             tilt, base_at_bottom=True))
    if arm_w > 0:
        arm_top = seat_h + uniform(rng, 0.08, 0.25)
        rounded = rng.random() < 0.4
        for sz in (-1, 1):
            z = sz * (length / 2 - arm_w / 2)
            parts.append(box((depth, arm_top - leg_h, arm_w), (0, leg_h, z), base_at_bottom=True))
            if rounded:
                parts.append(cylinder(arm_w * 0.6, depth, (-depth / 2, arm_top, z), ROT_Z90,
                                      radius_z=arm_w * 0.5, segments=16))
    if rng.random() < 0.15:   # chaise: an extension of the seat towards the front at one end
        sz = rng.choice([-1, 1])
        ext = uniform(rng, 0.5, 0.8)
        z = sz * (length / 2 - arm_w - 0.35)
        parts.append(box((ext, base_top - leg_h, 0.7), (depth / 2 + ext / 2 - 0.01, leg_h, z), base_at_bottom=True))
        parts.append(box((ext, cushion_t, 0.68), (depth / 2 + ext / 2 - 0.01, base_top, z), base_at_bottom=True))
    return parts
