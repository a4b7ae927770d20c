"""Helpers shared by the category grammars: uniform draws, legs, rotations, relative albedos."""

import numpy as np

from datasets.embedded.primitives import rotation, tube

ROT_X90 = rotation('x', 90)     # local y -> +z  (a cylinder lying along z: wheels)
ROT_Z90 = rotation('z', -90)    # local y -> +x  (a cylinder lying along x: fuselages, barrels)
DARK, MID, LIGHT = 0.45, 0.75, 1.1   # relative albedos of parts


def uniform(rng, lo, hi):
    return float(rng.uniform(lo, hi))


def square_leg(p0, p1, side, albedo=1.0):
    """A leg of square section between two points."""
    return tube(p0, p1, side / np.sqrt(2.0), segments=4, albedo=albedo, phase=np.pi / 4)


def leg(rng_style, p0, p1, thickness):
    return square_leg(p0, p1, thickness) if rng_style == 'square' else tube(p0, p1, thickness / 2)




def tagged(role, *parts):
    """The parts with their role set (a role picks a part's material; parts of one role share it)."""
    for p in parts:
        p.role = role
    return list(parts)
