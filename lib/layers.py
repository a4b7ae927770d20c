"""The paper's building blocks as Keras layers, written with keras.ops only (backend-neutral).

Layout is channels-last throughout: images (batch, H, W, 3), 3D grids (batch, D, H, W, C) where
D, H, W are the voxel axes x, y, z of ShapeNetVox32 after the loader's x-z-y -> x-y-z reorder.

  FCConv3D          the transition T(x, h) = W.x (reshaped to the grid) + conv3d(h, U) + b
  ConvGRUCell3D     3D convolutional GRU (released code: u multiplies the previous state)
  ConvLSTMCell3D    3D convolutional LSTM without output gate (paper eq. 3)
  ViewRecurrence    runs a cell over a variable number of views from a zero state (or kept state)
  FoldViews, UnfoldViews   fold views into the batch around the per-image encoder
  Unpool3D          x2 unpooling by zero insertion (values at even indices)
  UnpoolConv3D      Conv3D of an Unpool3D output without the inserted zeros (how the decoders unpool;
                    the arithmetic of both unpooling layers is in lib/unpooling.py)
  PaddedMaxPool2D   Theano's 2x2 max pooling with one pixel of padding: 127->64->33->17->9->5->3
  VoxelSoftmax      2-class softmax per voxel
  voxel_cross_entropy   mean over voxels of the softmax cross-entropy (the one loss)

The literal Theano form of the recurrence and the decoders (zero-insertion unpooling then a dense
convolution, W.x inside the view loop) is not product code: lib/bench/theano_form.py builds it as
the oracle the tests compare against and the baseline the benchmark measures.
"""
import keras
from keras import ops

from lib.unpooling import UNPOOL_CONV_METHODS, unpool_zero_insertion

PACKAGE = 'r2n2'


def register(cls):
    """Register a class for Keras serialization so saved models load back."""
    return keras.saving.register_keras_serializable(package=PACKAGE)(cls)


def original_kernel_initializer():
    """The released code's 'msra' filler: N(0, sqrt(2/n)), n = (fan_in + fan_out) / 2.

    Keras computes fan_in = receptive field x input channels and fan_out = receptive field x output
    channels, exactly as the original did for its 2D/3D conv and matrix weights.
    """
    return keras.initializers.VarianceScaling(scale=2.0, mode='fan_avg', distribution='untruncated_normal')


def original_bias_initializer():
    """The released code initialises every bias to 0.1."""
    return keras.initializers.Constant(0.1)


@register
class FCConv3D(keras.layers.Layer):
    """T(x, h) = reshape(x . Wx, grid) + conv3d(h, Wh, 'same') + b.

    x: (batch, features); h: (batch, G, G, G, C_in). Every cell and channel of the grid has its own
    row of Wx (a full features x G^3*C_out matrix), Wh is a k x k x k convolution shared over the grid,
    and b has one entry per output channel.
    """

    def __init__(self, grid_size, channels, kernel_size, **kwargs):
        super().__init__(**kwargs)
        self.grid_size = int(grid_size)
        self.channels = int(channels)
        self.kernel_size = int(kernel_size)

    def build(self, input_shape):
        x_shape, h_shape = input_shape
        g, k = self.grid_size, self.kernel_size
        # Created in the original's order (Wh, Wx, b) so weight lists line up with its file.
        self.Wh = self.add_weight(name='Wh', shape=(k, k, k, h_shape[-1], self.channels),
                                  initializer=original_kernel_initializer())
        self.Wx = self.add_weight(name='Wx', shape=(x_shape[-1], g * g * g * self.channels),
                                  initializer=original_kernel_initializer())
        self.b = self.add_weight(name='b', shape=(self.channels,), initializer=original_bias_initializer())

    def call(self, inputs):
        x, h = inputs
        return self.combine(self.input_part(x), self.state_part(h))

    def input_part(self, x):
        """W.x on the grid (batch, G, G, G, C): the part that does not depend on the state."""
        g = self.grid_size
        return ops.reshape(ops.matmul(x, self.Wx), (-1, g, g, g, self.channels))

    def state_part(self, h, kernel=None):
        """conv3d(h, Wh, 'same'), or with another kernel (Wh of several transitions side by side)."""
        return ops.conv(h, self.Wh if kernel is None else kernel, strides=1, padding='same')

    def combine(self, x_part, h_part):
        """T(x, h) from its two parts."""
        return x_part + h_part + self.b

    def compute_output_shape(self, input_shape):
        x_shape, _ = input_shape
        g = self.grid_size
        return (x_shape[0], g, g, g, self.channels)

    def get_config(self):
        return {**super().get_config(), 'grid_size': self.grid_size, 'channels': self.channels,
                'kernel_size': self.kernel_size}


class _ConvCell3D(keras.layers.Layer):
    """Shared plumbing of the two cells: three transitions over a G^3 x C grid.

    Each cell writes its equations once, in step(). W.x does not depend on the state, so the view
    loop computes it for all views at once (one large matrix product instead of one per view, each
    re-reading the 8192-wide Wx) and hands step() the parts; the state convolutions of the
    transitions that read the same tensor run as one wider convolution (fused_groups).
    """

    transition_names = ()   # the original's names, in its creation order
    n_states = 1
    fused_groups = ()       # indices of transitions whose state convolutions share their input

    def __init__(self, grid_size=4, channels=128, kernel_size=3, **kwargs):
        super().__init__(**kwargs)
        self.grid_size = int(grid_size)
        self.channels = int(channels)
        self.kernel_size = int(kernel_size)
        if self.kernel_size not in (1, 3):
            raise ValueError(f'recurrent kernel size must be 1 or 3, got {kernel_size}')
        self.transitions = [FCConv3D(grid_size, channels, kernel_size, name=n, dtype=self.dtype_policy)
                            for n in self.transition_names]

    @property
    def state_shape(self):
        g = self.grid_size
        return (g, g, g, self.channels)

    def build(self, input_shape):
        # Sub-layers are built here, never inside the view loop (no variables may be made there).
        h_shape = (input_shape[0],) + self.state_shape
        for t in self.transitions:
            t.build((input_shape, h_shape))

    def initial_states(self, batch_size):
        return [ops.zeros((batch_size,) + self.state_shape, dtype=self.compute_dtype)
                for _ in range(self.n_states)]

    def call(self, x, states):
        """One view: x (batch, features) -> (h', new states, gate)."""
        return self.step(self.input_parts(x), states, self.fused_kernels())

    def input_parts(self, x):
        """[W.x of each transition] for x (n, features): each (n, G, G, G, C)."""
        return [t.input_part(x) for t in self.transitions]

    def fused_kernels(self):
        """One kernel per group of fused_groups, made once per call of the view loop."""
        return [ops.concatenate([self.transitions[i].Wh for i in group], axis=-1)
                for group in self.fused_groups]

    def state_parts(self, h, kernels, group):
        """conv3d(h, Wh) of the transitions of fused_groups[group], split back into one tensor each.

        kernels=None says h is the zero start state: its convolutions are zero, so none is computed
        (the first view's share of the loop's products with zeros)."""
        if kernels is None:
            return [0.0] * len(self.fused_groups[group])
        out = self.transitions[self.fused_groups[group][0]].state_part(h, kernels[group])
        return ops.split(out, len(self.fused_groups[group]), axis=-1)

    def gate(self, x_part, h_part, index):
        """T(x, h) of transition `index` from its two parts."""
        return self.transitions[index].combine(x_part, h_part)

    def get_config(self):
        return {**super().get_config(), 'grid_size': self.grid_size, 'channels': self.channels,
                'kernel_size': self.kernel_size}


@register
class ConvGRUCell3D(_ConvCell3D):
    """3D convolutional GRU of the released code.

    u = sigmoid(T_u(x, h)); r = sigmoid(T_r(x, h));
    h' = u * h + (1 - u) * tanh(T_h(x, r * h))
    call(x, [h]) -> (h', [h'], u); u is returned for inspection (the original recorded it too).
    """

    transition_names = ('t_x_s_update', 't_x_s_reset', 't_x_rs')
    n_states = 1
    fused_groups = ((0, 1), (2,))   # update and reset read h; the candidate reads r * h

    def step(self, x_parts, states, kernels):
        """The equations from the W.x parts of x and the fused kernels (None: the state is zero)."""
        (h,) = states
        x_update, x_reset, x_candidate = x_parts
        h_update, h_reset = self.state_parts(h, kernels, 0)
        update = ops.sigmoid(self.gate(x_update, h_update, 0))
        reset = ops.sigmoid(self.gate(x_reset, h_reset, 1))
        (h_candidate,) = self.state_parts(reset * h, kernels, 1)
        candidate = ops.tanh(self.gate(x_candidate, h_candidate, 2))
        h_new = update * h + (1.0 - update) * candidate
        return h_new, [h_new], update


@register
class ConvLSTMCell3D(_ConvCell3D):
    """3D convolutional LSTM without output gate (paper eq. 3; deleted mv_lstm_net.py).

    i = sigmoid(T_i(x, h)); f = sigmoid(T_f(x, h)); s' = f * s + i * tanh(T_s(x, h)); h' = tanh(s')
    call(x, [h, s]) -> (h', [h', s'], i).
    """

    transition_names = ('in_gate', 'forget_gate', 'in_transform')
    n_states = 2
    fused_groups = ((0, 1, 2),)   # all three transitions read h

    def step(self, x_parts, states, kernels):
        """The equations from the W.x parts of x and the fused kernels (None: the state is zero)."""
        h, s = states
        h_input, h_forget, h_cell = self.state_parts(h, kernels, 0)
        input_gate = ops.sigmoid(self.gate(x_parts[0], h_input, 0))
        forget_gate = ops.sigmoid(self.gate(x_parts[1], h_forget, 1))
        s_new = forget_gate * s + input_gate * ops.tanh(self.gate(x_parts[2], h_cell, 2))
        h_new = ops.tanh(s_new)
        return h_new, [h_new, s_new], input_gate


@register
class ViewRecurrence(keras.layers.Layer):
    """Runs a cell over the views of each sample: (batch, views, features) -> hidden grid.

    The state starts at zero (or, when stateful, where the previous call left it); the same cell
    runs once per view; the number of views may change from call to call (one graph serves all).
    Returns the final hidden state (batch, G, G, G, C), or with return_sequences the hidden state
    after every view (batch, views, G, G, G, C).

    Stateful mode keeps the state between calls so views can be fed one at a time as they arrive;
    like Keras' own stateful RNNs it needs a fixed batch size. reset_state() starts a new object.

    Every transition's W.x is computed for all views before the loop, and the loop runs cell.step
    (fused state convolutions); from the zero state, with the number of views known when traced,
    the first view's state convolutions (all zero) are skipped.
    """

    def __init__(self, cell, return_sequences=False, stateful=False, **kwargs):
        super().__init__(**kwargs)
        if isinstance(cell, dict):
            # built later, in build(), inside this layer's name scope: its parameters keep the names
            # recurrence/<cell>/<transition>/... that weights files use (built on deserialization,
            # they would lose the recurrence/ prefix)
            cell = keras.saving.deserialize_keras_object({k: v for k, v in cell.items() if k != 'build_config'})
        self.cell = cell
        self.return_sequences = bool(return_sequences)
        self.stateful = bool(stateful)
        self.state_variables = None

    def build(self, input_shape):
        batch_size, _, n_features = input_shape
        if not self.cell.built:   # a cell may be shared with another recurrence
            self.cell.build((batch_size, n_features))
        if self.stateful:
            if batch_size is None:
                raise ValueError('a stateful ViewRecurrence needs a fixed batch size '
                                 '(build the network with batch_size=...)')
            self.state_variables = [
                self.add_weight(name=f'state_{i}', shape=(batch_size,) + self.cell.state_shape,
                                initializer='zeros', trainable=False)
                for i in range(self.cell.n_states)]

    # The kept state is not a weight: stateful and plain networks share one weights file.
    def save_own_variables(self, store):
        pass

    def load_own_variables(self, store):
        pass

    def reset_state(self):
        """Forget every view seen so far (stateful mode)."""
        if self.state_variables is None:
            raise ValueError('reset_state() is only for a stateful ViewRecurrence')
        for v in self.state_variables:
            v.assign(ops.zeros(v.shape, dtype=v.dtype))

    def run(self, features, initial_states=None):
        """The view loop itself: returns (final states, hidden state after every view, gates).

        features: (batch, views, F). Outputs of the loop are view-major (views, batch, ...).
        """
        start_at_zero = initial_states is None
        if start_at_zero:
            initial_states = self.cell.initial_states(ops.shape(features)[0])
        views_first = ops.transpose(features, (1, 0, 2))

        shape = ops.shape(views_first)
        flat = ops.reshape(views_first, (-1, views_first.shape[-1]))   # (views * batch, F)
        # one tensor (views, batch, transitions, G, G, G, C): ops.scan over a tuple fails on TF when
        # the number of views is unknown at trace time
        xs = ops.reshape(ops.stack(self.cell.input_parts(flat), axis=1),
                         (shape[0], shape[1], len(self.cell.transitions)) + self.cell.state_shape)
        kernels = self.cell.fused_kernels()
        n = self.cell.n_states

        # ops.scan collects what the step returns and wants it shaped like the carry, so the carry
        # holds the states and the gate of the last view.
        def step(carry, x_parts, kernels=kernels):
            _, new_states, gate = self.cell.step(ops.unstack(x_parts, axis=1), list(carry[:n]), kernels)
            out = tuple(new_states) + (gate,)
            return out, out

        init = tuple(initial_states) + (ops.zeros_like(initial_states[0]),)
        # From the zero state the first view's state convolutions are zero: that step runs without
        # them and the loop runs over the other views. Only where the number of views is known
        # when the graph is traced: an empty loop fails on TF when the batch size is unknown, and
        # choosing at run time (tf.cond) breaks TF's gradient of the loop's outputs.
        if start_at_zero and xs.shape[0] is not None:
            first, _ = step(init, xs[0], kernels=None)   # kernels=None: the state is zero
            if xs.shape[0] == 1:
                final, history = first, tuple(ops.expand_dims(t, 0) for t in first)
            else:
                final, rest = ops.scan(step, first, xs[1:])
                history = tuple(ops.concatenate([ops.expand_dims(a, 0), b], axis=0) for a, b in zip(first, rest))
        else:
            final, history = ops.scan(step, init, xs)
        return list(final[:n]), history[0], history[n]

    def call(self, features, return_sequences=None):
        if return_sequences is None:
            return_sequences = self.return_sequences
        initial = ([ops.convert_to_tensor(v) for v in self.state_variables]
                   if self.stateful else None)
        final_states, hidden_per_view, _ = self.run(features, initial)
        if self.stateful:
            for v, s in zip(self.state_variables, final_states):
                v.assign(ops.cast(s, v.dtype))
        if return_sequences:
            return ops.transpose(hidden_per_view, (1, 0, 2, 3, 4, 5))
        return final_states[0]

    def compute_output_spec(self, features, return_sequences=None):
        if return_sequences is None:
            return_sequences = self.return_sequences
        batch, views = features.shape[0], features.shape[1]
        shape = ((batch, views) if return_sequences else (batch,)) + self.cell.state_shape
        return keras.KerasTensor(shape, dtype=self.compute_dtype)

    def get_config(self):
        return {**super().get_config(), 'cell': keras.saving.serialize_keras_object(self.cell),
                'return_sequences': self.return_sequences, 'stateful': self.stateful}


@register
class FoldViews(keras.layers.Layer):
    """(batch, views, ...) -> (batch * views, ...), so a per-image encoder sees all views as one batch.

    The encoder does not depend on the recurrent state, so encoding every view in one batch equals
    encoding them in turn inside the view loop (and is much faster).
    """

    def call(self, views):
        return ops.reshape(views, (-1,) + tuple(views.shape[2:]))

    def compute_output_shape(self, input_shape):
        b, v = input_shape[:2]
        return (None if b is None or v is None else b * v,) + tuple(input_shape[2:])


@register
class UnfoldViews(keras.layers.Layer):
    """Inverse of FoldViews: [(batch * views, F), views tensor (batch, views, ...)] -> (batch, views, F)."""

    def call(self, inputs):
        features, views = inputs
        shape = ops.shape(views)
        return ops.reshape(features, (shape[0], shape[1]) + tuple(features.shape[1:]))

    def compute_output_shape(self, input_shape):
        features_shape, views_shape = input_shape
        return tuple(views_shape[:2]) + tuple(features_shape[1:])


@register
class Unpool3D(keras.layers.Layer):
    """x2 unpooling by zero insertion: out[2i, 2j, 2k] = in[i, j, k], zeros elsewhere.

    Not nearest-neighbour and not a transposed convolution: the original's Unpool3DLayer.
    """

    def call(self, x):
        return unpool_zero_insertion(x)

    def compute_output_shape(self, input_shape):
        b, d, h, w, c = input_shape
        return (b, 2 * d, 2 * h, 2 * w, c)


@register
class UnpoolConv3D(keras.layers.Conv3D):
    """Conv3D(filters, k, padding='same') applied to Unpool3D(x), computed from x itself.

    How the decoders unpool and convolve: 7/8 of the literal form's products multiply inserted
    zeros, and this layer skips them. It holds exactly the Conv3D's variables (kernel (k, k, k, in, out), bias), so it reads and
    writes the same weights files; the input is the grid before unpooling and the output is twice
    as large per axis. k = 3 uses `method` (UNPOOL_CONV_METHODS, lib/unpooling.py); k = 1 convolves first and
    unpools after (a 1x1x1 convolution of a zero is zero), then adds the bias everywhere.
    """

    def __init__(self, filters, kernel_size, method='transpose', **kwargs):
        super().__init__(filters, kernel_size, **kwargs)
        if self.kernel_size not in ((1, 1, 1), (3, 3, 3)) or self.padding != 'same' \
                or self.strides != (1, 1, 1) or self.dilation_rate != (1, 1, 1) \
                or self.groups != 1 or self.data_format != 'channels_last':
            raise ValueError('UnpoolConv3D: only 1x1x1 or 3x3x3 kernels, same padding, stride 1, '
                             'no dilation or groups, channels_last')
        if method not in UNPOOL_CONV_METHODS:
            raise ValueError(f'UnpoolConv3D: method must be one of {sorted(UNPOOL_CONV_METHODS)}, got {method!r}')
        self.method = method

    def convolution_op(self, inputs, kernel):
        if self.kernel_size == (1, 1, 1):
            return unpool_zero_insertion(ops.conv(inputs, kernel, strides=1, padding='valid'))
        return UNPOOL_CONV_METHODS[self.method](inputs, kernel)

    def compute_output_shape(self, input_shape):
        b, d, h, w, _ = input_shape
        twice = [None if n is None else 2 * n for n in (d, h, w)]
        return (b, *twice, self.filters)

    def get_config(self):
        return {**super().get_config(), 'method': self.method}


# Our weights files are by layer name (lib/weights.py), but Keras' own files (model.save_weights,
# the weights inside a .keras file) address a layer by the snake_case name of its class and its
# position among the layers of that class: with the class name of the Conv3D it replaces, a fast
# decoder's Keras file is the reference decoder's, key for key (registered as UnpoolConv3D).
UnpoolConv3D.__name__ = 'Conv3D'


@register
class PaddedMaxPool2D(keras.layers.Layer):
    """Theano's pool_2d(ds=2, ignore_border=True, padding=1): max over valid pixels of 2x2 windows.

    Equivalent to padding one pixel of -inf on each side, then 2x2/stride-2 pooling with the
    remainder dropped, so n -> n // 2 + 1 (127 -> 64 -> 33 -> 17 -> 9 -> 5 -> 3). Padding with -inf
    matters: in the simple encoder the pool runs before the activation, on negative values too.
    """

    def call(self, x):
        x = ops.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]], constant_values=float('-inf'))
        return ops.max_pool(x, pool_size=2, strides=2, padding='valid')

    def compute_output_shape(self, input_shape):
        b, h, w, c = input_shape
        return (b, None if h is None else h // 2 + 1, None if w is None else w // 2 + 1, c)


@register
class VoxelSoftmax(keras.layers.Layer):
    """Per-voxel softmax over the 2 classes (channel 0 empty, channel 1 occupied)."""

    def call(self, logits):
        return ops.softmax(logits, axis=-1)


def voxel_cross_entropy(occupancy, logits, per_sample=False):
    """Mean over voxels of the 2-class softmax cross-entropy, computed from logits: the one loss of
    training, validation and evaluation.

    occupancy: (..., 32, 32, 32) in {0, 1} (or soft), or one-hot (..., 32, 32, 32, 2).
    Equals the original's mean(log sum exp(logits) - sum(y * logits)). The mean over every voxel of
    the batch, or with per_sample one mean per sample (the first axis).

    With two classes and y = occupancy, log sum exp(logits) - sum(y * logits) = softplus(d) - y * d
    for d = logit(occupied) - logit(empty): computed so, d taken as one product with (-1, 1) rather
    than from two slices of the log-softmax, whose gradients cost a full-size scatter each (on the
    TensorFlow CPU the loss and its gradient take a quarter of the sliced form's time).
    """
    logits = ops.cast(logits, 'float32')
    occupancy = ops.cast(occupancy, 'float32')
    if len(occupancy.shape) == len(logits.shape):   # one-hot targets: the general form
        per_voxel = -ops.sum(occupancy * ops.log_softmax(logits, axis=-1), axis=-1)
    else:
        difference = ops.matmul(ops.reshape(logits, (-1, 2)), ops.convert_to_tensor([[-1.0], [1.0]]))
        per_voxel = ops.softplus(difference) - ops.reshape(occupancy, (-1, 1)) * difference
    if per_sample:
        return ops.mean(ops.reshape(per_voxel, (ops.shape(logits)[0], -1)), axis=1)
    return ops.mean(per_voxel)
