"""What makes a voxel grid recognisable as each of the 13 categories: the parts the issue names,
read off a 32^3 occupancy grid in ShapeNetVox32's convention (x front-back with the back of seats at
low x, y up, z left-right). Each check returns {part: present}; tests/data_reading/test_embedded_dataset.py runs
them on generated objects.

The grid is cropped to the object's bounding box first. A "level" is one y slice; its cross-section
is the fraction of the bounding box's x-z area that it fills.
"""
import numpy as np
from scipy import ndimage


def crop(grid):
    occupied = np.argwhere(grid)
    lo, hi = occupied.min(axis=0), occupied.max(axis=0) + 1
    return grid[lo[0]:hi[0], lo[1]:hi[1], lo[2]:hi[2]]


def cross_sections(g):
    return g.sum(axis=(0, 2)) / (g.shape[0] * g.shape[2])


def x_extent(g):
    """Fraction of the x side that a (sub)grid spans."""
    xs = np.nonzero(g.any(axis=(1, 2)))[0]
    return (xs.max() - xs.min() + 1) / g.shape[0] if len(xs) else 0.0


def x_centre(g):
    """Mean x of the occupied voxels, as a fraction of the x side (0 = back, 1 = front)."""
    return np.nonzero(g)[0].mean() / g.shape[0]


def fullest_level(g, lo, hi):
    """The y level with the largest cross-section between fractions lo and hi of the height."""
    a = cross_sections(g)
    band = range(int(lo * len(a)), max(int(lo * len(a)) + 1, int(np.ceil(hi * len(a)))))
    return max(band, key=lambda y: a[y])


def chair(g):
    a, (X, Y, Z) = cross_sections(g), g.shape
    seat = fullest_level(g, 0.2, 0.65)
    return {'taller than wide': Y >= max(X, Z), 'seat': a[seat] >= 0.4,
            'legs or column under the seat': seat > 2 and a[1:seat - 1].min() <= 0.25,
            'back at the rear': x_centre(g[:, Y - 2:, :]) <= 0.4}


def table(g):
    a, Y = cross_sections(g), g.shape[1]
    top = int(0.7 * Y) + int(np.argmax(a[int(0.7 * Y):]))
    return {'top in the upper 30 %': a[top] >= 0.6, 'legs or pedestal under it': top > 0 and a[:top].min() <= 0.25,
            'no back': x_extent(g[:, int(0.9 * Y):, :]) >= 0.8}


def bench(g):
    a, (X, _, Z) = cross_sections(g), g.shape
    seat = fullest_level(g, 0.2, 1.0)
    return {'long': Z >= 1.5 * X, 'seat': a[seat] >= 0.4, 'legs under the seat': seat > 1 and a[1:seat].min() <= 0.3}


def sofa(g):
    X, Y, Z = g.shape
    return {'wide and low': Z >= 1.4 * Y, 'upholstered (solid)': g.mean() >= 0.3,
            'back at the rear': x_centre(g[:, Y - 2:, :]) <= 0.4}


def cabinet(g):
    return {'box': g.mean() >= 0.6}


def display(g):
    X, Y, Z = g.shape
    return {'wide': Z >= X, 'thin screen': x_extent(g[:, int(0.9 * Y):, :]) * X <= 0.35 * Z}


def lamp(g):
    return {'pole, arm or cord': cross_sections(g).min() <= 0.15, 'mostly air': g.mean() <= 0.5}


def loudspeaker(g):
    X, Y, Z = g.shape
    return {'upright': Y >= max(X, Z) - 2, 'box': g.mean() >= 0.5}


def telephone(g):
    return {'compact body': g.mean() >= 0.4}


def car(g):
    X, Y, Z = g.shape
    return {'long and low': X >= max(Y, Z) and Y <= 0.5 * X, 'body (solid, room for seats)': g.mean() >= 0.4 and Z >= 0.3 * X,
            'wheels touching the ground apart': ndimage.label(g[:, 0, :])[1] >= 2}


def airplane(g):
    X, Y, Z = g.shape
    return {'fuselage (long, flat)': X >= 2 * Y, 'wings (span)': Z >= 0.55 * X, 'thin parts': g.mean() <= 0.2}


def rifle(g):
    X, Y, Z = g.shape
    return {'long barrel': X >= 3 * max(Y, Z)}


def watercraft(g):
    a, (X, Y, Z) = cross_sections(g), g.shape
    return {'long hull': X >= 1.5 * Z, 'hull widest, superstructure or mast narrower':
            a[:max(1, Y // 2)].max() > a[int(0.75 * Y):].max()}


CHECKS = {'02691156': airplane, '02828884': bench, '02933112': cabinet, '02958343': car, '03001627': chair,
          '03211117': display, '03636649': lamp, '03691459': loudspeaker, '04090263': rifle, '04256520': sofa,
          '04379243': table, '04401088': telephone, '04530566': watercraft}
