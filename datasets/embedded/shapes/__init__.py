"""Procedural objects of the 13 ShapeNet categories of the paper, built from solid primitives.

One module per category (datasets/embedded/shapes/chair.py, ...) holds that category's whole grammar: SYNSET,
build(rng) (dataset format version 2: the category's types, each part tagged with its role),
MATERIALS (which material families each role is drawn from, datasets/embedded/materials.py) and build_v1
(version 1's grammar, kept byte-identical so version 1 can be regenerated). A category with many
types may keep the parts its types share in a module beside it (chair_parts.py).

Each builder takes a numpy Generator and returns a list of Parts in ShapeNet's canonical pose as seen
in ShapeNetVox32 (after the x-z-y reorder): y up, the front facing +x (a chair's seat opens towards +x,
an airplane's nose and a car's bonnet point to +x), benches, sofas and tables long along z. Sizes are
in rough metres; the generator normalises every object afterwards (bounding-box diagonal 1, centred),
as ShapeNetCore v1 models are.
"""
from datasets.embedded.shapes import (airplane, bench, cabinet, car, chair, display, lamp, loudspeaker, rifle, sofa,
                             table, telephone, watercraft)

CATEGORY_MODULES = (airplane, bench, cabinet, car, chair, display, lamp, loudspeaker, rifle, sofa, table,
                    telephone, watercraft)

BUILDERS_BY_VERSION = {
    1: {m.SYNSET: m.build_v1 for m in CATEGORY_MODULES},
    2: {m.SYNSET: m.build for m in CATEGORY_MODULES},
}
BUILDERS = BUILDERS_BY_VERSION[2]
MATERIALS_BY_SYNSET = {m.SYNSET: m.MATERIALS for m in CATEGORY_MODULES}
