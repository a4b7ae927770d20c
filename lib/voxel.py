"""Voxel utilities: IoU and its aggregation over models and categories, and surface meshes.

IoU of a prediction is |P ∩ G| / |P ∪ G| with P = (p_occupied >= threshold), 1.0 when both are
empty (EMPTY_IOU; every IoU of the port, evaluation and dataset coverage alike, is computed here).
The paper reports t = 0.4, later papers t = 0.3 and scans 0.2-0.5. Per-category IoU is the mean over that category's
models; "mean over categories" averages the categories equally (the paper's table), "mean over
models" weights every model equally.
"""
import numpy as np


def occupied_probability(logits):
    """P(occupied) from the network's 2-class logits (..., 2): the softmax's channel 1."""
    logits = np.asarray(logits, np.float64)
    return (1.0 / (1.0 + np.exp(logits[..., 0] - logits[..., 1]))).astype(np.float32)


# The empty-grid rule: two empty grids agree fully (IoU 1.0); an empty grid against any other is 0.
EMPTY_IOU = 1.0


def _iou(intersection, union):
    return np.where(union > 0, intersection / np.maximum(union, 1), EMPTY_IOU)


def iou(predicted, truth):
    """IoU per sample of boolean grids (..., N, N, N); EMPTY_IOU where both are empty."""
    predicted = np.asarray(predicted, bool)
    truth = np.asarray(truth, bool)
    axes = (-3, -2, -1)
    intersection = np.logical_and(predicted, truth).sum(axis=axes)
    union = np.logical_or(predicted, truth).sum(axis=axes)
    return _iou(intersection, union)


def iou_matrix(a, b):
    """iou of every row of a (N, V) bool against every row of b (M, V) bool (flattened grids): (N, M),
    as two matrix products instead of N x M grid comparisons."""
    af, bf = np.asarray(a, np.float32), np.asarray(b, np.float32)
    intersection = af @ bf.T
    union = af.sum(1)[:, None] + bf.sum(1)[None, :] - intersection
    return _iou(intersection, union)


def iou_at_thresholds(occupancy, truth, thresholds):
    """{threshold: IoU per sample} for occupancy probabilities (..., N, N, N)."""
    occupancy = np.asarray(occupancy)
    return {float(t): iou(occupancy >= t, truth) for t in thresholds}


def aggregate(categories, values):
    """Per-category means, the mean over categories and the mean over models.

    categories: one category per model; values: one number per model (same order).
    Returns (dict category -> mean, mean over categories, mean over models).
    """
    values = np.asarray(values, float)
    categories = np.asarray(categories)
    per_category = {c: float(values[categories == c].mean()) for c in sorted(set(categories.tolist()))}
    over_categories = float(np.mean(list(per_category.values()))) if per_category else float('nan')
    over_models = float(values.mean()) if values.size else float('nan')
    return per_category, over_categories, over_models


def occupancy_mesh(occupancy, level=0.5, scale=1.0):
    """A smooth surface of an occupancy grid: (vertices, faces) from marching cubes at `level`.

    Coordinates are the voxel grid's (x, y, z, y up) in the ShapeNetVox32 convention: the grid is a
    cube of side `scale` centred on the origin, voxel (i, j, k) centred at ((i, j, k) + 0.5) / N *
    scale - scale / 2. The grid is padded by one empty voxel so the surface is closed.
    """
    from skimage.measure import marching_cubes
    grid = np.pad(np.asarray(occupancy, np.float32), 1)
    if grid.max() < level or grid.min() > level:
        raise ValueError(f'no surface at level {level}: the grid is all on one side of it')
    vertices, faces, _, _ = marching_cubes(grid, level=level)
    n = np.asarray(occupancy).shape[0]
    vertices = ((vertices - 1 + 0.5) / n - 0.5) * scale
    # where occupied voxels touch the grid's edge the surface would close up to half a voxel past it
    # (interpolated towards the empty padding): close it on the grid's face instead
    return np.clip(vertices, -scale / 2, scale / 2), faces


def write_obj(path, vertices, faces):
    """Write a Wavefront OBJ (1-based face indices) atomically."""
    from lib.output.atomic import atomic_write

    def write(tmp):
        with open(tmp, 'w') as f:
            f.write('# 3D-R2N2 reconstruction (marching cubes of the occupancy probabilities)\n')
            np.savetxt(f, vertices, fmt='v %.5f %.5f %.5f')
            np.savetxt(f, np.asarray(faces) + 1, fmt='f %d %d %d')
    atomic_write(path, write)
    return path
