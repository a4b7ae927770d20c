"""Materials of the embedded dataset's objects (format version 2): families, and how an object gets them.

A category module (datasets/embedded/shapes/<category>.py) tags every part with a role (seat, leg, tyre, ...)
and gives MATERIALS: for each role, the families it is drawn from with their weights, e.g.
    {'seat': {'fabric': 0.5, 'wood': 0.3, 'leather': 0.2}, 'leg': {'=seat': 0.4, 'metal': 0.3, 'black': 0.3}}
where '=seat' means "the same material as the seat". One material is drawn per role and object, so the
four legs of a chair match. Roles a scheme does not name take the scheme's 'body'.

The families are the kinds of surface ShapeNet models are textured with: neutral greys, whites and
blacks, wood browns with grain, fabrics (mostly muted, some saturated), leather, metals (light grey,
glossy), saturated paints (cars, boats), plastics, dark glass, rubber, screens and lamp shades. Their
ranges are set by hand from what such materials look like (hue, saturation and value in HSV; gloss),
not fitted to any real model's pixels. Two statistics were matched in aggregate, by hand, to the real
renderings `./run.sh coverage` reads (../shared/data/real-eval): overall brightness (revision 2 made
the palette paler) and the share of clearly coloured pixels (revision 3 made wood and fabrics a little
less saturated and chairs more often neutral grey, white or black, as most ShapeNet chairs are).
"""
import colorsys

import numpy as np

from lib.rendering.render import AMBIENT, LIGHTS
from lib.rendering.shading import Material, Surface, rotate_light

LIGHT_JITTER_DEG = 8.0      # lights turned by up to this much per object (azimuth and elevation)
AMBIENT_JITTER = 0.08       # relative


def _hsv(rng, hue, sat, val):
    """RGB of a colour drawn uniformly in HSV boxes (hue in degrees, may wrap)."""
    h = (rng.uniform(*hue) % 360.0) / 360.0
    return tuple(float(c) for c in colorsys.hsv_to_rgb(h, rng.uniform(*sat), rng.uniform(*val)))


def _any_hue(rng, sat, val):
    return _hsv(rng, (0.0, 360.0), sat, val)


def _grey(rng, val, tint=0.04):
    return _hsv(rng, (0.0, 360.0), (0.0, tint), val)


def _axis(rng):
    """A grain direction: mostly along a main axis of the object (how boards are cut)."""
    axis = np.zeros(3)
    axis[rng.integers(3)] = 1.0
    axis += rng.normal(0, 0.08, 3)
    return tuple(float(a) for a in axis / np.linalg.norm(axis))


def _material(rng, colour, texture='none', period=(0.05, 0.15), contrast=(0.0, 0.0), gloss=(0.0, 0.0),
              shininess=(10.0, 40.0)):
    return Material(colour=colour, texture=texture, texture_period=float(rng.uniform(*period)),
                    texture_contrast=float(rng.uniform(*contrast)), texture_axis=_axis(rng),
                    texture_seed=int(rng.integers(1 << 30)), gloss=float(rng.uniform(*gloss)),
                    shininess=float(rng.uniform(*shininess)))


def _grey_family(rng):
    return _material(rng, _grey(rng, (0.45, 0.9)), gloss=(0.0, 0.15))


def _white(rng):
    return _material(rng, _grey(rng, (0.85, 1.0), tint=0.08), gloss=(0.0, 0.2))


def _black(rng):
    return _material(rng, _grey(rng, (0.06, 0.22)), gloss=(0.05, 0.3))


def _wood(rng):
    colour = _hsv(rng, (18.0, 40.0), (0.12, 0.40), (0.4, 0.9))
    return _material(rng, colour, 'grain', period=(0.03, 0.09), contrast=(0.08, 0.25), gloss=(0.0, 0.2))


def _fabric(rng):
    if rng.random() < 0.8:
        colour = _any_hue(rng, (0.03, 0.25), (0.35, 0.9))
    else:
        colour = _any_hue(rng, (0.35, 0.8), (0.35, 0.9))
    texture = 'weave' if rng.random() < 0.6 else 'noise'
    return _material(rng, colour, texture, period=(0.01, 0.03), contrast=(0.03, 0.12))


def _leather(rng):
    kind = rng.integers(4)
    colour = (_grey(rng, (0.04, 0.2)), _hsv(rng, (15.0, 35.0), (0.4, 0.75), (0.25, 0.6)),
              _grey(rng, (0.8, 0.95), 0.1), _hsv(rng, (350.0, 370.0), (0.5, 0.85), (0.35, 0.7)))[kind]
    return _material(rng, colour, 'noise', period=(0.02, 0.06), contrast=(0.02, 0.08), gloss=(0.1, 0.35),
                     shininess=(8.0, 25.0))


def _metal(rng):
    colour = _grey(rng, (0.55, 0.9), 0.05) if rng.random() < 0.75 else _grey(rng, (0.25, 0.5), 0.05)
    return _material(rng, colour, gloss=(0.3, 0.8), shininess=(25.0, 80.0))


def _paint(rng):
    r = rng.random()
    if r < 0.65:
        colour = _any_hue(rng, (0.5, 0.95), (0.35, 0.95))
    elif r < 0.8:
        colour = _grey(rng, (0.85, 1.0))
    elif r < 0.9:
        colour = _grey(rng, (0.04, 0.18))
    else:
        colour = _grey(rng, (0.55, 0.8))
    return _material(rng, colour, gloss=(0.3, 0.7), shininess=(30.0, 90.0))


def _plastic(rng):
    colour = _any_hue(rng, (0.0, 0.8), (0.2, 0.95))
    return _material(rng, colour, gloss=(0.1, 0.45), shininess=(15.0, 50.0))


def _glass(rng):
    colour = _hsv(rng, (190.0, 230.0), (0.05, 0.35), (0.12, 0.35))
    return _material(rng, colour, gloss=(0.5, 0.9), shininess=(50.0, 120.0))


def _rubber(rng):
    return _material(rng, _grey(rng, (0.04, 0.12)), gloss=(0.0, 0.08))


def _screen(rng):
    return _material(rng, _hsv(rng, (200.0, 240.0), (0.0, 0.3), (0.02, 0.12)), gloss=(0.4, 0.8),
                     shininess=(40.0, 100.0))


def _shade(rng):   # lamp shades and bulbs: light, warm, matte, sometimes coloured
    if rng.random() < 0.75:
        colour = _hsv(rng, (30.0, 60.0), (0.0, 0.25), (0.8, 1.0))
    else:
        colour = _any_hue(rng, (0.3, 0.8), (0.5, 0.95))
    return _material(rng, colour, 'weave' if rng.random() < 0.4 else 'none', period=(0.01, 0.03),
                     contrast=(0.02, 0.06))


FAMILIES = {
    'grey': _grey_family, 'white': _white, 'black': _black, 'wood': _wood, 'fabric': _fabric,
    'leather': _leather, 'metal': _metal, 'paint': _paint, 'plastic': _plastic, 'glass': _glass,
    'rubber': _rubber, 'screen': _screen, 'shade': _shade,
}


def sample_material(rng, family):
    if family not in FAMILIES:
        raise ValueError(f'unknown material family {family!r} (known: {", ".join(FAMILIES)})')
    return FAMILIES[family](rng)


def check_scheme(scheme):
    """A category's MATERIALS: every role draws from known families or from another role, weights > 0."""
    if 'body' not in scheme:
        raise ValueError("a material scheme needs a 'body' role (the default of untagged parts)")
    for role, choices in scheme.items():
        if not choices or any(w <= 0 for w in choices.values()):
            raise ValueError(f'role {role!r}: needs choices with positive weights')
        for name in choices:
            if name.startswith('='):
                target = scheme.get(name[1:])
                if target is None or name[1:] == role:
                    raise ValueError(f'role {role!r}: {name!r} names no other role of the scheme')
                if any(t.startswith('=') for t in target):   # one level only: no chains, no cycles
                    raise ValueError(f'role {role!r}: {name!r} refers to a role that refers to another')
            elif name not in FAMILIES:
                raise ValueError(f'role {role!r}: unknown material family {name!r}')


def _draw(rng, choices):
    names = sorted(choices)
    weights = np.array([choices[n] for n in names], dtype=np.float64)
    return names[int(rng.choice(len(names), p=weights / weights.sum()))]


def role_materials(roles, scheme, rng):
    """{role: Material} for the roles an object has; roles sorted, so the draws do not depend on order."""
    check_scheme(scheme)
    chosen = {}

    def pick(role):
        if role not in chosen:
            name = _draw(rng, scheme.get(role, scheme['body']))
            chosen[role] = pick(name[1:]) if name.startswith('=') else sample_material(rng, name)
        return chosen[role]

    return {role: pick(role) for role in sorted(set(roles))}


def object_surface(parts, scheme, rng):
    """The Surface of an object's merged mesh (datasets.embedded.primitives.merge_meshes order)."""
    by_role = role_materials([p.role for p in parts], scheme, rng)
    roles = sorted(by_role)
    face_material = np.concatenate([np.full(len(p.faces), roles.index(p.role)) for p in parts])
    lights = tuple(rotate_light(light, rng.uniform(-LIGHT_JITTER_DEG, LIGHT_JITTER_DEG),
                                rng.uniform(-LIGHT_JITTER_DEG / 2, LIGHT_JITTER_DEG / 2)) for light in LIGHTS)
    ambient = AMBIENT * float(rng.uniform(1 - AMBIENT_JITTER, 1 + AMBIENT_JITTER))
    return Surface(tuple(by_role[r] for r in roles), face_material, lights, ambient)
