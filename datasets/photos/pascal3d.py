"""PASCAL 3D+ release 1.1 (Xiang, Mottaghi, Savarese, WACV 2014), read as the paper's real-image
experiment used it: single objects of Kar et al.'s ten classes, not truncated, not occluded.

Layout of the release (PASCAL3D+_release1.1/):
    Images/<class>_{pascal,imagenet}/<id>.jpg | .JPEG
    Annotations/<class>_{pascal,imagenet}/<id>.mat     MATLAB struct `record`: filename, imgsize
                                                        [w h d], objects(*) with class, bbox
                                                        [x1 y1 x2 y2] (1-based pixels), cad_index
                                                        (1-based), truncated, occluded, difficult,
                                                        viewpoint (azimuth, elevation, ...)
    CAD/<class>/NN.off                                  the class's CAD models, NN = cad_index
    PASCAL/VOCdevkit/VOC2012/ImageSets/Main/{train,val}.txt   VOC 2012's image lists
    Image_sets/<class>_imagenet_{train,val}.txt        the ImageNet part's lists

Split (Kar et al., CVPR 2015, as the paper used it): the PASCAL VOC 2012 images, train for
training and val for testing. Kar et al.'s code reads it from pascalTrainValIds.mat (trainIds,
valIds), which their successors' code builds from VOC 2012's ImageSets/Main/train.txt and val.txt;
either is accepted as a split file, as is any text list of image ids. The rule (the paper's): an
object counts if it is of the folder's class, not truncated and not occluded, and has a CAD model.

Ground truth: the object's CAD model voxelised (lib/rendering/voxelize.py), rotated from PASCAL 3D+'s axes
to ShapeNet's. PASCAL 3D+ is z up with the camera of azimuth 0 on the -y side looking at the front
(its projection: C = d (cos e sin a, -cos e cos a, sin e)); ShapeNet's grids are y up with the front
towards +x. So x_s = -y_p, y_s = z_p, z_s = -x_p (a proper rotation).
"""
import os

import numpy as np

from datasets.photos.layout import Sample, box_from_corners
from lib.data_io import DataError
from lib.rendering.voxelize import mesh_voxels

# Kar et al.'s classes, the columns of the paper's table (its "aero, bike, ..., tv")
CLASSES = ('aeroplane', 'bicycle', 'boat', 'bus', 'car', 'chair', 'motorbike', 'sofa', 'train', 'tvmonitor')
SUBSETS = ('pascal', 'imagenet')
TO_SHAPENET = np.array([[0.0, -1.0, 0.0], [0.0, 0.0, 1.0], [-1.0, 0.0, 0.0]])
VOC_LISTS = 'PASCAL/VOCdevkit/VOC2012/ImageSets/Main/{split}.txt'
IMAGENET_LISTS = 'Image_sets/{cls}_imagenet_{split}.txt'
SPLIT_NAMES = {'train': 'train', 'test': 'val'}   # our split -> the lists' name (Kar et al. test on val)


def _field(struct, name, default=None):
    value = getattr(struct, name, default)
    return default if isinstance(value, np.ndarray) and value.size == 0 else value


def read_record(path):
    """An annotation file as {'filename', 'imgsize', 'objects': [{'class', 'bbox', 'cad_index',
    'truncated', 'occluded', 'difficult'}]} (cad_index None where the object has none); a DataError
    names the file when it cannot be read or holds no `record`."""
    import scipy.io
    if not os.path.isfile(path):
        raise DataError(f'{path}: annotation file missing')
    try:
        data = scipy.io.loadmat(path, squeeze_me=True, struct_as_record=False)
    except Exception as e:   # scipy raises several types for damaged files
        raise DataError(f'{path}: unreadable annotation ({type(e).__name__}: {str(e)[:100]})') from None
    record = data.get('record')
    if record is None or not hasattr(record, '_fieldnames'):
        raise DataError(f'{path}: no `record` struct (not a PASCAL 3D+ annotation)')
    objects = []
    for obj in np.atleast_1d(_field(record, 'objects', [])):
        cad = _field(obj, 'cad_index')
        objects.append({'class': str(_field(obj, 'class', '')),
                        'bbox': np.asarray(_field(obj, 'bbox', []), np.float64).ravel(),
                        'cad_index': None if cad is None else int(cad),
                        'truncated': bool(_field(obj, 'truncated', 0)),
                        'occluded': bool(_field(obj, 'occluded', 0)),
                        'difficult': bool(_field(obj, 'difficult', 0))})
    return {'filename': str(_field(record, 'filename', '')),
            'imgsize': np.asarray(_field(record, 'imgsize', []), np.int64).ravel(), 'objects': objects}


def read_id_list(path, split=None):
    """Image ids of a split file: Kar et al.'s pascalTrainValIds.mat (trainIds for 'train', valIds
    for 'test'), or a text list (the first word of each line, as in VOC's ImageSets)."""
    if not os.path.isfile(path):
        raise DataError(f'{path}: split file missing')
    if path.endswith('.mat'):
        import scipy.io
        try:
            data = scipy.io.loadmat(path, squeeze_me=True)
        except Exception as e:
            raise DataError(f'{path}: unreadable split file ({type(e).__name__})') from None
        key = {'train': 'trainIds', 'test': 'valIds'}.get(split)
        if key not in data:
            raise DataError(f'{path}: no {key or "trainIds/valIds"} list (Kar et al.\'s pascalTrainValIds.mat '
                            f'holds trainIds and valIds)')
        return {str(v).strip() for v in np.atleast_1d(data[key])}
    with open(path, errors='replace') as f:
        return {line.split()[0] for line in f if line.strip() and not line.startswith('#')}


def default_lists(root, split, subset, cls):
    """The release's own list for a split: VOC 2012's for the PASCAL images, Image_sets/ for ImageNet's."""
    name = SPLIT_NAMES[split]
    if subset == 'pascal':
        return os.path.join(root, VOC_LISTS.format(split=name))
    return os.path.join(root, IMAGENET_LISTS.format(cls=cls, split=name))


def cad_path(root, cls, index):
    return os.path.join(root, 'CAD', cls, f'{index:02d}.off')


def _image_path(root, cls, subset, record, image_id):
    folder = os.path.join(root, 'Images', f'{cls}_{subset}')
    if record['filename']:
        return os.path.join(folder, record['filename'])
    for ext in ('.jpg', '.JPEG', '.jpeg', '.png'):
        if os.path.isfile(os.path.join(folder, image_id + ext)):
            return os.path.join(folder, image_id + ext)
    return os.path.join(folder, image_id + '.jpg')


def list_samples(root, split, skips, split_file=None, classes=CLASSES, subsets=('pascal',),
                 keep_truncated=False):
    """The samples of a split ('train', 'test' or 'all') under root, in a fixed order.

    split_file: a list of image ids for this split (see read_id_list); default the release's lists.
    Objects outside the rule are left out silently (they are not bad data); bad data is counted in
    skips with one warning line each. Sample ids are '<image id>_<object number>' (1-based)."""
    root = os.path.abspath(root)
    if not os.path.isdir(os.path.join(root, 'Annotations')):
        raise DataError(f'{root}: not a PASCAL 3D+ folder (no Annotations/ in it)')
    unknown = sorted(set(classes) - set(CLASSES))
    if unknown:
        raise DataError(f'unknown PASCAL 3D+ class {unknown[0]} (the paper\'s: {", ".join(CLASSES)})')
    given = read_id_list(split_file, split) if split_file and split != 'all' else None
    samples = []
    for cls in classes:
        for subset in subsets:
            folder = os.path.join(root, 'Annotations', f'{cls}_{subset}')
            if not os.path.isdir(folder):
                continue
            ids = given
            if ids is None and split != 'all':
                listing = default_lists(root, split, subset, cls)
                if not os.path.isfile(listing):
                    raise DataError(f'{listing}: the {split} list is missing; give the split with --split-file '
                                    f'(Kar et al.\'s pascalTrainValIds.mat or a text list of image ids)')
                ids = read_id_list(listing)
            for name in sorted(os.listdir(folder)):
                image_id, ext = os.path.splitext(name)
                if ext != '.mat' or (ids is not None and image_id not in ids):
                    continue
                samples += _objects_of(root, cls, subset, os.path.join(folder, name), image_id, skips,
                                       keep_truncated)
    return samples


def _objects_of(root, cls, subset, path, image_id, skips, keep_truncated):
    try:
        record = read_record(path)
    except DataError as e:
        skips.add(str(e), cls, image_id)
        return []
    image = _image_path(root, cls, subset, record, image_id)
    out = []
    for number, obj in enumerate(record['objects'], 1):
        if obj['class'] != cls or (not keep_truncated and (obj['truncated'] or obj['occluded'])):
            continue
        sample_id = f'{image_id}_{number}'
        if obj['cad_index'] is None or obj['cad_index'] < 1:
            skips.add(f'{path}: object {number} has no CAD index', cls, sample_id)
            continue
        if obj['bbox'].size != 4:
            skips.add(f'{path}: object {number} has no bounding box [x1 y1 x2 y2]', cls, sample_id)
            continue
        x1, y1, x2, y2 = obj['bbox']
        try:
            # MATLAB's 1-based pixels, corners inclusive -> 0-based edges
            box = box_from_corners(x1 - 1, y1 - 1, x2, y2, path)
        except DataError as e:
            skips.add(f'{e} (object {number})', cls, sample_id)
            continue
        mesh = cad_path(root, cls, obj['cad_index'])
        out.append(Sample(cls, sample_id, image, box, mesh,
                          lambda mesh=mesh: mesh_voxels(mesh, rotation=TO_SHAPENET)))
    return out
