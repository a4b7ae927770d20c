"""The multiply-accumulates of a network's call, counted (not timed) from its built layers."""
from lib.bench.measure import prod


def count_macs(model):
    """MACs of one sample and one view, by part: {'encoder', 'recurrence' (per view),
    'decoder_dense', 'decoder_useful' (per sample)} and per-layer rows of the decoder.

    A Conv3D fed by an Unpool3D (the reference path) costs its dense count but is useful for 1/8
    of it; an UnpoolConv3D (the fast path) is counted from its input grid, which is the same 1/8.
    """
    import keras
    from lib.layers import FCConv3D, Unpool3D, UnpoolConv3D

    def conv_macs(layer):
        kernel = tuple(layer.kernel.shape)
        taps, cin, cout = prod(kernel[:-2]), kernel[-2], kernel[-1]
        if isinstance(layer, UnpoolConv3D):
            cells = prod(layer.input.shape[1:-1])
            return cells * taps * cin * cout * 8, cells * taps * cin * cout
        dense = prod(layer.output.shape[1:-1]) * taps * cin * cout
        producer = layer.input._keras_history.operation
        return dense, dense // 8 if isinstance(producer, Unpool3D) else dense

    encoder = 0
    for layer in model.get_layer('encoder').layers:
        if isinstance(layer, keras.layers.Conv2D):
            encoder += conv_macs(layer)[1]
        elif isinstance(layer, keras.layers.Dense):
            encoder += prod(layer.kernel.shape)
    recurrence = 0
    cell = model.get_layer('recurrence').cell
    for t in cell.transitions:
        assert isinstance(t, FCConv3D)
        recurrence += prod(t.Wx.shape) + prod(cell.state_shape[:-1]) * prod(t.Wh.shape)
    dense = useful = 0
    layers = []
    for layer in model.get_layer('decoder').layers:
        if isinstance(layer, keras.layers.Conv3D):
            d, u = conv_macs(layer)
            dense, useful = dense + d, useful + u
            layers.append((layer.name, d, u))
    return {'encoder': encoder, 'recurrence': recurrence, 'decoder_dense': dense,
            'decoder_useful': useful, 'decoder_layers': layers}


def macs_per_call(counts, batch, views, useful=True):
    decoder = counts['decoder_useful'] if useful else counts['decoder_dense']
    return batch * (views * (counts['encoder'] + counts['recurrence']) + decoder)
