"""Watercrafts (ShapeNet synset 04530566).

build_v1: the grammar of dataset format version 1, kept as it was so version 1 stays byte-identical.
"""

from datasets.primitives import box, cylinder, ellipsoid, plate, prism, tube
from datasets.shapes.common import uniform, DARK, MID, LIGHT

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
