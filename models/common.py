"""Parts shared by the network families: the spec, the two encoders, the two decoders, the Network.

Layer names are the original release's (conv1a, conv2c, fc7, t_x_s_update, conv7a, conv11, ...)
so weights map one to one to its files. A network is a Functional model (Network, built from its
NetworkSpec, which is also its Keras config)

    images (batch, views, 127, 127, 3)
      -> encoder   (nested model, every view at once: FoldViews/UnfoldViews) -> (batch, views, 1024)
      -> recurrence (ViewRecurrence over a GRU or LSTM cell)           -> (batch, 4, 4, 4, 128)
      -> decoder   (nested model)                                       -> logits (batch, 32, 32, 32, 2)
      -> softmax                                                        -> probabilities
"""
import contextlib
import dataclasses
import functools
import weakref

import keras

from lib.layers import (FoldViews, PaddedMaxPool2D, Unpool3D, UnfoldViews,
                        UnpoolConv3D, ViewRecurrence, VoxelSoftmax, original_bias_initializer,
                        original_kernel_initializer, register)

ENCODER_FILTERS = (96, 128, 256, 256, 256, 256)   # conv1 .. conv6
FC_UNITS = 1024                                   # fc7
DECODER_FILTERS = (64, 32)                        # conv9, conv10 (conv7, conv8 = hidden channels)
N_CLASSES = 2                                     # conv11: empty, occupied
PRECISIONS = ('float32', 'mixed_bfloat16', 'mixed_float16')


def scale_width(n, width):
    """A channel count times the width multiplier, at least 1."""
    return max(1, int(round(n * width)))


@dataclasses.dataclass(frozen=True)
class NetworkSpec:
    """Everything that fixes a network's structure (and so the shapes of its weights)."""
    name: str
    encoder: str            # 'simple' or 'residual'
    cell: str               # 'gru' or 'lstm'
    recurrent_kernel: int   # 1 or 3
    decoder: str            # 'simple' or 'residual'
    width: float = 1.0
    leaky_slope: float = 0.01
    grid_size: int = 4
    hidden_channels: int = 128
    img_size: int = 127
    n_vox: int = 32
    # How it is computed, not what: it does not change the weights (one weights file serves all).
    precision: str = 'float32'  # or 'mixed_bfloat16' / 'mixed_float16': encoder and decoder in 16 bits

    @classmethod
    def from_dict(cls, stored):
        """The spec of a stored dict (to_dict's): keys that are not fields (its description, fields of
        older versions such as fast_path) are left out; a missing field takes its default."""
        fields = {f.name for f in dataclasses.fields(cls)}
        spec = cls(**{k: v for k, v in stored.items() if k in fields})
        spec.check()
        return spec

    @property
    def encoder_filters(self):
        return tuple(scale_width(n, self.width) for n in ENCODER_FILTERS)

    @property
    def fc_units(self):
        return scale_width(FC_UNITS, self.width)

    @property
    def hidden(self):
        return scale_width(self.hidden_channels, self.width)

    @property
    def decoder_filters(self):
        # conv7 and conv8 have as many filters as the hidden state (128 in the original): the
        # residual decoder adds the unpooled state to their output.
        h = self.hidden
        return (h, h) + tuple(scale_width(n, self.width) for n in DECODER_FILTERS)

    def check(self):
        """A ConfigError (one line, naming the config key) for values no network can have."""
        from lib.config import ConfigError
        if self.grid_size * 8 != self.n_vox:
            raise ConfigError(f'NETWORK.GRID_SIZE {self.grid_size}: three x2 unpools take a {self.grid_size}^3 '
                              f'grid to {self.grid_size * 8}^3, not the configured {self.n_vox}^3 voxels')
        if self.precision not in PRECISIONS:
            raise ConfigError(f'NETWORK.PRECISION must be one of {", ".join(PRECISIONS)}, got {self.precision!r}')
        if not self.width > 0:
            raise ConfigError(f'NETWORK.WIDTH must be above 0, got {self.width}')
        if self.hidden_channels < 1:
            raise ConfigError(f'NETWORK.HIDDEN_CHANNELS must be at least 1, got {self.hidden_channels}')
        if self.leaky_slope < 0:
            raise ConfigError(f'NETWORK.LEAKY_SLOPE must not be negative, got {self.leaky_slope}')
        # A lower bound of the size: the recurrence's three W.x transitions alone (fc7 features to
        # the whole grid) are ~80 % of the parameters. Weights beyond the machine's memory would be
        # an out-of-memory kill minutes later, not a message.
        floor = 3 * self.fc_units * self.grid_size ** 3 * self.hidden
        memory = _physical_memory()
        if memory and 4 * floor > memory:
            raise ConfigError(f'NETWORK.WIDTH {self.width:g}: the network would have over {floor:.3g} parameters '
                              f'({4 * floor / 2 ** 30:,.0f} GiB in float32), more than the '
                              f'{memory / 2 ** 30:,.0f} GiB of memory of this machine')

    def to_dict(self):
        """The spec as weights files and .keras files (Network.get_config) store it: fields and description."""
        return {**dataclasses.asdict(self), 'description': self.describe()}

    def describe(self):
        return (f'{self.name} (width {self.width:g}, hidden {self.grid_size}^3x{self.hidden}, '
                f'recurrent kernel {self.recurrent_kernel})')


# The one mapping between NETWORK.* config keys and spec fields (besides NETWORK.NAME -> name;
# CONST.IMG_W -> img_size and CONST.N_VOX -> n_vox). A weights file stores every field and decides
# the structure of the network it is loaded into, not how it is computed (COMPUTATION_FIELDS).
CONFIG_KEYS = {'width': 'WIDTH', 'leaky_slope': 'LEAKY_SLOPE', 'grid_size': 'GRID_SIZE',
               'hidden_channels': 'HIDDEN_CHANNELS', 'precision': 'PRECISION'}
COMPUTATION_FIELDS = ('precision',)


def stored_structure(stored):
    """{field: value} of the CONFIG_KEYS fields a stored spec dict fixes (older files may lack some)."""
    return {field: stored[field] for field in CONFIG_KEYS
            if field not in COMPUTATION_FIELDS and field in (stored or {})}


def _physical_memory():
    """Bytes of memory of this machine, or None where the OS does not say."""
    import os
    try:
        return os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES')
    except (ValueError, OSError, AttributeError):
        return None


def conv2d(filters, size, name):
    return keras.layers.Conv2D(filters, size, padding='same', name=name,
                               kernel_initializer=original_kernel_initializer(),
                               bias_initializer=original_bias_initializer())


def conv3d(filters, size, name):
    return keras.layers.Conv3D(filters, size, padding='same', name=name,
                               kernel_initializer=original_kernel_initializer(),
                               bias_initializer=original_bias_initializer())


def unpool_conv3d(filters, size, name):
    """conv3d(filters, size, name) of Unpool3D(x), called on x: no products with the inserted zeros,
    the same weights (UnpoolConv3D)."""
    return UnpoolConv3D(filters, size, padding='same', name=name,
                        kernel_initializer=original_kernel_initializer(),
                        bias_initializer=original_bias_initializer())


@contextlib.contextmanager
def precision_scope(spec):
    """Layers made inside compute in spec.precision (variables stay float32). Used for the encoder
    and the decoder, where nearly all the work is; the recurrence (its state carried over views),
    the softmax and the loss stay float32."""
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(spec.precision)
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)


def in_spec_precision(build):
    """A builder (spec -> model) whose layers are made inside precision_scope(spec)."""
    @functools.wraps(build)
    def build_in_precision(spec):
        with precision_scope(spec):
            return build(spec)
    return build_in_precision


def fc7_layer(units):
    return keras.layers.Dense(units, name='fc7', kernel_initializer=original_kernel_initializer(),
                              bias_initializer=original_bias_initializer())


def _lrelu(spec, name):
    return keras.layers.LeakyReLU(negative_slope=spec.leaky_slope, name=name)


def _encoder_head(spec, x):
    """flatten -> fc7 -> leaky ReLU: the 1024-d feature of one view."""
    x = keras.layers.Flatten(name='flat6')(x)
    x = fc7_layer(spec.fc_units)(x)
    return _lrelu(spec, 'rect7')(x)


@in_spec_precision
def simple_encoder(spec):
    """GRUNet / LSTM nets: per stage conv -> pool -> leaky ReLU (pool before the activation)."""
    image = keras.Input((spec.img_size, spec.img_size, 3), name='image')
    x = image
    for i, filters in enumerate(spec.encoder_filters, start=1):
        x = conv2d(filters, 7 if i == 1 else 3, f'conv{i}')(x)
        x = PaddedMaxPool2D(name=f'pool{i}')(x)
        x = _lrelu(spec, f'rect{i}')(x)
    return keras.Model(image, _encoder_head(spec, x), name='encoder')


@in_spec_precision
def residual_encoder(spec):
    """ResidualGRUNet: stage = conv_a -> lrelu -> conv_b -> lrelu (+ shortcut) -> pool.

    Stage 1 (7x7 then 3x3) and stage 4 have no shortcut; stages 2, 3, 5 add a 1x1 conv (conv_c) of
    the stage input; stage 6 adds the stage input itself. No activation after the add.
    """
    f = spec.encoder_filters
    if f[4] != f[5]:
        raise ValueError('residual encoder: stage 6 adds its input, so conv5 and conv6 need equal widths')
    image = keras.Input((spec.img_size, spec.img_size, 3), name='image')
    x = image
    for i, filters in enumerate(f, start=1):
        stage_input = x
        y = conv2d(filters, 7 if i == 1 else 3, f'conv{i}a')(x)
        y = _lrelu(spec, f'rect{i}a')(y)
        y = conv2d(filters, 3, f'conv{i}b')(y)
        y = _lrelu(spec, f'rect{i}')(y)
        if i in (2, 3, 5):
            shortcut = conv2d(filters, 1, f'conv{i}c')(stage_input)
            y = keras.layers.Add(name=f'res{i}')([shortcut, y])
        elif i == 6:
            y = keras.layers.Add(name=f'res{i}')([stage_input, y])
        x = PaddedMaxPool2D(name=f'pool{i}')(y)
    return keras.Model(image, _encoder_head(spec, x), name='encoder')


def _hidden_input(spec):
    g = spec.grid_size
    return keras.Input((g, g, g, spec.hidden), name='hidden')


@in_spec_precision
def simple_decoder(spec):
    """GRUNet / LSTM nets: unpool, conv 128; unpool, conv 128; unpool, conv 64; conv 32; conv 2."""
    f = spec.decoder_filters
    x = hidden = _hidden_input(spec)
    for i, filters in zip((7, 8, 9), f[:3]):
        x = unpool_conv3d(filters, 3, f'conv{i}')(x)
        x = _lrelu(spec, f'rect{i}')(x)
    x = conv3d(f[3], 3, 'conv10')(x)
    x = _lrelu(spec, 'rect10')(x)
    logits = conv3d(N_CLASSES, 3, 'conv11')(x)
    return keras.Model(hidden, logits, name='decoder')


@in_spec_precision
def residual_decoder(spec):
    """ResidualGRUNet decoder, with its quirk kept: conv10c reads rect10a, not the block input."""
    f = spec.decoder_filters
    x = hidden = _hidden_input(spec)
    for i, filters in zip((7, 8), f[:2]):
        unpooled = Unpool3D(name=f'unpool{i}')(x)   # added exactly, zeros included
        y = unpool_conv3d(filters, 3, f'conv{i}a')(x)
        y = _lrelu(spec, f'rect{i}a')(y)
        y = conv3d(filters, 3, f'conv{i}b')(y)
        y = _lrelu(spec, f'rect{i}')(y)
        x = keras.layers.Add(name=f'res{i}')([unpooled, y])
    y = unpool_conv3d(f[2], 3, 'conv9a')(x)
    y = _lrelu(spec, 'rect9a')(y)
    y = conv3d(f[2], 3, 'conv9b')(y)
    y = _lrelu(spec, 'rect9')(y)
    # conv9c (1x1x1) of the unpooled grid: the 1x1x1 convolution of x, unpooled, plus the bias
    shortcut = unpool_conv3d(f[2], 1, 'conv9c')(x)
    x = keras.layers.Add(name='res9')([shortcut, y])
    y = conv3d(f[3], 3, 'conv10a')(x)
    rect10a = _lrelu(spec, 'rect10a')(y)
    y = conv3d(f[3], 3, 'conv10b')(rect10a)
    y = _lrelu(spec, 'rect10')(y)
    shortcut = conv3d(f[3], 3, 'conv10c')(rect10a)   # sic: applied to rect10a in the release
    x = keras.layers.Add(name='res10')([shortcut, y])
    logits = conv3d(N_CLASSES, 3, 'conv11')(x)
    return keras.Model(hidden, logits, name='decoder')


@register
class Network(keras.Model):
    """A network of Table 1: encoder -> recurrence -> decoder -> softmax, one Functional model.

    Built from its NetworkSpec, which is also its Keras config: a .keras file stores the spec and
    loading one builds the network again from it (weights files store it too, lib/weights.py).
    batch_size with stateful=True makes the view recurrence keep its state between calls.
    """

    def __init__(self, spec, batch_size=None, stateful=False, **kwargs):
        if isinstance(spec, dict):   # from a saved config
            spec = NetworkSpec.from_dict(spec)
        from models import family_parts   # the network's family (models/gru_net.py, ...)
        encoder, cell, decoder = family_parts(spec)
        images = keras.Input((None, spec.img_size, spec.img_size, 3), batch_size=batch_size, name='images')
        per_image = encoder(FoldViews(name='fold_views')(images))
        features = UnfoldViews(name='unfold_views')([per_image, images])
        hidden = ViewRecurrence(cell, stateful=stateful, name='recurrence')(features)
        probabilities = VoxelSoftmax(name='softmax', dtype='float32')(decoder(hidden))
        super().__init__(images, probabilities, name=spec.name, **kwargs)
        self.spec = spec
        self.view_state = {'batch_size': batch_size, 'stateful': bool(stateful)}

    def get_config(self):
        return {'spec': self.spec.to_dict(), **self.view_state}


def network_stages(model, images, view_counts):
    """The network's stages after the first n views, for each n in view_counts, run through its own
    layers: the one forward pass of everything that looks at a network view by view.

    images: (batch, views, H, W, 3). The recurrence is causal, so the state after view n of a longer
    sequence is the state of the first n views alone: the encoder and the view loop run once over
    the views given and only the decoder runs once per n. Returns fc7 (batch, views, F), hidden
    and gates (views, batch, G, G, G, C: the state and the GRU update / LSTM input gate after each
    view) and logits {n: (batch, N, N, N, 2)}.
    """
    from keras import ops
    shape = ops.shape(images)
    fc7 = model.get_layer('encoder')(ops.reshape(images, (-1,) + tuple(images.shape[2:])))
    fc7 = ops.reshape(fc7, (shape[0], shape[1], fc7.shape[-1]))
    _, hidden, gates = model.get_layer('recurrence').run(fc7)
    decoder = model.get_layer('decoder')
    return {'fc7': fc7, 'hidden': hidden, 'gates': gates, 'logits': {n: decoder(hidden[n - 1]) for n in view_counts}}


def trace(model, images):
    """network_stages of every view, batch-major, for inspection (eagerly): fc7 (batch, views, F),
    hidden and gates (batch, views, G, G, G, C), logits and probabilities of the final state."""
    from keras import ops
    images = ops.convert_to_tensor(images)
    views = images.shape[1]
    stages = network_stages(model, images, [views])
    logits = stages['logits'][views]
    return {'fc7': stages['fc7'], 'hidden': ops.transpose(stages['hidden'], (1, 0, 2, 3, 4, 5)),
            'gates': ops.transpose(stages['gates'], (1, 0, 2, 3, 4, 5)), 'logits': logits,
            'probabilities': ops.softmax(logits, axis=-1)}


def logits_after_views(model, images, view_counts):
    """network_stages' logits after the first n views, for each n in view_counts: {n: logits}.

    On TensorFlow it runs as a graph compiled once per model and set of view counts, for any batch
    and number of views (op-by-op execution of this network is about a third slower on CPU).
    """
    from keras import ops
    view_counts = tuple(view_counts)
    images = ops.convert_to_tensor(images)
    longest = max(view_counts)
    if longest > images.shape[1]:
        raise ValueError(f'asked for the shape after {longest} views of {images.shape[1]}')
    images = images[:, :longest]
    if keras.backend.backend() != 'tensorflow':
        return _logits_after_views(model, images, view_counts)
    compiled = _COMPILED.setdefault(model, {})
    if view_counts not in compiled:
        import tensorflow as tf
        network = weakref.ref(model)   # the cache must not keep the model alive
        signature = [tf.TensorSpec((None, None) + tuple(images.shape[2:]), images.dtype)]
        compiled[view_counts] = tf.function(lambda x: _logits_after_views(network(), x, view_counts),
                                            input_signature=signature)
    return compiled[view_counts](images)


_COMPILED = weakref.WeakKeyDictionary()   # model -> {view counts: compiled logits_after_views}


def _logits_after_views(model, images, view_counts):
    return network_stages(model, images, view_counts)['logits']
