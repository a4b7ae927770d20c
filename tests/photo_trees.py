"""Small PASCAL 3D+ and Pix3D trees in their published layouts, written by the tests: JPEG photos
composited from the real ShapeNet renderings of tests/data/shapenet-sample, annotations in the real formats
(scipy.io.savemat's MATLAB structs, pix3d.json), and simple solids as CAD models."""
import json
import os

import numpy as np
from PIL import Image

from tests.rendering.test_voxelize import CHAIR, boxes_mesh, write_off

RENDERINGS = {'chair': '03001627/sample-chair', 'aeroplane': '02691156/sample-airplane', 'sofa': '02828884/sample-bench'}
# the class's CAD model in ShapeNet's axes, in voxel units (corners off the voxel boundaries)
SOLIDS = {'chair': CHAIR,
          'aeroplane': [((0.3, 13.2, 13.2), (31.7, 17.8, 17.8)), ((12.2, 14.1, 0.3), (18.6, 15.6, 31.7)),
                        ((0.3, 17.5, 14.6), (4.4, 23.3, 16.4))],
          'sofa': [((8.2, 4.3, 0.4), (22.6, 11.7, 31.6)), ((8.2, 11.5, 0.4), (12.3, 19.6, 31.6))]}
TO_PASCAL = np.array([[0.0, -1.0, 0.0], [0.0, 0.0, 1.0], [-1.0, 0.0, 0.0]]).T   # inverse of pascal3d.TO_SHAPENET


def expected_grid(boxes, n=32):
    grid = np.zeros((n, n, n), bool)
    for low, high in boxes:
        lo, hi = np.floor(low).astype(int), np.ceil(high).astype(int)
        grid[lo[0]:hi[0], lo[1]:hi[1], lo[2]:hi[2]] = True
    return grid


def composite_photo(shapenet_sample, category, size=(360, 280), at=(90, 40), scale=1.4, view=0, seed=0):
    """A photo-like RGB image: a real rendering, scaled, pasted onto a noisy, shaded background.
    Returns (rgb uint8, (x1, y1, x2, y2) 0-based inclusive box, mask bool)."""
    rgba = np.asarray(Image.open(shapenet_sample / 'ShapeNetRendering' /
                                 RENDERINGS[category] / 'rendering' / f'{view:02d}.png').convert('RGBA'))
    side = int(round(137 * scale))
    rgba = np.asarray(Image.fromarray(rgba).resize((side, side), Image.BILINEAR)).astype(np.float32)
    rng = np.random.default_rng(seed)
    w, h = size
    background = np.linspace(90, 170, w)[None, :, None] + rng.normal(0, 12, (h, w, 3))
    background[..., 1] += 20
    x0, y0 = at
    a = rgba[..., 3:] / 255.0
    region = background[y0:y0 + side, x0:x0 + side]
    background[y0:y0 + side, x0:x0 + side] = rgba[..., :3] * a + region * (1 - a)
    rgb = np.clip(background, 0, 255).astype(np.uint8)
    mask = np.zeros((h, w), bool)
    mask[y0:y0 + side, x0:x0 + side] = rgba[..., 3] > 127
    rows, cols = np.nonzero(mask)
    return rgb, (int(cols.min()), int(rows.min()), int(cols.max()), int(rows.max())), mask


def _mat_object(cls, bbox, cad_index, truncated=0, occluded=0):
    """One element of record.objects as PASCAL 3D+ writes it (class, bbox, cad_index, flags, viewpoint)."""
    viewpoint = {'azimuth_coarse': 30.0, 'elevation_coarse': 10.0, 'azimuth': 31.5, 'elevation': 9.0,
                 'distance': 4.2, 'focal': 1.0, 'px': 180.0, 'py': 140.0, 'theta': 0.0, 'error': 0.0,
                 'interval_azimuth': 0.0, 'interval_elevation': 0.0, 'num_anchor': 0.0, 'viewport': 2000.0}
    return {'class': cls, 'view': 'Frontal', 'bbox': np.asarray(bbox, np.float64), 'bndbox': {},
            'orglabel': 1.0, 'truncated': float(truncated), 'occluded': float(occluded),
            'difficult': 0.0, 'viewpoint': viewpoint, 'cad_index': cad_index, 'anchors': {}, 'polygon': []}


def write_record(path, filename, size, objects):
    """An annotation .mat: the MATLAB struct `record` with a 1xN struct array of objects."""
    import scipy.io
    fields = list(objects[0])
    array = np.empty((1, len(objects)), dtype=[(f, object) for f in fields])
    for i, obj in enumerate(objects):
        for f in fields:
            array[0, i][f] = obj[f]
    record = {'filename': filename, 'folder': os.path.basename(os.path.dirname(path)), 'source': {},
              'imgname': filename, 'size': {'width': float(size[0]), 'height': float(size[1]), 'depth': 3.0},
              'imgsize': np.array([size[0], size[1], 3], np.float64), 'database': 'PASCAL VOC',
              'objects': array, 'segmented': 0.0}
    os.makedirs(os.path.dirname(path), exist_ok=True)
    scipy.io.savemat(path, {'record': record})


def write_cad(path, category):
    vertices, faces = boxes_mesh(SOLIDS[category])
    os.makedirs(os.path.dirname(path), exist_ok=True)
    write_off(path, vertices @ TO_PASCAL.T, faces)   # stored in PASCAL 3D+'s axes


def build_pascal3d(shapenet_sample, root, bad=()):
    """A PASCAL 3D+ tree: per class two train and two val photos, CAD/<class>/01.off (a second object
    in one photo is truncated, one of another class; both are left out by the rule).
    bad: any of 'missing_image', 'no_record', 'no_cad_index', 'bad_off' adds that case to the val split.
    Returns {'val': [(class, sample id)], 'train': [...]} of the good samples."""
    good = {'train': [], 'val': []}
    lists = {'train': [], 'val': []}
    for c, cls in enumerate(RENDERINGS):
        write_cad(str(root / 'CAD' / cls / '01.off'), cls)
        for k, split in enumerate(('train', 'val', 'train', 'val')):
            image_id = f'2008_{c:02d}{k:04d}'
            rgb, (x1, y1, x2, y2), _ = composite_photo(shapenet_sample, cls, view=k, at=(60 + 20 * k, 30 + 10 * k), seed=k)
            image_dir = root / 'Images' / f'{cls}_pascal'
            image_dir.mkdir(parents=True, exist_ok=True)
            Image.fromarray(rgb).save(image_dir / f'{image_id}.jpg', quality=90)
            objects = [_mat_object(cls, [x1 + 1, y1 + 1, x2 + 1, y2 + 1], 1)]   # MATLAB's 1-based pixels
            if k == 0:
                objects += [_mat_object(cls, [1, 1, 50, 50], 1, truncated=1), _mat_object('person', [5, 5, 60, 90], 1)]
            write_record(str(root / 'Annotations' / f'{cls}_pascal' / f'{image_id}.mat'), f'{image_id}.jpg',
                         rgb.shape[1::-1], objects)
            lists[split].append(image_id)
            good[split].append((cls, f'{image_id}_1'))
    # the bad cases, all in the val split of 'chair'
    ann = root / 'Annotations' / 'chair_pascal'
    rgb, (x1, y1, x2, y2), _ = composite_photo(shapenet_sample, 'chair')
    box = [x1 + 1, y1 + 1, x2 + 1, y2 + 1]
    if 'missing_image' in bad:
        write_record(str(ann / '2009_000001.mat'), '2009_000001.jpg', rgb.shape[1::-1], [_mat_object('chair', box, 1)])
        lists['val'].append('2009_000001')
    if 'no_record' in bad:
        import scipy.io
        scipy.io.savemat(str(ann / '2009_000002.mat'), {'annotation': {'filename': 'x.jpg'}})
        lists['val'].append('2009_000002')
    for image_id, obj in (('2009_000003', 'no_cad_index'), ('2009_000004', 'bad_off')):
        if obj in bad:
            Image.fromarray(rgb).save(root / 'Images' / 'chair_pascal' / f'{image_id}.jpg', quality=90)
            cad = np.array([], np.float64) if obj == 'no_cad_index' else 2
            write_record(str(ann / f'{image_id}.mat'), f'{image_id}.jpg', rgb.shape[1::-1], [_mat_object('chair', box, cad)])
            lists['val'].append(image_id)
    if 'bad_off' in bad:
        (root / 'CAD' / 'chair' / '02.off').write_text('OFF\n3 1 0\n0 0 0\nbroken\n')
    main = root / 'PASCAL' / 'VOCdevkit' / 'VOC2012' / 'ImageSets' / 'Main'
    main.mkdir(parents=True, exist_ok=True)
    for split, ids in lists.items():
        (main / f'{split}.txt').write_text(''.join(f'{i}\n' for i in sorted(ids)))
    return good


def build_pix3d(shapenet_sample, root):
    """A Pix3D tree: chairs and sofas (2 each, one more truncated chair left out by the rule), masks,
    model.obj solids and voxel.mat grids, pix3d.json, and Mesh R-CNN-style S1 split files.
    Returns the good (category, sample id) pairs and the split files."""
    import scipy.io
    entries, good = [], []
    for c, category in enumerate(('chair', 'sofa')):
        model_dir = root / 'model' / category / f'IKEA_{category.upper()}'
        model_dir.mkdir(parents=True, exist_ok=True)
        solid = SOLIDS['chair' if category == 'chair' else 'sofa']
        vertices, faces = boxes_mesh(solid)
        with open(model_dir / 'model.obj', 'w') as f:
            f.write('# Pix3D-like model, ShapeNet axes\nmtllib model.mtl\n')
            f.writelines(f'v {x:.5f} {y:.5f} {z:.5f}\n' for x, y, z in vertices / 32.0 - 0.5)
            f.write('usemtl default\n')
            f.writelines(f'f {a + 1} {b + 1} {d + 1}\n' for a, b, d in faces)
        # voxel.mat at 64^3, axes (z, x, y) so that transpose (1, 2, 0) gives (x, y, z)
        fine = np.repeat(np.repeat(np.repeat(expected_grid(solid), 2, 0), 2, 1), 2, 2)
        scipy.io.savemat(model_dir / 'voxel.mat', {'voxel': np.transpose(fine, (2, 0, 1)).astype(np.uint8)})
        for k in range(3):
            name = f'{k + 1:04d}'
            rgb, (x1, y1, x2, y2), mask = composite_photo(shapenet_sample, 'chair' if category == 'chair' else 'sofa',
                                                          view=k + 3, at=(50 + 30 * k, 40), seed=10 + k)
            for kind, array, ext in (('img', rgb, '.jpg'), ('mask', mask.astype(np.uint8) * 255, '.png')):
                folder = root / kind / category
                folder.mkdir(parents=True, exist_ok=True)
                Image.fromarray(array).save(folder / (name + ext))
            truncated = category == 'chair' and k == 2
            entries.append({'img': f'img/{category}/{name}.jpg', 'category': category, 'img_size': [rgb.shape[1], rgb.shape[0]],
                            '2d_keypoints': [], 'mask': f'mask/{category}/{name}.png', 'img_source': 'self-taken',
                            'model': f'model/{category}/IKEA_{category.upper()}/model.obj', 'model_raw': '',
                            'model_source': 'IKEA', '3d_keypoints': '', 'voxel': f'model/{category}/IKEA_{category.upper()}/voxel.mat',
                            'rot_mat': np.eye(3).tolist(), 'trans_mat': [0, 0, 2], 'focal_length': 35.0,
                            'cam_position': [0, 0, 2], 'inplane_rotation': 0.0, 'truncated': truncated,
                            'occluded': False, 'slightly_occluded': False, 'bbox': [x1, y1, x2, y2]})
            if not truncated:
                good.append((category, name))
    (root / 'pix3d.json').write_text(json.dumps(entries))
    splits = {}
    for split, chosen in (('train', lambda i: i % 2 == 0), ('test', lambda i: i % 2 == 1)):
        images = [{'file_name': e['img'], 'id': i, 'width': e['img_size'][0], 'height': e['img_size'][1]}
                  for i, e in enumerate(entries) if chosen(i)]
        path = root / f'pix3d_s1_{split}.json'
        path.write_text(json.dumps({'images': images, 'annotations': [], 'categories': []}))
        splits[split] = path
    return good, splits
