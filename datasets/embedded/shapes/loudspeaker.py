"""Loudspeakers (ShapeNet synset 03691459).

build_v1: the grammar of dataset format version 1, kept as it was so version 1 stays byte-identical.
"""

from datasets.embedded.primitives import box, cylinder
from datasets.embedded.shapes.common import uniform, ROT_Z90, DARK, MID

SYNSET = '03691459'


def build_v1(rng):
    parts = []
    kind = rng.choice(['bookshelf', 'tower', 'cube'], p=[0.45, 0.4, 0.15])
    if kind == 'tower':
        width, height, depth = uniform(rng, 0.18, 0.3), uniform(rng, 0.8, 1.1), uniform(rng, 0.22, 0.35)
    elif kind == 'cube':
        s = uniform(rng, 0.3, 0.45)
        width, height, depth = s, s * uniform(rng, 0.9, 1.1), s
    else:
        width, height, depth = uniform(rng, 0.15, 0.28), uniform(rng, 0.25, 0.4), uniform(rng, 0.18, 0.3)
    foot = uniform(rng, 0.02, 0.05) if (kind == 'tower' and rng.random() < 0.6) else 0.0
    taper = uniform(rng, 0.75, 1.0) if rng.random() < 0.25 else 1.0
    parts.append(box((depth, height, width), (0, foot, 0), base_at_bottom=True, top_scale=(1.0, taper)))
    if foot:
        parts.append(box((depth + 0.06, foot, width + 0.06), (0, 0, 0), base_at_bottom=True, albedo=MID))
    front = depth / 2
    # drivers from the top: a tweeter, then one to three woofers
    y = foot + height - 0.02
    n_woofers = 1 if kind != 'tower' else int(rng.integers(1, 4))
    sizes = [uniform(rng, 0.15, 0.22)] + [uniform(rng, 0.3, 0.42)] * n_woofers
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


# ---------------------------------------------------------------------------------------- version 2
from datasets.embedded.shapes.common import tagged   # noqa: E402

MATERIALS = {
    'body': {'black': 0.45, 'wood': 0.25, 'grey': 0.1, 'white': 0.1, 'metal': 0.04, 'paint': 0.06},
    'driver': {'black': 0.6, 'grey': 0.2, 'metal': 0.2},
    'foot': {'=body': 0.5, 'black': 0.3, 'metal': 0.2},
}


def _roles(parts, foot):
    """Tag v1-style parts: the cabinet, its foot (second part when present), the drivers."""
    out = tagged('body', parts[0])
    rest = parts[1:]
    if foot:
        out += tagged('foot', rest[0])
        rest = rest[1:]
    return out + tagged('driver', *rest)


def build(rng):
    if rng.random() < 0.2:   # subwoofer: a low, deep cube with one big driver
        s = uniform(rng, 0.3, 0.5)
        width, height, depth = s * uniform(rng, 0.9, 1.1), s * uniform(rng, 0.95, 1.15), s * uniform(rng, 0.9, 1.2)
        depth, width = min(depth, height), min(width, height)
        parts = tagged('body', box((depth, height, width), (0, 0, 0), base_at_bottom=True))
        r = min(width, height) * uniform(rng, 0.3, 0.42)
        parts += tagged('driver', cylinder(r, 0.015, (depth / 2 - 0.005, height / 2, 0), ROT_Z90, segments=24, albedo=DARK),
                        cylinder(r * 0.7, 0.03, (depth / 2, height / 2, 0), ROT_Z90, top_radius=r * 0.25, segments=20,
                                 albedo=DARK * 0.8))
        if rng.random() < 0.5:
            parts += tagged('foot', *[cylinder(0.02, 0.02, (sx * depth * 0.4, -0.02, sz * width * 0.4), segments=8)
                                      for sx in (-1, 1) for sz in (-1, 1)])
        return parts
    parts = build_v1(rng)
    foot = len(parts) > 1 and parts[1].albedo == MID
    return _roles(parts, foot)
