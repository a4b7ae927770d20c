"""Rifles (ShapeNet synset 04090263).

build_v1: the grammar of dataset format version 1, kept as it was so version 1 stays byte-identical.
"""

from datasets.primitives import box, cylinder, plate, rotation, tube
from datasets.shapes.common import uniform, ROT_Z90, DARK

SYNSET = '04090263'


def build_v1(rng):
    parts = []
    L = 1.0
    rec_len, rec_h, width = L * uniform(rng, 0.18, 0.28), L * uniform(rng, 0.055, 0.085), L * uniform(rng, 0.035, 0.05)
    rec_x0 = -L * uniform(rng, 0.12, 0.2)            # rear of the receiver
    rec_x1 = rec_x0 + rec_len
    parts.append(box((rec_len, rec_h, width), ((rec_x0 + rec_x1) / 2, 0, 0), base_at_bottom=True))
    barrel_r = L * uniform(rng, 0.011, 0.016)
    muzzle = L / 2
    bore_y = rec_h * uniform(rng, 0.55, 0.75)
    parts.append(tube([rec_x1, bore_y, 0], [muzzle, bore_y, 0], barrel_r, segments=10))
    if rng.random() < 0.75:   # handguard around the barrel
        hg_len = (muzzle - rec_x1) * uniform(rng, 0.35, 0.7)
        parts.append(box((hg_len, rec_h * uniform(rng, 0.6, 0.9), width * 0.95), (rec_x1 + hg_len / 2, bore_y - rec_h * 0.35, 0),
                         base_at_bottom=False))
    # stock: a side profile from the receiver's rear to the butt
    butt_x = -L / 2
    drop = rec_h * uniform(rng, 0.0, 0.8)
    butt_h = L * uniform(rng, 0.09, 0.14)
    stock = [(rec_x0 + 0.01, rec_h), (rec_x0 + 0.01, rec_h * 0.1), (butt_x, rec_h - drop - butt_h),
             (butt_x, rec_h - drop)]
    parts.append(plate(stock, width * 0.9))
    # pistol grip and trigger guard
    grip_rot = rotation('z', -uniform(rng, 10, 25))
    parts.append(box((L * 0.04, L * 0.1, width * 0.85), (rec_x0 + rec_len * 0.25, 0.005, 0), grip_rot @ rotation('z', 180),
                     base_at_bottom=True))
    parts.append(box((L * 0.06, 0.008, width * 0.5), (rec_x0 + rec_len * 0.45, -L * 0.035, 0)))
    if rng.random() < 0.7:   # magazine
        mag_rot = rotation('z', uniform(rng, -15, 5)) @ rotation('z', 180)
        parts.append(box((L * 0.045, L * uniform(rng, 0.08, 0.16), width * 0.7), (rec_x0 + rec_len * 0.7, 0.005, 0), mag_rot,
                         base_at_bottom=True, albedo=DARK))
    if rng.random() < 0.5:   # scope on two rings
        sr = L * uniform(rng, 0.015, 0.022)
        sl = rec_len * uniform(rng, 1.0, 1.4)
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
