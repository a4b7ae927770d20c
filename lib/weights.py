"""Weights on disk: .weights.h5 files by layer name, with a network check, and the converter from the
original release's .npy file (a pickled list of Theano-layout arrays).

A .weights.h5 written here holds one HDF5 dataset per parameter under weights/, named by the layer
and the parameter (weights/conv1a/kernel, weights/recurrence/gru/t_x_s_update/Wx, ... the release's
layer names), so a file reads the same in any tool and does not depend on how Keras numbers its
layers. Its root carries the network's spec, so loading weights made for another network (or
another width) fails with one line naming both. Files written by Keras' own save_weights (no
by-name group) are still read, through Keras.
"""
import codecs
import io
import json
import os
import pickle

import h5py
import numpy as np

from lib.output.atomic import atomic_write

SPEC_ATTR = 'r2n2_spec'
FORMAT_ATTR = 'r2n2_format'
FORMAT = 'by-layer-name-1'   # weights/<layer path>/<parameter>
GROUP = 'weights'


class WeightsError(ValueError):
    """Weights that cannot be used: missing, unreadable, or made for another network."""


def _spec_dict(model):
    """The spec of a network as stored in its weights files (plus a readable description): its
    NetworkSpec (models.common.Network.spec), or only its name for any other Keras model."""
    spec = getattr(model, 'spec', None)
    if spec is not None:
        return spec.to_dict()
    return {'name': model.name, 'description': model.name}


def _describe(d):
    return d.get('description') or d.get('name', '?')


def _parameters(model):
    """The network's parameters by name: 'conv1a/kernel', 'recurrence/gru/t_x_rs/Wx', ...

    Trainable variables only: the networks have no other parameters, and a stateful recurrence's
    state (non-trainable) is not part of the weights.
    """
    params = {v.path: v for v in model.trainable_weights}
    if len(params) != len(model.trainable_weights):
        raise WeightsError(f'{model.name}: two parameters share a name; cannot save by layer name')
    return params


def save_weights(model, path):
    """Save a network's weights by layer name to PATH.weights.h5, atomically, with its spec."""
    if not path.endswith('.weights.h5'):
        raise WeightsError(f'{path}: weights files must end with .weights.h5')
    import keras
    arrays = {name: keras.ops.convert_to_numpy(var) for name, var in _parameters(model).items()}

    # HDF5 is built in memory and written with one plain file write: a full disk is then a clean
    # OSError (HDF5 writing to a full disk itself crashed the process)
    buffer = io.BytesIO()
    with h5py.File(buffer, 'w') as f:
        f.attrs[SPEC_ATTR] = json.dumps(_spec_dict(model))
        f.attrs[FORMAT_ATTR] = FORMAT
        group = f.create_group(GROUP)
        for name, array in arrays.items():
            group.create_dataset(name, data=array)   # 'conv1a/kernel' makes the group conv1a

    def write(tmp):
        with open(tmp, 'wb') as f:
            f.write(buffer.getbuffer())

    atomic_write(path, write)
    return path


def _read_by_name(path):
    """{parameter name: array} of a by-name file, or None for a plain Keras weights file."""
    try:
        with h5py.File(path, 'r') as f:
            if f.attrs.get(FORMAT_ATTR) is None:
                return None
            if GROUP not in f:
                raise WeightsError(f'{path}: no {GROUP}/ group (a damaged weights file)')
            arrays = {}
            f[GROUP].visititems(lambda name, obj: arrays.__setitem__(name, obj[()])
                                if isinstance(obj, h5py.Dataset) else None)
    except OSError as e:
        raise WeightsError(f'{path}: not a readable HDF5 weights file ({_first_line(e)})') from None
    for name, array in arrays.items():
        if not (isinstance(array, np.ndarray) and array.dtype.kind == 'f'):
            kind = f'{array.dtype} data' if isinstance(array, np.ndarray) else type(array).__name__
            raise WeightsError(f'{path}: {name} holds {kind}, not floating-point numbers')
    return arrays


def read_weight_arrays(path):
    """{parameter name: array} of a weights file written by save_weights, every byte read: a
    WeightsError if it is damaged or of another kind."""
    arrays = _read_by_name(path)
    if arrays is None:
        raise WeightsError(f'{path}: not a weights file written by this project')
    return arrays


def _first_line(e):
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__


def read_spec(path):
    """The spec dict stored in a weights file, or None for a plain Keras file."""
    try:
        with h5py.File(path, 'r') as f:
            raw = f.attrs.get(SPEC_ATTR)
    except OSError as e:
        raise WeightsError(f'{path}: not a readable HDF5 weights file ({_first_line(e)})') from None
    if raw is None:
        return None
    try:
        spec = json.loads(raw)
    except (TypeError, ValueError):
        spec = None
    # the spec decides which network is built: anything but a mapping naming one is a damaged file
    if not isinstance(spec, dict) or not isinstance(spec.get('name'), str):
        raise WeightsError(f'{path}: damaged weights file (its {SPEC_ATTR} attribute is not a network spec)')
    return spec


# Spec fields that change the shapes of weights; the leaky slope does not.
_SHAPE_FIELDS = ('encoder', 'cell', 'recurrent_kernel', 'decoder', 'width', 'grid_size', 'hidden_channels')


def load_weights(model, path):
    """Load PATH into model, failing with one line if it is missing or made for another network."""
    if not os.path.isfile(path):
        raise WeightsError(f'weights file not found: {path}')
    stored = read_spec(path)
    mine = _spec_dict(model)
    if stored is not None:
        mismatch = [k for k in _SHAPE_FIELDS if k in stored and k in mine and stored[k] != mine[k]]
        if stored.get('name') != mine.get('name') or mismatch:
            raise WeightsError(f'{path} holds weights of {_describe(stored)}, '
                               f'not of the requested {_describe(mine)}')
    arrays = _read_by_name(path)
    if arrays is None:
        return _load_keras_file(model, path, mine)
    params = _parameters(model)
    missing = [name for name in params if name not in arrays]
    if missing:
        raise WeightsError(f'{path} has no {missing[0]}, which {_describe(mine)} needs '
                           f'({len(missing)} of its {len(params)} parameters missing)')
    extra = [name for name in arrays if name not in params]
    if extra:
        raise WeightsError(f'{path} holds {extra[0]}, which {_describe(mine)} does not have')
    for name, var in params.items():
        if tuple(arrays[name].shape) != tuple(var.shape):
            raise WeightsError(f'{path}: {name} has shape {tuple(arrays[name].shape)}, '
                               f'{_describe(mine)} needs {tuple(var.shape)}')
        if not np.isfinite(arrays[name]).all():   # such a network predicts nothing but NaN
            raise WeightsError(f'{path}: {name} holds NaN or infinite values')
    for name, var in params.items():   # only after every check: never a half-loaded network
        var.assign(arrays[name].astype(var.dtype, copy=False))
    return model


def _load_keras_file(model, path, mine):
    """A file written by Keras' save_weights: Keras matches it by layer class and position."""
    import warnings
    import keras
    before = [keras.ops.convert_to_numpy(v) for v in model.weights]
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter('always')
            model.load_weights(path)
        # Keras only warns when it cannot match a nested model's group of the file, and leaves
        # those layers as they were: for us that is a file that does not fit
        skipped = [w for w in caught if 'Skipping' in str(w.message)]
        if skipped:
            raise ValueError(f'Keras matched none of the file to {len(skipped)} nested groups of layers')
    except Exception as e:
        for var, value in zip(model.weights, before):   # Keras may have loaded some layers: undo
            var.assign(value)
        # Keras' message is many lines ending in a dump of the variable's values; keep its sentences
        # up to the dump (its first line alone ends with "for object <...>:")
        text = ' '.join(line.strip() for line in str(e).splitlines() if line.strip()) or type(e).__name__
        for dump in (' Target variable:', ' List of objects'):
            text = text.split(dump)[0]
        if len(text) > 400:
            text = text[:400].rsplit('. ', 1)[0] + '.'
        raise WeightsError(f'{path} does not fit {_describe(mine)}: {text}') from None
    bad = first_non_finite(model)
    if bad:   # such a network predicts nothing but NaN
        for var, value in zip(model.weights, before):
            var.assign(value)
        raise WeightsError(f'{path}: {bad} holds NaN or infinite values')
    from lib.data_io import warn
    # Keras' own files name no network and match by layer order: lstm_3 and gru_3 (their gates have
    # the same shapes) load into each other without a word, so say what was not checked
    warn(f'{path} is a plain Keras weights file: it does not say which network it holds and was '
         f'matched to {_describe(mine)} by layer order and shape only')
    return model


def first_non_finite(model):
    """The name of the first parameter of model holding a NaN or an infinity, or None."""
    import keras
    for var in model.trainable_weights:
        if not np.isfinite(keras.ops.convert_to_numpy(var)).all():
            return var.path
    return None


# ---------------------------------------------------------------------------------------------
# The original release's weights file

def original_name(variable_path):
    """'recurrence/gru/t_x_s_update/Wx' -> 't_x_s_update.Wx'; 'conv1a/kernel' -> 'conv1a.W'."""
    layer, var = variable_path.split('/')[-2:]
    return f"{layer}.{ {'kernel': 'W', 'bias': 'b'}.get(var, var) }"


def original_shape(variable):
    """The shape the original file stores for a Keras variable."""
    shape = tuple(variable.shape)
    if len(shape) == 4:
        kh, kw, cin, cout = shape
        return (cout, cin, kh, kw)
    if len(shape) == 5:
        kd, kh, kw, cin, cout = shape
        return (cout, kd, cin, kh, kw)
    return shape


def convert_original(model, arrays):
    """Map the original's list of arrays onto model's trainable weights by position and shape.

    Order (REFERENCE.md): every layer's W then b in creation order, each transition Wh, Wx, b.
    A wrong count or the first wrong shape is a WeightsError naming it.
    """
    variables = model.trainable_weights
    if len(arrays) != len(variables):
        raise WeightsError(f'the file has {len(arrays)} arrays; {model.name} needs {len(variables)}')
    fc7_channels = model.spec.encoder_filters[-1]
    converted = []
    for i, (var, array) in enumerate(zip(variables, arrays)):
        array = np.asarray(array)
        want = original_shape(var)
        if tuple(array.shape) != want:
            raise WeightsError(f'array {i} ({original_name(var.path)}): expected shape {want}, '
                               f'got {tuple(array.shape)}')
        last = var.path.split('/')[-1]
        if last == 'Wx':
            f, n = array.shape
            c = var.shape[1] // model.spec.grid_size ** 3
            g = model.spec.grid_size
            out = array.reshape(f, g, c, g, g).transpose(0, 1, 3, 4, 2).reshape(f, n)
        elif var.path.endswith('fc7/kernel'):
            n_in, n_out = array.shape
            side = round((n_in // fc7_channels) ** 0.5)
            out = (array.reshape(fc7_channels, side, side, n_out)
                   .transpose(1, 2, 0, 3).reshape(n_in, n_out))
        elif array.ndim == 4:
            out = array.transpose(2, 3, 1, 0)[::-1, ::-1]
        elif array.ndim == 5:
            out = array.transpose(1, 3, 4, 2, 0)[::-1, ::-1, ::-1]
        else:
            out = array
        converted.append(np.ascontiguousarray(out, dtype=np.float32))
    for var, value in zip(variables, converted):
        var.assign(value)
    return model


# What the original file's pickle may name: numpy's array reconstruction and plain containers.
# Anything else (os.system, builtins.eval, subprocess.Popen, ...) is refused before it is looked up,
# so a planted payload never runs.
_ALLOWED_GLOBALS = {
    ('numpy.core.multiarray', '_reconstruct'): np._core.multiarray._reconstruct,
    ('numpy._core.multiarray', '_reconstruct'): np._core.multiarray._reconstruct,
    ('numpy', 'ndarray'): np.ndarray,
    ('numpy', 'dtype'): np.dtype,
    ('_codecs', 'encode'): codecs.encode,   # bytes in protocol-2 pickles of Python 3
    ('builtins', 'list'): list, ('builtins', 'tuple'): tuple, ('builtins', 'dict'): dict,
    ('__builtin__', 'list'): list, ('__builtin__', 'tuple'): tuple, ('__builtin__', 'dict'): dict,
}


class _Refused(pickle.UnpicklingError):
    """A global or persistent id the original weights file cannot hold."""


class _ArraysOnlyUnpickler(pickle.Unpickler):
    """Unpickles numpy arrays and containers; refuses every other global."""

    def find_class(self, module, name):
        try:
            return _ALLOWED_GLOBALS[(module, name)]
        except KeyError:
            raise _Refused(f'refused to load {module}.{name}: the original weights file '
                                         f'holds only numpy arrays') from None

    def persistent_load(self, pid):
        raise _Refused('refused a persistent id: the original weights file has none')


def _read_npy_objects(path, f):
    """The object array of a .npy file, its pickled payload read by the restricted unpickler."""
    try:
        version = np.lib.format.read_magic(f)
    except ValueError:
        raise WeightsError(f'{path}: not a .npy file (the original weights are np.save of a list of '
                           f'arrays)') from None
    try:
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
        elif version == (2, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(f)
        else:
            raise ValueError(f'format version {version[0]}.{version[1]} is not one np.save of 2016 wrote')
    except ValueError as e:
        raise WeightsError(f'{path}: damaged .npy header ({e})') from None
    if not dtype.hasobject:
        raise WeightsError(f'{path}: expected a list of arrays (object array), got a {dtype} array '
                           f'of shape {shape}')
    try:
        data = _ArraysOnlyUnpickler(f, encoding='latin1').load()
    except _Refused as e:
        raise WeightsError(f'{path}: {e}') from None
    except Exception as e:   # a truncated or garbled pickle
        raise WeightsError(f'{path}: damaged pickled arrays ({type(e).__name__}: {e})') from None
    return data


def read_original_file(path):
    """The original release's weights: np.save of a list of float arrays (a pickled object array).

    The pickle is read by an unpickler that allows only numpy's array reconstruction and plain
    containers, so a file cannot run code: np.load(allow_pickle=True) would run whatever it says.
    """
    if os.path.isdir(path):
        raise WeightsError(f'{path}: a folder, not a weights file')
    if not os.path.isfile(path):
        raise WeightsError(f'weights file not found: {path}')
    try:
        with open(path, 'rb') as f:
            data = _read_npy_objects(path, f)
    except OSError as e:
        raise WeightsError(f'{path}: cannot read ({e.strerror or e})') from None
    if not isinstance(data, np.ndarray) or data.dtype != object or data.ndim != 1:
        kind = type(data).__name__ if not isinstance(data, np.ndarray) else f'{data.dtype} array {data.shape}'
        raise WeightsError(f'{path}: expected a 1-D list of arrays, found a {kind}')
    arrays = []
    for i, a in enumerate(data):
        if not isinstance(a, np.ndarray) or a.dtype.kind != 'f':
            kind = type(a).__name__ if not isinstance(a, np.ndarray) else f'{a.dtype} array'
            raise WeightsError(f'{path}: item {i} is a {kind}, not a float array')
        if not np.all(np.isfinite(a)):
            raise WeightsError(f'{path}: item {i} (shape {a.shape}) holds NaN or infinite values')
        arrays.append(a)
    return arrays
