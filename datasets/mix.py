"""A training mix: several dataset roots (the embedded dataset, rendered real collections) as one.

The mix root holds symbolic links, in the ShapeNet layout, to every model of its sources and
mix.json (lib/data_io.read_mix): so every reader of a dataset reads a mix unchanged, while each source
keeps its own train/test split and a weight (how many times training sees its models per pass).
"""
import json
import os
import shutil
import tempfile

from lib.data_io import MIX_FORMAT, MIX_MANIFEST, DataError, list_models, read_mix

LAYOUT = ('ShapeNetRendering', 'ShapeNetVox32')


def parse_source(text):
    """'ROOT' or 'ROOT:WEIGHT' or 'NAME=ROOT:WEIGHT' -> (name, root, weight)."""
    name, _, rest = text.rpartition('=') if '=' in text else ('', '', text)
    root, weight = rest, 1
    head, sep, tail = rest.rpartition(':')
    if sep and tail.isdigit():
        root, weight = head, int(tail)
    if weight < 1:
        raise DataError(f'{text}: a weight is an integer >= 1')
    root = os.path.abspath(os.path.expanduser(root))
    return name or os.path.basename(root.rstrip('/')), root, weight


def source_models(root):
    """{synset: [model ids]} of a dataset root: the models with both a voxel and a rendering folder."""
    if read_mix(root) is not None:
        raise DataError(f'{root}: is itself a mix; give its sources instead')
    vox, ren = (os.path.join(root, part) for part in ('ShapeNetVox32', 'ShapeNetRendering'))
    if not os.path.isdir(vox) or not os.path.isdir(ren):
        raise DataError(f'{root}: not a dataset root (needs ShapeNetRendering/ and ShapeNetVox32/)')
    # Every category folder present, not lib.data_io.category_models: that one lists the categories
    # of the config's category file (and warns about absent ones), a mix takes whatever a source holds.
    models = {}
    for synset in list_models(vox):
        ids = [m for m in list_models(os.path.join(vox, synset)) if os.path.isdir(os.path.join(ren, synset, m))]
        if ids:
            models[synset] = ids
    if not models:
        raise DataError(f'{root}: no model with both renderings and voxels')
    return models


def make_mix(out, sources):
    """Write the mix root `out` from [(name, root, weight)]; returns {name: number of models}.

    Built in a temporary folder beside `out` and moved into place: a reader never sees half a mix.
    An existing mix at `out` is replaced; any other existing folder is refused.
    """
    out = os.path.abspath(out)
    if os.path.exists(out) and read_mix(out) is None and (not os.path.isdir(out) or os.listdir(out)):
        raise DataError(f'{out}: exists and is not a mix; choose another --out')
    names = [name for name, _, _ in sources]
    if len(set(names)) != len(names):
        raise DataError(f'two sources have the same name ({", ".join(names)}): name them NAME=ROOT')
    owner, manifest = {}, []
    for name, root, weight in sources:
        models = source_models(root)
        for synset, ids in models.items():
            for model in ids:
                if (synset, model) in owner:
                    raise DataError(f'model {synset}/{model} is in both {owner[synset, model]} and {name}')
                owner[synset, model] = name
        manifest.append({'name': name, 'root': root, 'weight': weight, 'models': models})
    os.makedirs(os.path.dirname(out), exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=f'.{os.path.basename(out)}.', dir=os.path.dirname(out))
    try:
        for source in manifest:
            for synset, ids in source['models'].items():
                for part in LAYOUT:
                    os.makedirs(os.path.join(tmp, part, synset), exist_ok=True)
                    for model in ids:
                        os.symlink(os.path.join(source['root'], part, synset, model),
                                   os.path.join(tmp, part, synset, model))
        with open(os.path.join(tmp, MIX_MANIFEST), 'w') as f:
            json.dump({'format': MIX_FORMAT, 'sources': manifest}, f, indent=1)
        if os.path.exists(out):
            shutil.rmtree(out)   # an old mix: links and a manifest only
        os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return {s['name']: sum(len(ids) for ids in s['models'].values()) for s in manifest}
