"""Where the dataset is: categories, model listing, the train/test split, and file paths.

Layout (ShapeNet's, also written by the embedded generator):
    {root}/ShapeNetRendering/{category}/{model}/rendering/00.png ... 23.png
    {root}/ShapeNetVox32/{category}/{model}/model.binvox
Paths come from the templates cfg.DIR.RENDERING_PATH and cfg.DIR.VOXEL_PATH. Like the original,
models are listed from the voxel folders, sorted by id per category (categories sorted by synset),
and a split is the slice models[int(n * p0):int(n * p1)] of each category.
"""
import json
import os
import pathlib
import sys

REPO_ROOT = pathlib.Path(__file__).resolve().parents[1]


class DataError(ValueError):
    """Missing or bad dataset files; the message names the file and the problem."""


_warned = set()


def warn(message, once=False):
    """One `warning: ...` line on stderr (data problems that do not stop a run)."""
    if once:
        if message in _warned:
            return
        _warned.add(message)
    print(f'warning: {message}', file=sys.stderr, flush=True)


def repo_path(path):
    """An absolute path as given; a relative one is taken from the repository root."""
    path = os.path.expanduser(str(path))
    return path if os.path.isabs(path) else str(REPO_ROOT / path)


def dataset_root(cfg):
    """The folder holding ShapeNetRendering/ and ShapeNetVox32/: DIR.DATASET_ROOT, or the embedded one."""
    return repo_path(cfg.DIR.DATASET_ROOT or cfg.DIR.EMBEDDED_ROOT)


def _fill(template, key, **fields):
    try:
        return template.format(**fields)
    except (KeyError, IndexError, ValueError) as e:
        raise DataError(f'config key DIR.{key} {template!r}: bad template ({e!r}); '
                        'placeholders are {root}, {category}, {model}') from None


def rendering_dir(cfg, synset, model):
    return _fill(cfg.DIR.RENDERING_PATH, 'RENDERING_PATH', root=dataset_root(cfg), category=synset,
                 model=model)


def rendering_path(cfg, synset, model, view_index):
    """The PNG of one view: <rendering dir>/NN.png (two digits, as in ShapeNetRendering)."""
    return os.path.join(rendering_dir(cfg, synset, model), f'{int(view_index):02d}.png')


def voxel_path(cfg, synset, model):
    return _fill(cfg.DIR.VOXEL_PATH, 'VOXEL_PATH', root=dataset_root(cfg), category=synset, model=model)


def _category_dir(cfg, template, key, synset):
    """The folder whose sub-folders are a category's models: the template cut before {model}."""
    if '{model}' not in template:
        raise DataError(f'config key DIR.{key} {template!r} has no {{model}} placeholder')
    head = template.split('{model}')[0]
    return os.path.normpath(_fill(head, key, root=dataset_root(cfg), category=synset))


def voxel_category_dir(cfg, synset):
    return _category_dir(cfg, cfg.DIR.VOXEL_PATH, 'VOXEL_PATH', synset)


def rendering_category_dir(cfg, synset):
    return _category_dir(cfg, cfg.DIR.RENDERING_PATH, 'RENDERING_PATH', synset)


def load_categories(cfg):
    """The dataset file (DIR.DATASET) as [(synset, entry)] sorted by synset; entry has 'id', 'name'
    and optionally 'models' (an explicit model list instead of listing the folder)."""
    path = repo_path(cfg.DIR.DATASET)
    try:
        with open(path) as f:
            data = json.load(f)
    except OSError as e:
        raise DataError(f'{path}: cannot read the category file ({e.strerror})') from None
    except json.JSONDecodeError as e:
        raise DataError(f'{path}: not valid JSON ({e})') from None
    if not isinstance(data, dict) or not data:
        raise DataError(f'{path}: expected a non-empty mapping synset -> {{"id", "name"}}')
    categories = []
    for key, entry in data.items():
        if not isinstance(entry, dict) or not isinstance(entry.get('id'), str):
            raise DataError(f'{path}: category {key!r} needs an "id" string')
        models = entry.get('models')
        if models is not None and not (isinstance(models, list) and all(isinstance(m, str) for m in models)):
            raise DataError(f'{path}: category {key!r}: "models" must be a list of model ids')
        categories.append((entry['id'], entry))
    return sorted(categories, key=lambda item: item[0])


def list_models(folder):
    """Sorted names of the sub-folders of folder (one per model)."""
    with os.scandir(folder) as entries:
        return sorted(e.name for e in entries if e.is_dir())


MIX_MANIFEST = 'mix.json'   # a training mix: several dataset roots seen as one (datasets/mix.py)
MIX_FORMAT = 'r2n2-mix-1'


def read_mix(root):
    """The mix manifest of a dataset root, or None for a plain root.

    A mix root holds symbolic links to the models of several dataset roots (the embedded dataset,
    rendered real collections) and mix.json: per source its name, root, weight and models per
    category. Each source keeps its own train/test split (the slice of its own sorted ids), so a
    source's test split inside the mix is exactly its test split alone.
    """
    path = os.path.join(root, MIX_MANIFEST)
    if not os.path.isfile(path):
        return None
    try:
        with open(path) as f:
            mix = json.load(f)
    except (OSError, ValueError) as e:
        raise DataError(f'{path}: unreadable mix manifest ({e})') from None
    sources = mix.get('sources') if isinstance(mix, dict) else None
    if not isinstance(sources, list) or not sources or mix.get('format') != MIX_FORMAT:
        raise DataError(f'{path}: not a mix manifest of format {MIX_FORMAT} with a list of sources')
    for source in sources:
        ok = (isinstance(source, dict) and isinstance(source.get('name'), str)
              and isinstance(source.get('weight', 1), int) and source.get('weight', 1) >= 1
              and isinstance(source.get('models'), dict)
              and all(isinstance(m, list) for m in source['models'].values()))
        if not ok:
            raise DataError(f'{path}: a source needs a name, an integer weight >= 1 and models per category')
    return sources


def category_models(cfg):
    """[(synset, [model ids sorted])] for every category present under the dataset root.

    A category folder missing under the root is skipped with a warning; if none is present the
    dataset root is wrong and that is a DataError naming it.
    """
    root = dataset_root(cfg)
    if not os.path.isdir(root):
        hint = ('' if cfg.DIR.DATASET_ROOT else
                ' (the embedded dataset has not been generated: ./run.sh generate-data)')
        raise DataError(f'dataset root {root} does not exist{hint}')
    found, missing = [], []
    for synset, entry in load_categories(cfg):
        if entry.get('models') is not None:
            found.append((synset, sorted(entry['models'])))
            continue
        folder = voxel_category_dir(cfg, synset)
        if os.path.isdir(folder):
            found.append((synset, list_models(folder)))
        else:
            missing.append(folder)
    if not found:
        raise DataError(f'dataset root {root}: none of the {len(missing)} category folders is present '
                        f'(looked for {missing[0]} and others)')
    if missing:
        # one line, not one per category: a sample or partial copy often lacks most of them
        names = ', '.join(os.path.basename(folder) for folder in missing)
        warn(f'{len(missing)} of {len(missing) + len(found)} category folders not found, skipped: '
             f'{names} (e.g. {missing[0]})', once=True)   # listing train and test would say it twice
    return found


def split(models, portion):
    """The original's slice of one category's sorted model list: models[int(n*p0):int(n*p1)]."""
    p0, p1 = portion
    n = len(models)
    return models[int(n * p0):int(n * p1)]


def category_model_pairs(cfg, portion, weighted=False):
    """[(synset, model id)] of the given portion (e.g. cfg.TRAIN.DATASET_PORTION) of every category.

    In a mix root each source is split on its own; weighted (training) repeats a source's models
    `weight` times, so a small real collection is seen as often as its weight says.
    """
    if len(portion) != 2 or not 0.0 <= portion[0] <= portion[1] <= 1.0:
        raise DataError(f'dataset portion {list(portion)} must be two fractions 0 <= p0 <= p1 <= 1')
    present = category_models(cfg)
    sources = read_mix(dataset_root(cfg))
    pairs = []
    for synset, models in present:
        if sources is not None:
            listed = sorted(m for source in sources for m in source['models'].get(synset, []))
            if listed != models:
                raise DataError(f'{dataset_root(cfg)}: the models of category {synset} differ from its '
                                f'{MIX_MANIFEST}; make the mix again (./run.sh mix-data)')
        if sources is None:
            pairs.extend((synset, model) for model in split(models, portion))
            continue
        for source in sources:
            own = sorted(m for m in source['models'].get(synset, []))
            repeat = source.get('weight', 1) if weighted else 1
            pairs.extend((synset, model) for model in split(own, portion) * repeat)
    return pairs
