"""The one configuration tree of the project.

Defaults are the original release's (chrischoy/3D-R2N2 lib/config.py) unless a comment says otherwise.
A run's config is the defaults, then each YAML file given with --cfg (in order), then each
--set KEY VALUE pair. Keys are dotted paths (CONST.BATCH_SIZE). An unknown key or a value of the wrong
type is a ConfigError naming the key; nothing is merged silently.
"""
import copy
import math

import yaml


class ConfigError(ValueError):
    """A config file or --set pair that does not fit the config tree."""


class Config(dict):
    """A dict whose keys read as attributes: cfg.CONST.BATCH_SIZE."""

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name, value):
        self[name] = value

    def __deepcopy__(self, memo):
        return Config({k: copy.deepcopy(v, memo) for k, v in self.items()})

    def to_dict(self):
        return {k: v.to_dict() if isinstance(v, Config) else copy.deepcopy(v) for k, v in self.items()}


def _is_section(v):
    # sections have UPPER_CASE keys; a plain-valued dict such as LEARNING_RATES does not
    return isinstance(v, dict) and bool(v) and all(str(k).isupper() for k in v)


def _tree(d):
    return Config({k: _tree(v) if _is_section(v) else v for k, v in d.items()})


# Category names of the 13 ShapeNet synsets of the paper (REFERENCE.md), used in reports.
CATEGORY_NAMES = {
    '02691156': 'airplane', '02828884': 'bench', '02933112': 'cabinet', '02958343': 'car',
    '03001627': 'chair', '03211117': 'display', '03636649': 'lamp', '03691459': 'speaker',
    '04090263': 'rifle', '04256520': 'sofa', '04379243': 'table', '04401088': 'telephone',
    '04530566': 'watercraft',
}

_DEFAULTS = {
    'CONST': {
        'RNG_SEED': 0,
        'IMG_W': 127,            # network input after cropping
        'IMG_H': 127,
        'IMG_RAW': 137,          # size of the ShapeNet renderings before cropping
        'N_VOX': 32,
        'N_VIEWS': 5,            # maximum number of views per sample
        'BATCH_SIZE': 36,
        'WEIGHTS': '',           # when set, start from these weights
    },
    'NETWORK': {
        'NAME': 'res_gru_3',     # one of models.NETWORKS (aliases: ResidualGRUNet, GRUNet)
        'LEAKY_SLOPE': 0.01,     # released code; the paper text says 0.1
        'GRID_SIZE': 4,          # side of the recurrent 3D grid
        'HIDDEN_CHANNELS': 128,  # channels of the recurrent state
        'WIDTH': 1.0,            # multiplies every channel count (hidden state included); 1.0 = paper
        # How the network is computed (same weights, same results within float rounding):
        # or 'mixed_bfloat16' / 'mixed_float16' (encoder/decoder in 16 bits; state, loss float32;
        # float16 trains with dynamic loss scaling)
        'PRECISION': 'float32',
    },
    'DIR': {
        'DATASET': 'datasets/shapenet_1000.json',  # categories (and optional model lists)
        'DATASET_ROOT': '',      # folder with ShapeNetRendering/ and ShapeNetVox32/; '' = embedded
        'EMBEDDED_ROOT': 'data/embedded_v2',  # where the embedded (generated) dataset lives; relative = repo
        'RENDERING_PATH': '{root}/ShapeNetRendering/{category}/{model}/rendering',
        'VOXEL_PATH': '{root}/ShapeNetVox32/{category}/{model}/model.binvox',
        'OUT_PATH': 'output/default',
    },
    'TRAIN': {
        'DATASET_PORTION': [0.0, 0.8],
        'NUM_ITERATION': 60000,
        'NUM_RENDERING': 24,
        'VALIDATION_FREQ': 2000,
        'RANDOM_NUM_VIEWS': True,  # one number of views in 1..N_VIEWS per minibatch
        'NUM_WORKER': 2,
        # augmentation
        'RANDOM_CROP': True,
        'PAD_X': 10,
        'PAD_Y': 10,
        'FLIP': True,
        'NO_BG_COLOR_RANGE': [[225, 255], [225, 255], [225, 255]],
        'RANDOM_BACKGROUND': False,  # paste renderings on crops of real photos (the paper's PASCAL VOC)
        'SIMPLE_BACKGROUND_RATIO': 0.5,
        'BACKGROUND_PATH': '',       # folder of photos; '' = the sample photos shipped with scikit-image
        # learning
        'POLICY': 'adam',
        'DEFAULT_LEARNING_RATE': 1e-4,
        'LEARNING_RATES': {'20000': 1e-5, '60000': 1e-6},  # iteration -> rate from that iteration on
        'MOMENTUM': 0.9,
        'WEIGHT_DECAY': 5e-5,        # L2 on non-bias weights, added to their gradients
        'LOSS_LIMIT': 2.0,           # stop if the loss exceeds it (or is NaN)
        'SAVE_FREQ': 10000,
        'PRINT_FREQ': 40,
        'TENSORBOARD': True,         # write TensorBoard logs under the run's folder
        # none | mirrored (all GPUs of this machine) | multi_worker (machines from TF_CONFIG);
        # CONST.BATCH_SIZE stays the global batch (lib/devices/distribute.py)
        'STRATEGY': 'none',
        # XLA / jax.jit / torch.compile of the training step: auto (off on a CPU; on a GPU on for
        # TensorFlow and JAX, off for PyTorch), true or false (lib/devices/backend.py)
        'JIT_COMPILE': 'auto',
    },
    'TEST': {
        'DATASET_PORTION': [0.8, 1.0],
        'BATCH_SIZE': 8,             # models evaluated together
        'NUM_VALIDATION_MODELS': 64, # test models used by the validation during training
        'NO_BG_COLOR_RANGE': [[240, 240], [240, 240], [240, 240]],
        'VOXEL_THRESH': [0.4],
    },
    # the embedded dataset (datasets/embedded/generator.py), generated in DIR.EMBEDDED_ROOT on first use
    'EMBEDDED': {
        'VERSION': 2,            # dataset format: 2 = coloured materials, v2 grammars; 1 = the first, grey
        'N_PER_CATEGORY': 200,   # objects per category at least (13 categories); 80/20 split like ShapeNet
        'SHAPENET_SHARE': 0.1,   # and at least this share of the category's ShapeNet models (0: N each)
        'SEED': 0,               # same seed, same bytes; a larger N keeps the first objects
        'NUM_WORKERS': 2,        # generator processes
    },
}


def get_default_config():
    """A fresh copy of the defaults (callers may mutate it freely)."""
    return _tree(copy.deepcopy(_DEFAULTS))


# Lists whose length is part of their meaning: [start, end) portions, [low, high] per colour channel.
_FIXED_LENGTH = {'TRAIN.DATASET_PORTION', 'TEST.DATASET_PORTION',
                 'TRAIN.NO_BG_COLOR_RANGE', 'TEST.NO_BG_COLOR_RANGE'}


def _is_float_text(text):
    try:
        float(text)
    except ValueError:
        return False
    return True


# String keys that also take a YAML boolean (true/false, also yes/no/on/off), kept as 'true'/'false'.
_BOOLEAN_TEXT = {'TRAIN.JIT_COMPILE'}


def _check_value(key, default, value):
    """Return value converted to the type of default, or raise ConfigError naming key."""
    if key in _BOOLEAN_TEXT and isinstance(value, bool):
        return 'true' if value else 'false'
    if isinstance(default, bool) or isinstance(value, bool):
        if isinstance(default, bool) and isinstance(value, bool):
            return value
    elif isinstance(default, float) and isinstance(value, (int, float)):
        return float(value)
    elif isinstance(default, float) and isinstance(value, str) and _is_float_text(value):
        return float(value)  # YAML 1.1 reads 1e-5 (no dot) as a string
    elif isinstance(default, int) and isinstance(value, int):
        return value
    elif isinstance(default, str) and isinstance(value, str):
        return value
    elif isinstance(default, list) and isinstance(value, list):
        if default and not value:
            raise ConfigError(f'config key {key}: expected a non-empty list, got []')
        if key in _FIXED_LENGTH and len(value) != len(default):
            raise ConfigError(f'config key {key}: expected a list of {len(default)} items, got {value!r}')
        if not default:
            return list(value)
        # elements follow the type of the default's first element (and its length, for ranges)
        fixed_items = isinstance(default[0], list) and key in _FIXED_LENGTH
        out = []
        for i, v in enumerate(value):
            if fixed_items and isinstance(v, list) and len(v) != len(default[0]):
                raise ConfigError(f'config key {key}[{i}]: expected a list of {len(default[0])} items, '
                                  f'got {v!r}')
            out.append(_check_value(f'{key}[{i}]', default[0], v))
        return out
    elif isinstance(default, dict) and isinstance(value, dict):
        # e.g. LEARNING_RATES {iteration: rate}; YAML reads 20000 as an int key
        sample = next(iter(default.values()), None)
        for k in value:
            if not str(k).isdigit():
                raise ConfigError(f'config key {key}: keys are iteration numbers, got {k!r}')
        return {str(k): v if sample is None else _check_value(f'{key}.{k}', sample, v)
                for k, v in value.items()}
    raise ConfigError(f'config key {key}: expected {type(default).__name__}, '
                      f'got {type(value).__name__} ({value!r})')


# Keys of earlier versions: configs of earlier runs still load (the key is ignored) where it holds
# what the code now always does (None: any value); another value says why it no longer can be.
RETIRED = {'NETWORK.FAST_PATH': (True, 'the network always runs without the products with '
                                       "unpooling's zeros; the literal form is lib/bench/theano_form.py"),
           'TRAIN.QUEUE_SIZE': (None, 'batches are read ahead 2 x TRAIN.NUM_WORKER deep')}


def _retired(key, value):
    kept, why = RETIRED[key]
    if kept is not None and value != kept:
        raise ConfigError(f'config key {key} is retired: {why}')


def merge(cfg, overrides, prefix=''):
    """Merge a nested dict of overrides into cfg, checking every key and type."""
    if not isinstance(overrides, dict):
        raise ConfigError(f'config {prefix or "file"}: expected a mapping, got {type(overrides).__name__}')
    for k, v in overrides.items():
        key = f'{prefix}{k}'
        if k not in cfg and key in RETIRED:
            _retired(key, v)
            continue
        if k not in cfg:
            raise ConfigError(f'unknown config key {key}')
        if isinstance(cfg[k], Config):
            if not isinstance(v, dict):
                raise ConfigError(f'config key {key}: expected a section (mapping), got {v!r}')
            merge(cfg[k], v, key + '.')
        else:
            cfg[k] = _check_value(key, cfg[k], v)
    return cfg


def set_value(cfg, dotted_key, text):
    """Apply one --set KEY VALUE pair; VALUE is parsed as YAML (numbers, lists, booleans, strings)."""
    try:
        value = yaml.safe_load(text) if isinstance(text, str) else text
    except yaml.YAMLError:
        value = text
    if value is None:
        value = ''
    if dotted_key in RETIRED:
        _retired(dotted_key, value)
        return cfg
    *path, last = dotted_key.split('.')
    node = cfg
    for i, part in enumerate(path):
        if part not in node or not isinstance(node[part], Config):
            raise ConfigError(f'unknown config key {".".join(path[:i + 1])}')
        node = node[part]
    if last not in node:
        raise ConfigError(f'unknown config key {dotted_key}')
    if isinstance(node[last], Config):
        raise ConfigError(f'config key {dotted_key} is a section; set one of its keys')
    if isinstance(node[last], str) and not isinstance(value, str) and not (
            dotted_key in _BOOLEAN_TEXT and isinstance(value, bool)):
        value = text  # a path such as 123 or a name such as "true" stays the string the user typed
    node[last] = _check_value(dotted_key, node[last], value)
    return cfg


def load_config(cfg_files=(), set_pairs=()):
    """Defaults, then YAML files in order, then (KEY, VALUE) pairs in order."""
    cfg = get_default_config()
    for path in cfg_files:
        try:
            with open(path) as f:
                data = yaml.safe_load(f) or {}
        except OSError as e:
            raise ConfigError(f'cannot read config file {path}: {e.strerror or e}') from None
        except UnicodeDecodeError:   # a binary file given by mistake
            raise ConfigError(f'config file {path} is not a text (YAML) file') from None
        except yaml.YAMLError as e:
            raise ConfigError(f'config file {path} is not valid YAML: {e}') from None
        try:
            merge(cfg, data)
        except ConfigError as e:
            raise ConfigError(f'{path}: {e}') from None
    for key, value in set_pairs:
        set_value(cfg, key, value)
    check_ranges(cfg)
    return cfg


# Values whose type is right but that no run can use: (key, test, what it must be). Checked when a
# config is loaded, so a command refuses them before any work (a run of --iter 0 used to end
# "successfully" with untrained weights).
_RANGES = [
    ('CONST.BATCH_SIZE', lambda v: v >= 1, 'at least 1'),
    ('CONST.N_VIEWS', lambda v: v >= 1, 'at least 1'),
    ('CONST.RNG_SEED', lambda v: v >= 0, 'a whole number >= 0'),
    ('TRAIN.NUM_ITERATION', lambda v: v >= 1, 'at least 1'),
    ('TRAIN.SAVE_FREQ', lambda v: v >= 1, 'at least 1'),
    ('TRAIN.PRINT_FREQ', lambda v: v >= 1, 'at least 1'),
    ('TRAIN.VALIDATION_FREQ', lambda v: v >= 1, 'at least 1'),
    ('TRAIN.DEFAULT_LEARNING_RATE', lambda v: math.isfinite(v) and v > 0, 'a number above 0'),
    ('TEST.BATCH_SIZE', lambda v: v >= 1, 'at least 1'),
    ('EMBEDDED.SEED', lambda v: v >= 0, 'a whole number >= 0'),
    ('EMBEDDED.N_PER_CATEGORY', lambda v: v >= 1, 'at least 1'),
    ('EMBEDDED.SHAPENET_SHARE', lambda v: 0 <= v <= 1, 'between 0 and 1'),
]


def check_ranges(cfg):
    """A ConfigError naming the first key whose value is out of its range."""
    for key, ok, what in _RANGES:
        section, name = key.split('.')
        value = cfg[section][name]
        if not ok(value):
            raise ConfigError(f'config key {key} must be {what}, got {value}')
    for step, rate in cfg.TRAIN.LEARNING_RATES.items():
        if not (math.isfinite(rate) and rate > 0):
            raise ConfigError(f'config key TRAIN.LEARNING_RATES.{step} must be a number above 0, got {rate}')
    if cfg.TRAIN.JIT_COMPILE not in ('auto', 'true', 'false'):
        raise ConfigError(f'config key TRAIN.JIT_COMPILE must be auto, true or false, got {cfg.TRAIN.JIT_COMPILE!r}')
    for t in cfg.TEST.VOXEL_THRESH:
        if not 0 < t < 1:
            raise ConfigError(f'config key TEST.VOXEL_THRESH: thresholds must be between 0 and 1, got {t}')


def dump_config(cfg):
    """YAML text of a config, loadable again with --cfg."""
    return yaml.safe_dump(cfg.to_dict(), sort_keys=False, default_flow_style=None)


