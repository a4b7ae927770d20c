"""The original's image preprocessing: background, crop, flip, scale to [0, 1].

Train (original lib/data_augmentation.py): fully transparent pixels (alpha == 0) take one random
colour per image, each channel drawn from TRAIN.NO_BG_COLOR_RANGE (inclusive); partially transparent
pixels keep their own RGB unblended, as in the original; then a random 127x127 crop of the 137x137
rendering with offsets 0..PAD-1 (the original draws randint(0, PAD), which excludes PAD itself); then
a horizontal flip with probability 0.5. Test: TEST.NO_BG_COLOR_RANGE (240) and the centre crop
(offset 5). Output: float32 (IMG_H, IMG_W, 3) = pixel / 255, no mean subtraction.

Option of the paper: with TRAIN.RANDOM_BACKGROUND, a fraction 1 - SIMPLE_BACKGROUND_RATIO of the
training images is pasted onto a random crop of a real photo (TRAIN.BACKGROUND_PATH, or scikit-image's
bundled sample photos). Photos are alpha-blended, since a photo has no uniform colour to hide the
anti-aliased edge the original's alpha == 0 rule leaves.
"""
import contextlib
import functools
import os

import numpy as np
from PIL import Image, UnidentifiedImageError

from lib.data_io import DataError, repo_path, warn

PHOTO_EXTENSIONS = ('.png', '.jpg', '.jpeg', '.bmp', '.gif', '.tif', '.tiff', '.webp')
# Natural photos among the files scikit-image installs with itself (skimage/data/*, no download).
SKIMAGE_PHOTOS = ('astronaut.png', 'brick.png', 'camera.png', 'chelsea.png', 'coffee.png',
                  'grass.png', 'gravel.png', 'hubble_deep_field.jpg', 'motorcycle_left.png',
                  'motorcycle_right.png', 'rocket.jpg')
MAX_BACKGROUNDS = 1000   # a PASCAL-sized folder would take gigabytes; an even sample of it is enough


def load_image(path, formats=('PNG',)):
    """Decode an image file to uint8 (H, W, 3) or (H, W, 4); grey becomes RGB, grey+alpha RGBA.

    Renderings must be PNG (formats); pass formats=None to accept any format Pillow reads.
    Any problem is a DataError naming the file.
    """
    with _named_image_errors(path):
        with Image.open(path) as im:
            _check_format(path, im, formats)
            if im.mode.startswith('I;16') or im.mode == 'I':
                # 16-bit grey: Pillow's convert clips it to 8 bits instead of scaling (a photo became
                # a few flat levels); 65535 is white
                wide = np.asarray(im).astype(np.float64)
                grey = np.clip(np.round(wide / 257.0), 0, 255).astype(np.uint8)
                return np.repeat(grey[..., None], 3, axis=2)
            has_alpha = im.mode in ('RGBA', 'LA', 'PA') or 'transparency' in im.info
            mode = 'RGBA' if has_alpha else 'RGB'
            if im.mode != mode:
                im = im.convert(mode)   # also decodes
            array = np.asarray(im)      # decodes the pixels: a truncated file fails here
    return array


def verify_image(path, formats=('PNG',)):
    """(width, height) of an image file whose structure and checksums are sound, without decoding
    its pixels (about ten times faster than load_image); the same DataErrors as load_image."""
    with _named_image_errors(path):
        with Image.open(path) as im:
            _check_format(path, im, formats)
            size = im.size
            im.verify()   # every chunk and its CRC: a truncated or damaged file fails here
    return size


def _check_format(path, im, formats):
    if formats is not None and im.format not in formats:
        raise DataError(f'{path}: not a PNG image ({im.format or "unknown"} data)')


@contextlib.contextmanager
def _named_image_errors(path):
    """Pillow's exceptions as one-line DataErrors naming the file."""
    try:
        yield
    except DataError:
        raise
    except FileNotFoundError:
        raise DataError(f'{path}: image file missing') from None
    except UnidentifiedImageError:
        raise DataError(f'{path}: not an image (unrecognised data)') from None
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as e:
        # Pillow's own words say what is wrong: truncated, bad CRC, broken chunk...
        raise DataError(f'{path}: unreadable image ({e})') from None


# In the ShapeNet renderings an object's bounding box spans 0.69 of the 137-pixel frame on average
# (median over the shared real sample, 0.43-0.93), centred.
RENDERING_SIZE = 137
OBJECT_FILL = 0.69


def border_colour(rgb):
    """The background colour of a photo-like image: the median of its border pixels, and their spread
    (median absolute deviation, largest channel), which is small for a plain background."""
    border = np.concatenate([rgb[0], rgb[-1], rgb[:, 0], rgb[:, -1]]).astype(np.float32)
    colour = np.median(border, axis=0)
    spread = float(np.max(np.median(np.abs(border - colour), axis=0)))
    return colour, spread


def frame_box(rgb, box, alpha=None, size=RENDERING_SIZE, fill=OBJECT_FILL):
    """A photo framed like a rendering: the square centred on box = (top, bottom, left, right) (pixel
    edges) whose side is the box's long side / fill, resized to size x size (Lanczos), uint8 RGB.

    Where the square leaves the picture it is extended with the border's median colour (repeating
    the edge pixels would stretch whatever touches the border, e.g. an object cut by the top edge,
    into a bar). alpha (H, W) uint8, e.g. a dataset's object mask: framed the same way, 0 outside the
    picture, made hard (0 or 255) after resizing, and returned as the fourth channel (RGBA).
    """
    h, w = rgb.shape[:2]
    top, bottom, left, right = box
    side = max(bottom - top, right - left) / fill   # the square that frames it like a rendering
    cy, cx = (top + bottom) / 2.0, (left + right) / 2.0
    y0, x0 = int(round(cy - side / 2)), int(round(cx - side / 2))
    n = max(1, int(round(side)))
    pad = max(0, -y0, -x0, y0 + n - h, x0 + n - w)

    def square(plane, background):
        padded = np.empty((h + 2 * pad, w + 2 * pad) + plane.shape[2:], np.uint8)
        padded[:] = background
        padded[pad:pad + h, pad:pad + w] = plane
        return padded[y0 + pad:y0 + pad + n, x0 + pad:x0 + pad + n]

    framed = np.asarray(Image.fromarray(square(rgb, np.round(border_colour(rgb)[0]).astype(np.uint8)))
                        .resize((size, size), Image.LANCZOS))
    if alpha is None:
        return framed
    mask = np.asarray(Image.fromarray(square(np.asarray(alpha, np.uint8), 0)).resize((size, size), Image.BILINEAR))
    return np.dstack([framed, np.where(mask >= 128, 255, 0).astype(np.uint8)])


def split_alpha(image):
    """(rgb uint8 (H, W, 3), alpha uint8 (H, W) or None) from grey, grey+alpha, RGB or RGBA arrays.

    Float arrays are taken to be in [0, 1].
    """
    image = np.asarray(image)
    if image.dtype != np.uint8:
        if np.issubdtype(image.dtype, np.floating):
            image = np.clip(image * 255.0 + 0.5, 0, 255)
        image = np.clip(image, 0, 255).astype(np.uint8)
    if image.ndim == 2:
        image = image[:, :, None]
    if image.ndim != 3 or image.shape[2] not in (1, 2, 3, 4):
        raise DataError(f'expected a grey, RGB or RGBA image, got an array of shape {image.shape}')
    channels = image.shape[2]
    alpha = image[:, :, -1] if channels in (2, 4) else None
    colour = image[:, :, :3] if channels >= 3 else np.broadcast_to(image[:, :, :1], image.shape[:2] + (3,))
    return colour, alpha


def _check_size(rgb, cfg):
    h, w = rgb.shape[:2]
    if h < cfg.CONST.IMG_H or w < cfg.CONST.IMG_W:
        raise DataError(f'image is {w}x{h}, smaller than the {cfg.CONST.IMG_W}x{cfg.CONST.IMG_H} crop')


def random_colour(rng, colour_range):
    """One RGB colour, each channel uniform in its inclusive [low, high] range."""
    bounds = np.asarray(colour_range, dtype=np.int64)
    return rng.integers(bounds[:, 0], bounds[:, 1] + 1).astype(np.uint8)


def _random_offset(rng, pad, slack):
    """The original's randint(0, pad): 0..pad-1, never past the image (slack = size - crop)."""
    if pad <= 0:
        return slack // 2
    return int(rng.integers(0, min(pad, slack + 1)))


def _compose(rgb, alpha, colour, out):
    """out = rgb with `colour` where alpha == 0, as float32 / 255.

    Works plane by plane: numpy is several times slower on a last axis of length 3.
    """
    if out is None:
        out = np.empty(rgb.shape[:2] + (3,), np.float32)
    transparent = None if alpha is None else alpha == 0
    for ch in range(3):
        plane = out[:, :, ch]
        np.copyto(plane, rgb[:, :, ch])
        if transparent is not None:
            np.copyto(plane, colour[ch], where=transparent)
    np.divide(out, np.float32(255.0), out=out)
    return out


def _blend(rgb, alpha, photo, out):
    """out = rgb over photo by alpha, as float32 / 255."""
    if out is None:
        out = np.empty(rgb.shape[:2] + (3,), np.float32)
    a = alpha.astype(np.float32) / np.float32(255.0)
    for ch in range(3):
        out[:, :, ch] = rgb[:, :, ch] * a + photo[:, :, ch] * (1 - a)
    np.divide(out, np.float32(255.0), out=out)
    return out


def preprocess_train(image, rng, cfg, backgrounds=None, out=None):
    """Training augmentation of one rendering -> float32 (IMG_H, IMG_W, 3) in [0, 1].

    rng: a numpy Generator (all randomness comes from it, so a seed reproduces the result);
    backgrounds: photos for TRAIN.RANDOM_BACKGROUND (default: load_backgrounds(cfg));
    out: optional float32 array to write into (e.g. a slot of a batch).
    """
    rgb, alpha = split_alpha(image)
    _check_size(rgb, cfg)
    out_h, out_w = cfg.CONST.IMG_H, cfg.CONST.IMG_W
    use_photo = cfg.TRAIN.RANDOM_BACKGROUND and rng.random() >= cfg.TRAIN.SIMPLE_BACKGROUND_RATIO
    colour = random_colour(rng, cfg.TRAIN.NO_BG_COLOR_RANGE)
    h, w = rgb.shape[:2]
    if cfg.TRAIN.RANDOM_CROP:
        top = _random_offset(rng, cfg.TRAIN.PAD_Y, h - out_h)
        left = _random_offset(rng, cfg.TRAIN.PAD_X, w - out_w)
    else:
        # the original skipped the crop here, which only works for 127x127 input; centre-crop instead
        top, left = (h - out_h) // 2, (w - out_w) // 2
    flip = cfg.TRAIN.FLIP and rng.random() < 0.5
    step = -1 if flip else 1   # views only: the crop and flip cost nothing until _compose copies
    rgb = rgb[top:top + out_h, left:left + out_w][:, ::step]
    alpha = None if alpha is None else alpha[top:top + out_h, left:left + out_w][:, ::step]
    if use_photo and alpha is not None:
        if backgrounds is None:
            backgrounds = load_backgrounds(cfg)
        return _blend(rgb, alpha, _random_photo_crop(rng, backgrounds, out_h, out_w), out)
    return _compose(rgb, alpha, colour, out)


def preprocess_test(image, cfg, out=None):
    """Deterministic test preprocessing -> float32 (IMG_H, IMG_W, 3) in [0, 1]: background of the
    middle of TEST.NO_BG_COLOR_RANGE (240 by default) where alpha == 0, centre crop."""
    rgb, alpha = split_alpha(image)
    _check_size(rgb, cfg)
    out_h, out_w = cfg.CONST.IMG_H, cfg.CONST.IMG_W
    h, w = rgb.shape[:2]
    top, left = (h - out_h) // 2, (w - out_w) // 2
    window = (slice(top, top + out_h), slice(left, left + out_w))
    colour = np.array([(low + high) // 2 for low, high in cfg.TEST.NO_BG_COLOR_RANGE], dtype=np.uint8)
    return _compose(rgb[window], None if alpha is None else alpha[window], colour, out)


def _random_photo_crop(rng, backgrounds, out_h, out_w):
    photo = backgrounds[int(rng.integers(len(backgrounds)))]
    top = int(rng.integers(0, photo.shape[0] - out_h + 1))
    left = int(rng.integers(0, photo.shape[1] - out_w + 1))
    return photo[top:top + out_h, left:left + out_w].astype(np.float32)


def background_files(folder=''):
    """The photo files of a folder (sorted), or scikit-image's sample photos for ''."""
    if not folder:
        import skimage.data
        folder = skimage.data.data_dir
        names = [n for n in SKIMAGE_PHOTOS if os.path.isfile(os.path.join(folder, n))]
    else:
        folder = repo_path(folder)
        if not os.path.isdir(folder):
            raise DataError(f'background folder {folder} does not exist (config TRAIN.BACKGROUND_PATH)')
        names = sorted(n for n in os.listdir(folder) if n.lower().endswith(PHOTO_EXTENSIONS))
    if len(names) > MAX_BACKGROUNDS:
        names = [names[i] for i in np.linspace(0, len(names) - 1, MAX_BACKGROUNDS).astype(int)]
    if not names:
        raise DataError(f'background folder {folder} holds no photos ({", ".join(PHOTO_EXTENSIONS)})')
    return [os.path.join(folder, n) for n in names]


@functools.lru_cache(maxsize=4)
def _load_backgrounds(folder, min_side):
    photos = []
    for path in background_files(folder):
        try:
            rgb, _ = split_alpha(load_image(path, formats=None))
        except DataError as e:
            warn(f'{e}; background photo skipped')
            continue
        # at least one crop in size; at most twice that, so a crop shows a scene, not a texture patch
        short = min(rgb.shape[:2])
        scale = max(min_side / short, min(1.0, 2 * min_side / short))
        if scale != 1.0:
            size = (max(min_side, round(rgb.shape[1] * scale)), max(min_side, round(rgb.shape[0] * scale)))
            rgb = np.asarray(Image.fromarray(rgb).resize(size, Image.BILINEAR))
        photos.append(rgb)
    if not photos:
        raise DataError(f'no readable background photo in {folder or "scikit-image sample data"}')
    return tuple(photos)


def load_backgrounds(cfg):
    """Photos (uint8 RGB, each side >= IMG_RAW) for TRAIN.RANDOM_BACKGROUND; loaded once per folder."""
    return _load_backgrounds(cfg.TRAIN.BACKGROUND_PATH, max(cfg.CONST.IMG_RAW, cfg.CONST.IMG_H,
                                                             cfg.CONST.IMG_W))
