"""The original's train/test preprocessing, image loading, and the photo-background option."""
import re

import numpy as np
import pytest
from PIL import Image

from lib.config import get_default_config
from lib.data_augmentation import (load_backgrounds, load_image, preprocess_test, preprocess_train,
                                   split_alpha)
from lib.data_io import DataError


def coordinate_image(alpha=True):
    """137x137 with R = row, G = column, B = 100: a pixel of the output tells where it came from."""
    rows, cols = np.mgrid[0:137, 0:137]
    channels = [rows, cols, np.full_like(rows, 100)] + ([np.full_like(rows, 255)] if alpha else [])
    return np.stack(channels, axis=-1).astype(np.uint8)


def source_of(out):
    """(top, left, flipped) of a preprocessed coordinate image."""
    pixels = np.rint(out * 255).astype(int)
    top, first, second = pixels[0, 0, 0], pixels[0, 0, 1], pixels[0, 1, 1]
    flipped = second < first
    return top, first - 126 if flipped else first, flipped


@pytest.fixture
def cfg():
    return get_default_config()


@pytest.fixture(scope='module')
def real_rendering(shapenet_sample):
    return load_image(next(shapenet_sample.glob('ShapeNetRendering/03001627/*/rendering/00.png')))


def test_output_is_float32_127_in_unit_range(cfg, real_rendering):
    for seed in range(5):
        out = preprocess_train(real_rendering, np.random.default_rng(seed), cfg)
        assert out.shape == (127, 127, 3) and out.dtype == np.float32
        assert 0.0 <= out.min() and out.max() <= 1.0
    out = preprocess_test(real_rendering, cfg)
    assert out.shape == (127, 127, 3) and out.dtype == np.float32


def test_crop_offsets_and_flip_as_the_original(cfg):
    image = coordinate_image()
    seen = [source_of(preprocess_train(image, np.random.default_rng(seed), cfg)) for seed in range(300)]
    tops, lefts, flips = zip(*seen)
    # the original draws randint(0, PAD): offsets 0..9, never 10
    assert set(tops) == set(range(10)) and set(lefts) == set(range(10))
    assert 0.4 < np.mean(flips) < 0.6
    # the flip mirrors the crop: column c of a flipped output is column 126 - c of the crop
    out = next(preprocess_train(image, np.random.default_rng(s), cfg) for s, v in enumerate(seen) if v[2])
    top, left, _ = source_of(out)
    expected = image[top:top + 127, left:left + 127, :3][:, ::-1] / 255
    assert np.allclose(out, expected, atol=1e-6)


def test_no_crop_no_flip_when_disabled(cfg):
    cfg.TRAIN.RANDOM_CROP = False
    cfg.TRAIN.FLIP = False
    for seed in range(20):
        out = preprocess_train(coordinate_image(), np.random.default_rng(seed), cfg)
        assert source_of(out) == (5, 5, False)


def test_transparent_pixels_get_one_colour_in_range_others_keep_their_rgb(cfg):
    cfg.TRAIN.RANDOM_CROP = False       # centre crop: output (i, j) is input (i + 5, j + 5)
    cfg.TRAIN.FLIP = False
    image = coordinate_image()
    image[:, :60, 3] = 0                # transparent left part (rgb kept underneath, like the real ones)
    image[:, 60:64, 3] = 128            # partially transparent edge
    colours = []
    for seed in range(60):
        out = np.rint(preprocess_train(image, np.random.default_rng(seed), cfg) * 255).astype(int)
        background = out[:, :55].reshape(-1, 3)
        assert (background == background[0]).all()            # one colour per image
        colours.append(background[0])
        assert np.array_equal(out[:, 55:], image[5:132, 60:132, :3])  # partial and opaque: own rgb
    colours = np.array(colours)
    assert colours.min() >= 225 and colours.max() <= 255
    assert colours.min() <= 230 and colours.max() >= 250        # the whole range is used
    assert len({tuple(c) for c in colours}) > 50                # channels drawn independently


def test_custom_colour_range(cfg):
    cfg.TRAIN.NO_BG_COLOR_RANGE = [[0, 0], [10, 10], [20, 21]]
    image = coordinate_image()
    image[..., 3] = 0
    out = np.rint(preprocess_train(image, np.random.default_rng(1), cfg) * 255).astype(int)
    assert out[0, 0, 0] == 0 and out[0, 0, 1] == 10 and out[0, 0, 2] in (20, 21)


def test_real_rendering_background(cfg, real_rendering):
    cfg.TRAIN.RANDOM_CROP = False
    cfg.TRAIN.FLIP = False
    alpha = real_rendering[5:132, 5:132, 3]
    assert (alpha == 0).any() and (alpha == 255).any()
    out = np.rint(preprocess_train(real_rendering, np.random.default_rng(3), cfg) * 255).astype(int)
    background = out[alpha == 0]
    assert (background == background[0]).all() and (background[0] >= 225).all()
    assert np.array_equal(out[alpha > 0], real_rendering[5:132, 5:132, :3][alpha > 0])


def test_test_preprocessing_background_240_centre_crop(cfg, real_rendering):
    out = preprocess_test(real_rendering, cfg)
    assert np.array_equal(out, preprocess_test(real_rendering, cfg))
    alpha = real_rendering[5:132, 5:132, 3]
    assert np.all(out[alpha == 0] == np.float32(240) / np.float32(255))
    assert np.array_equal(np.rint(out[alpha > 0] * 255), real_rendering[5:132, 5:132, :3][alpha > 0])
    assert source_of(preprocess_test(coordinate_image(), cfg)) == (5, 5, False)


def test_seed_reproduces_the_augmentation(cfg, real_rendering):
    a = preprocess_train(real_rendering, np.random.default_rng(42), cfg)
    b = preprocess_train(real_rendering, np.random.default_rng(42), cfg)
    assert np.array_equal(a, b)
    others = [preprocess_train(real_rendering, np.random.default_rng(s), cfg) for s in range(5)]
    assert sum(np.array_equal(a, o) for o in others) <= 1


def test_rgb_without_alpha_is_cropped_untouched(cfg):
    image = coordinate_image(alpha=False)
    image[:, :, 2] = 0                        # black stays black: no alpha, nothing is background
    out = preprocess_train(image, np.random.default_rng(0), cfg)
    top, left, flipped = source_of(out)
    crop = image[top:top + 127, left:left + 127]
    assert np.allclose(out, (crop[:, ::-1] if flipped else crop) / 255, atol=1e-6)
    assert np.allclose(preprocess_test(image, cfg), image[5:132, 5:132] / 255, atol=1e-6)


def test_grey_images(cfg):
    grey = np.arange(137 * 137, dtype=np.uint32).reshape(137, 137) % 256
    out = preprocess_test(grey.astype(np.uint8), cfg)
    assert np.array_equal(out[..., 0], out[..., 1]) and np.array_equal(out[..., 0], out[..., 2])
    assert np.allclose(out[..., 0], grey[5:132, 5:132] / 255, atol=1e-6)
    grey_alpha = np.stack([grey, np.where(grey < 128, 0, 255)], axis=-1).astype(np.uint8)
    out = np.rint(preprocess_test(grey_alpha, cfg) * 255)
    assert np.all(out[grey[5:132, 5:132] < 128] == 240)
    rgb, alpha = split_alpha(grey_alpha)
    assert rgb.shape == (137, 137, 3) and alpha.shape == (137, 137)


def test_too_small_image_is_a_data_error(cfg):
    with pytest.raises(DataError, match='smaller than the 127x127 crop'):
        preprocess_test(np.zeros((100, 137, 4), np.uint8), cfg)


# ---- load_image ----

def test_load_real_png(shapenet_sample):
    image = load_image(next(shapenet_sample.glob('ShapeNetRendering/*/*/rendering/05.png')))
    assert image.shape == (137, 137, 4) and image.dtype == np.uint8


def test_load_grey_and_grey_alpha_png(tmp_path):
    Image.fromarray(np.full((20, 30), 7, np.uint8)).save(tmp_path / 'l.png')
    Image.fromarray(np.full((20, 30, 2), 7, np.uint8), mode='LA').save(tmp_path / 'la.png')
    assert load_image(tmp_path / 'l.png').shape == (20, 30, 3)
    image = load_image(tmp_path / 'la.png')
    assert image.shape == (20, 30, 4) and (image == 7).all()


def test_load_errors_name_the_file(shapenet_sample, tmp_path):
    raw = next(shapenet_sample.glob('ShapeNetRendering/*/*/rendering/00.png')).read_bytes()
    cases = {
        'truncated.png': (raw[:len(raw) // 2], 'unreadable image'),
        'jpeg.png': (None, r'not a PNG image \(JPEG data\)'),
        'noise.png': (bytes(range(256)) * 4, r'not an image'),
        'empty.png': (b'', r'not an image'),
    }
    for name, (content, problem) in cases.items():
        path = tmp_path / name
        if content is None:
            Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(path, format='JPEG')
        else:
            path.write_bytes(content)
        with pytest.raises(DataError, match=f'^{re.escape(str(path))}: {problem}'):
            load_image(path)
    with pytest.raises(DataError, match=f'^{re.escape(str(tmp_path / "absent.png"))}: image file missing'):
        load_image(tmp_path / 'absent.png')
    assert load_image(tmp_path / 'jpeg.png', formats=None).shape == (8, 8, 3)


# ---- photo backgrounds (the paper's random PASCAL crops) ----

def transparent_image():
    image = coordinate_image()
    image[..., 3] = 0
    return image


def test_default_backgrounds_are_scikit_image_photos(cfg):
    photos = load_backgrounds(cfg)
    assert len(photos) >= 8
    for photo in photos:
        assert photo.dtype == np.uint8 and photo.ndim == 3 and photo.shape[2] == 3
        assert min(photo.shape[:2]) >= 137


def test_photo_background_is_a_crop_of_the_photo(cfg, tmp_path):
    rows, cols = np.mgrid[0:200, 0:250]
    photo = np.stack([rows, cols % 256, np.full_like(rows, 9)], axis=-1).astype(np.uint8)
    (tmp_path / 'photos').mkdir()
    Image.fromarray(photo).save(tmp_path / 'photos' / 'gradient.png')
    cfg.TRAIN.RANDOM_BACKGROUND = True
    cfg.TRAIN.SIMPLE_BACKGROUND_RATIO = 0.0
    cfg.TRAIN.BACKGROUND_PATH = str(tmp_path / 'photos')
    cfg.TRAIN.FLIP = False
    out = np.rint(preprocess_train(transparent_image(), np.random.default_rng(5), cfg) * 255).astype(int)
    top, left = out[0, 0, 0], out[0, 0, 1]
    assert np.array_equal(out, photo[top:top + 127, left:left + 127])


def test_simple_background_ratio(cfg):
    cfg.TRAIN.RANDOM_BACKGROUND = True
    image = transparent_image()

    def is_photo(seed):
        out = preprocess_train(image, np.random.default_rng(seed), cfg)
        return np.ptp(out, axis=(0, 1)).max() > 0   # a simple background is one flat colour

    cfg.TRAIN.SIMPLE_BACKGROUND_RATIO = 1.0
    assert not any(is_photo(s) for s in range(20))
    cfg.TRAIN.SIMPLE_BACKGROUND_RATIO = 0.0
    assert all(is_photo(s) for s in range(20))
    cfg.TRAIN.SIMPLE_BACKGROUND_RATIO = 0.5
    assert 0.3 < np.mean([is_photo(s) for s in range(200)]) < 0.7


def test_background_folder_problems(cfg, tmp_path):
    cfg.TRAIN.BACKGROUND_PATH = str(tmp_path)
    with pytest.raises(DataError, match=f'background folder {re.escape(str(tmp_path))} holds no photos'):
        load_backgrounds(cfg)
    cfg.TRAIN.BACKGROUND_PATH = str(tmp_path / 'absent')
    with pytest.raises(DataError, match='does not exist'):
        load_backgrounds(cfg)


def test_verify_image_checks_structure_without_decoding(tmp_path):
    from lib.data_augmentation import verify_image
    path = tmp_path / 'view.png'
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (137, 137, 4), dtype=np.uint8)).save(path)
    assert verify_image(str(path)) == (137, 137)
    raw = path.read_bytes()
    flipped = tmp_path / 'flipped.png'   # one byte of the pixel data changed: its chunk's CRC fails
    at = raw.index(b'IDAT') + 40
    flipped.write_bytes(raw[:at] + bytes([raw[at] ^ 0xFF]) + raw[at + 1:])
    truncated = tmp_path / 'truncated.png'
    truncated.write_bytes(raw[:len(raw) // 2])
    jpeg = tmp_path / 'jpeg.png'
    Image.fromarray(np.zeros((137, 137, 3), np.uint8)).save(jpeg, format='JPEG')
    for bad, message in ((flipped, 'unreadable image'), (truncated, 'unreadable image'),
                         (jpeg, r'not a PNG image \(JPEG data\)'), (tmp_path / 'gone.png', 'image file missing')):
        with pytest.raises(DataError, match=f'^{re.escape(str(bad))}: {message}'):
            verify_image(str(bad))
