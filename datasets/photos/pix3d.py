"""Pix3D (Sun, Wu, Zhang et al., CVPR 2018): real photos of IKEA-like furniture, each aligned with
its 3D model; the successors of 3D-R2N2 (Pix2Vox and later) evaluate single-image reconstruction on it.

Layout (pix3d.zip):
    pix3d.json                      one entry per photo: img, mask, model, voxel, bbox [x1 y1 x2 y2]
                                    (pixels), img_size [w h], category, truncated, occluded, ...
    img/<category>/<name>.jpg|png   photos
    mask/<category>/<name>.png      the object's mask
    model/<category>/<model>/model.obj, voxel.mat (128^3, variable `voxel`)

Split: Mesh R-CNN's S1 (pix3d_s1_train.json / pix3d_s1_test.json, COCO style: images[].file_name
names the photo, e.g. img/bed/0001.png), as the successors use it, or any text list of img paths;
without a split file every photo is evaluated (Sun et al.'s and Pix2Vox's protocol). The rule is the
paper's: no truncated or occluded object (keep_truncated keeps them, as Mesh R-CNN does). The two
photos whose mask does not match (img/table/1749.jpg, img/table/0045.png) are left out, as Mesh
R-CNN's loader leaves them out.

Ground truth: model.obj voxelised (lib/rendering/voxelize.py) as it is: Pix3D's models share ShapeNet's
axes (Pix2Vox voxelised them with binvox unrotated and reads them like ShapeNetVox32), or, with
truth='mat', the dataset's voxel.mat, whose axes (2, 0, 1) are (x, y, z) (the order a successor's
loader, GARNet's, reads it in; not checked here on real files), brought to the 32^3 -cb placement.
"""
import json
import os

import numpy as np

from datasets.photos.layout import Sample, box_from_corners
from lib.data_io import DataError
from lib.rendering.voxelize import fill_interior, mesh_voxels

CATEGORIES = ('bed', 'bookcase', 'chair', 'desk', 'misc', 'sofa', 'table', 'tool', 'wardrobe')
MISMATCHED = ('img/table/1749.jpg', 'img/table/0045.png')


def read_annotations(root):
    path = os.path.join(root, 'pix3d.json')
    if not os.path.isfile(path):
        raise DataError(f'{root}: not a Pix3D folder (no pix3d.json in it)')
    try:
        with open(path) as f:
            entries = json.load(f)
    except (OSError, ValueError) as e:
        raise DataError(f'{path}: unreadable ({e})') from None
    if not isinstance(entries, list):
        raise DataError(f'{path}: expected a list of annotations')
    return path, entries


def read_split_file(path):
    """The img paths of a split: Mesh R-CNN's COCO-style JSON (images[].file_name) or a text list."""
    if not os.path.isfile(path):
        raise DataError(f'{path}: split file missing')
    if path.endswith('.json'):
        try:
            with open(path) as f:
                data = json.load(f)
            return {os.path.normpath(image['file_name']) for image in data['images']}
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise DataError(f'{path}: not a split file with images[].file_name ({type(e).__name__}: {e})') from None
    with open(path, errors='replace') as f:
        return {os.path.normpath(line.split()[0]) for line in f if line.strip() and not line.startswith('#')}


def read_voxel_mat(path, n=32):
    """A voxel.mat grid as (n, n, n) bool, x-y-z, y up, with the -cb placement (occupied bounding box
    centred, longest side = n): each occupied voxel marks the coarse voxels it overlaps."""
    import scipy.io
    if not os.path.isfile(path):
        raise DataError(f'{path}: voxel file missing')
    try:
        fine = np.asarray(scipy.io.loadmat(path)['voxel'])
    except KeyError:
        raise DataError(f'{path}: no `voxel` variable') from None
    except Exception as e:
        raise DataError(f'{path}: unreadable voxel grid ({type(e).__name__})') from None
    if fine.ndim != 3 or not (fine > 0.5).any():
        raise DataError(f'{path}: expected a non-empty 3D grid, got shape {fine.shape}')
    occupied = np.argwhere(np.transpose(fine > 0.5, (1, 2, 0)))
    low, extent = occupied.min(0), occupied.max(0) - occupied.min(0) + 1
    scale = n / extent.max()
    offset = (n - extent * scale) / 2.0
    grid = np.zeros((n, n, n), bool)
    steps = max(1, int(np.ceil(scale)))   # enough points per fine voxel when it is larger than a coarse one
    for s in np.arange(steps) / steps + 0.5 / steps:
        for t in np.arange(steps) / steps + 0.5 / steps:
            for u in np.arange(steps) / steps + 0.5 / steps:
                at = (occupied - low + [s, t, u]) * scale + offset
                i = np.clip(np.floor(at).astype(int), 0, n - 1)
                grid[i[:, 0], i[:, 1], i[:, 2]] = True
    return fill_interior(grid)


def list_samples(root, skips, split_file=None, categories=CATEGORIES, keep_truncated=False, truth='mesh'):
    """The samples of root in pix3d.json's order (restricted to the split file's photos if given)."""
    root = os.path.abspath(root)
    unknown = sorted(set(categories) - set(CATEGORIES))
    if unknown:
        raise DataError(f'unknown Pix3D category {unknown[0]} (Pix3D has {", ".join(CATEGORIES)})')
    if truth not in ('mesh', 'mat'):
        raise DataError(f'Pix3D ground truth is "mesh" or "mat", not {truth!r}')
    json_path, entries = read_annotations(root)
    listed = read_split_file(split_file) if split_file else None
    samples = []
    for number, entry in enumerate(entries, 1):
        try:
            img = os.path.normpath(entry['img'])
            category = entry['category']
        except (KeyError, TypeError):
            skips.add(f'{json_path}: annotation {number} has no img or category')
            continue
        if category not in categories or (listed is not None and img not in listed):
            continue
        if not keep_truncated and (entry.get('truncated') or entry.get('occluded')):
            continue
        sample_id = os.path.splitext(os.path.basename(img))[0]
        if img in MISMATCHED:
            skips.add(f'{os.path.join(root, img)}: its mask does not match the photo (left out, as Mesh R-CNN does)',
                      category, sample_id)
            continue
        try:
            box = box_from_corners(*entry['bbox'], f'{json_path} ({img})')
            source = entry['model'] if truth == 'mesh' else entry['voxel']
        except (KeyError, TypeError, ValueError) as e:
            skips.add(f'{json_path}: annotation of {img} has a missing or bad field ({type(e).__name__}: {e})', category, sample_id)
            continue
        except DataError as e:
            skips.add(str(e), category, sample_id)
            continue
        truth_file = os.path.join(root, source)
        load = (lambda f=truth_file: mesh_voxels(f)) if truth == 'mesh' else (lambda f=truth_file: read_voxel_mat(f))
        mask = os.path.join(root, entry['mask']) if entry.get('mask') else ''
        samples.append(Sample(category, sample_id, os.path.join(root, img), box, truth_file, load, mask))
    return samples
