"""The networks in the original's literal form: the oracle the tests compare the product against, and
the reference the benchmark measures the product's speed-up from. Not used by the product.

The product (models/, lib/layers.py) computes the same function with less work: UnpoolConv3D
convolves before unpooling (no products with the inserted zeros) and the view loop computes every
W.x before the loop, with fused state convolutions. Here, as the Theano code did:
  - unpool then convolve: Unpool3D (zero insertion), then a dense Conv3D of the 8x larger grid;
  - the recurrence: per view, each transition T(x, h) = W.x + conv3d(h, Wh) + b on its own
    (FCConv3D.call, W.x inside the loop), with the cell's equations written out here again (from
    REFERENCE.md, not from the product's cells) so the comparison checks them.
Same layer and parameter names as the product, so weights go both ways; same results within
float32 rounding.
"""
import keras
from keras import ops

from lib.layers import ConvGRUCell3D, ConvLSTMCell3D, Unpool3D, UnpoolConv3D, ViewRecurrence


def gru_step(cell, x, states):
    """u = sigmoid(T_u(x, h)); r = sigmoid(T_r(x, h)); h' = u * h + (1 - u) * tanh(T_h(x, r * h))."""
    (h,) = states
    t_update, t_reset, t_candidate = cell.transitions
    update = ops.sigmoid(t_update([x, h]))
    reset = ops.sigmoid(t_reset([x, h]))
    h_new = update * h + (1.0 - update) * ops.tanh(t_candidate([x, reset * h]))
    return h_new, [h_new], update


def lstm_step(cell, x, states):
    """i = sigmoid(T_i(x, h)); f = sigmoid(T_f(x, h)); s' = f * s + i * tanh(T_s(x, h)); h' = tanh(s')."""
    h, s = states
    t_input, t_forget, t_cell = cell.transitions
    input_gate = ops.sigmoid(t_input([x, h]))
    s_new = ops.sigmoid(t_forget([x, h])) * s + input_gate * ops.tanh(t_cell([x, h]))
    h_new = ops.tanh(s_new)
    return h_new, [h_new, s_new], input_gate


LITERAL_STEPS = {ConvGRUCell3D: gru_step, ConvLSTMCell3D: lstm_step}


class LiteralRecurrence(ViewRecurrence):
    """ViewRecurrence with the literal view loop: every transition computed in full for every view."""

    def run(self, features, initial_states=None):
        if initial_states is None:
            initial_states = self.cell.initial_states(ops.shape(features)[0])
        n = self.cell.n_states
        literal_step = LITERAL_STEPS[type(self.cell)]

        def step(carry, x):   # carry: the states and the last view's gate (ops.scan's shape rule)
            _, new_states, gate = literal_step(self.cell, x, list(carry[:n]))
            out = tuple(new_states) + (gate,)
            return out, out

        init = tuple(initial_states) + (ops.zeros_like(initial_states[0]),)
        final, history = ops.scan(step, init, ops.transpose(features, (1, 0, 2)))
        return list(final[:n]), history[0], history[n]


def literal_decoder(decoder):
    """A copy of a decoder (fresh weights) with every UnpoolConv3D replaced by Unpool3D then a Conv3D
    of the same name; one Unpool3D per unpooled grid, as in the original's graph."""
    unpooled = {}   # id of a grid -> (the grid, its Unpool3D output); the grid is kept so ids stay unique
    literal_convs = set()

    def unpool(x, layer):
        if id(x) not in unpooled:
            name = layer.name if isinstance(layer, Unpool3D) else f'unpool_{layer.name}'
            unpooled[id(x)] = (x, Unpool3D(name=name, dtype=layer.dtype_policy)(x))
        return unpooled[id(x)][1]

    def clone(layer):
        config = layer.get_config()
        if isinstance(layer, UnpoolConv3D):
            conv = keras.layers.Conv3D.from_config({k: v for k, v in config.items() if k != 'method'})
            literal_convs.add(id(conv))
            return conv
        return layer.__class__.from_config(config)

    def call(layer, x, *args, **kwargs):
        if isinstance(layer, Unpool3D):
            return unpool(x, layer)
        if id(layer) in literal_convs:
            return layer(unpool(x, layer))
        return layer(x, *args, **kwargs)

    return keras.models.clone_model(decoder, clone_function=clone, call_function=call)


def literal_network(name_or_spec, **overrides):
    """models.build_network's network in the literal form, with fresh weights of the same names."""
    from models import build_network
    network = build_network(name_or_spec, **overrides)

    def clone(layer):
        if isinstance(layer, ViewRecurrence):
            return LiteralRecurrence.from_config(layer.get_config())
        if layer.name == 'decoder':
            return literal_decoder(layer)
        return layer.__class__.from_config(layer.get_config())

    literal = keras.models.clone_model(network, clone_function=clone)
    literal.spec = network.spec   # a plain Functional copy: weights files and the benchmark read it
    return literal
