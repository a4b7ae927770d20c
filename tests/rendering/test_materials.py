"""Materials of the embedded dataset v2 (datasets/embedded/materials.py, lib/rendering/shading.py): every family draws
colours in its range, deterministically; schemes are checked; textures and highlights shade as meant."""
import colorsys

import numpy as np
import pytest

from datasets.embedded.materials import FAMILIES, check_scheme, object_surface, role_materials, sample_material
from datasets.embedded.primitives import box
from datasets.embedded.shapes import CATEGORY_MODULES
from lib.rendering.render import AMBIENT, LIGHTS, Camera, render_mesh
from lib.rendering.shading import TEXTURES, Material, Surface, shade_rgb, texture_pattern, value_noise


def _hsv(material):
    return colorsys.rgb_to_hsv(*material.colour)


def test_every_family_is_deterministic_and_in_range():
    for family in FAMILIES:
        a = [sample_material(np.random.default_rng(k), family) for k in range(40)]
        b = [sample_material(np.random.default_rng(k), family) for k in range(40)]
        assert a == b, family
        for m in a:
            assert all(0.0 <= c <= 1.0 for c in m.colour), family
            assert 0.0 <= m.gloss <= 1.0 and 0.0 <= m.texture_contrast < 1.0 and m.texture in TEXTURES
            assert abs(np.linalg.norm(m.texture_axis) - 1) < 1e-9
        assert len({m.colour for m in a}) == 40, f'{family}: colours vary'


@pytest.mark.parametrize('family, check', [
    ('black', lambda h, s, v: v <= 0.22),
    ('white', lambda h, s, v: v >= 0.85 and s <= 0.08),
    ('rubber', lambda h, s, v: v <= 0.12),
    ('wood', lambda h, s, v: 18 / 360 - 1e-9 <= h <= 40 / 360 + 1e-9 and s >= 0.12),
    ('grey', lambda h, s, v: s <= 0.04),
])
def test_families_look_like_their_names(family, check):
    for k in range(30):
        assert check(*_hsv(sample_material(np.random.default_rng(k), family))), family


def test_paint_and_fabric_are_often_saturated_and_metal_is_glossy():
    paint = [_hsv(sample_material(np.random.default_rng(k), 'paint'))[1] for k in range(200)]
    assert 0.5 < np.mean(np.array(paint) > 0.25) < 0.8
    metal = [sample_material(np.random.default_rng(k), 'metal').gloss for k in range(50)]
    assert min(metal) >= 0.3


def test_every_category_has_a_valid_scheme_and_roles_get_shared_materials():
    for module in CATEGORY_MODULES:
        check_scheme(module.MATERIALS)
    scheme = {'body': {'grey': 1}, 'leg': {'=seat': 1}, 'seat': {'fabric': 1}}
    chosen = role_materials(['leg', 'seat', 'leg', 'arm'], scheme, np.random.default_rng(0))
    assert chosen['leg'] is chosen['seat']
    assert set(chosen) == {'arm', 'leg', 'seat'}


@pytest.mark.parametrize('scheme, message', [
    ({'seat': {'wood': 1}}, "needs a 'body'"),
    ({'body': {'gold': 1}}, 'unknown material family'),
    ({'body': {'wood': 1}, 'leg': {'=arm': 1}}, 'names no other role'),
    ({'body': {'wood': 1}, 'a': {'=b': 1}, 'b': {'=body': 1}}, 'refers to a role that refers'),
    ({'body': {'wood': 0}}, 'positive weights'),
])
def test_bad_schemes_are_refused(scheme, message):
    with pytest.raises(ValueError, match=message):
        check_scheme(scheme)


def test_surface_follows_the_parts_and_jitters_the_lights_a_little():
    parts = [box((1, 0.1, 1), (0, 0.5, 0)), box((0.1, 1, 0.1), (0, 0, 0))]
    parts[1].role = 'leg'
    surface = object_surface(parts, {'body': {'wood': 1}, 'leg': {'black': 1}}, np.random.default_rng(3))
    assert len(surface.face_material) == sum(len(p.faces) for p in parts)
    legs = surface.face_material[len(parts[0].faces):]
    assert len(set(legs)) == 1 and surface.materials[legs[0]].colour != surface.materials[surface.face_material[0]].colour
    for light, base in zip(surface.lights, LIGHTS):
        angle = np.degrees(np.arccos(np.clip(light @ base, -1, 1)))
        assert 0 < angle < 12
    assert 0.9 * AMBIENT < surface.ambient < 1.1 * AMBIENT


def test_textures_vary_and_are_bounded():
    points = np.random.default_rng(0).uniform(-0.5, 0.5, (2000, 3))
    noise = value_noise(points * 7)
    assert -1 <= noise.min() and noise.max() <= 1 and noise.std() > 0.1
    for texture in TEXTURES[1:]:
        m = Material((0.5, 0.4, 0.3), texture, texture_period=0.05, texture_contrast=0.2)
        p = texture_pattern(m, points)
        assert np.all(np.abs(p) <= 1.0 + 1e-9) and p.std() > 0.05, texture
    assert np.all(texture_pattern(Material((0.5, 0.5, 0.5)), points) == 0)


def test_highlight_brightens_only_glossy_materials_and_colour_shows():
    normals = np.tile([0.0, 1.0, 0.0], (1, 1))
    light = np.array(LIGHTS[0])
    view = light - 2 * (light @ normals[0]) * normals[0]   # camera -> point along the mirror ray: peak highlight
    matte = Material((0.8, 0.1, 0.1))
    glossy = Material((0.8, 0.1, 0.1), gloss=0.6, shininess=30)
    out = [shade_rgb(Surface((m,), np.zeros(1, int), LIGHTS, AMBIENT), np.zeros(1, int), np.zeros((1, 3)),
                     normals, view[None]) for m in (matte, glossy)]
    assert out[0][0, 0] > 3 * out[0][0, 1]            # red stays red
    assert out[1][0].sum() > out[0][0].sum()          # the highlight adds light


def test_a_coloured_rendering_keeps_the_silhouette_of_the_grey_one():
    part = box((0.5, 0.3, 0.4), (0, 0, 0))
    surface = Surface((Material((0.2, 0.4, 0.9), 'stripes', 0.05, 0.2),), np.zeros(len(part.faces), int),
                      LIGHTS, AMBIENT)
    cam = Camera(30, 27, 0.8)
    grey = render_mesh(part.vertices, part.faces, cam)
    colour = render_mesh(part.vertices, part.faces, cam, surface=surface)
    np.testing.assert_array_equal(grey[..., 3], colour[..., 3])
    opaque = colour[..., 3] == 255
    assert colour[opaque][:, 2].mean() > colour[opaque][:, 0].mean() + 40   # blue
