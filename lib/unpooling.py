"""Unpooling followed by a convolution, computed without the zeros that unpooling inserts.

The decoders unpool x2 by zero insertion (the original's Unpool3DLayer: values at even indices) and
then convolve with a 3x3x3 kernel, so 7/8 of the literal form's products multiply inserted zeros.
Here are the zero insertion itself and two forms of conv3d(unpool(x), kernel, 'same') that skip
those products; lib/layers.py's Unpool3D and UnpoolConv3D are the layers built on them, and the
tests compare every form with the literal one.
"""
from keras import ops


def unpool_zero_insertion(x):
    """Unpool3D's operation: (batch, D, H, W, C) -> (batch, 2D, 2H, 2W, C), zeros at odd indices."""
    # A zero after every entry along an axis = a length-1 axis padded to 2 and merged with it.
    # Two pads (pad of rank > 6 is not available everywhere): the last grid axis, then the first
    # two at once; one pass fewer over the 8x larger output than one pad per axis.
    d, h, w, c = x.shape[1:]
    x = ops.pad(ops.reshape(x, (-1, 1, c)), [[0, 0], [0, 1], [0, 0]])
    x = ops.pad(ops.reshape(x, (-1, 1, h, 1, 2 * w * c)), [[0, 0], [0, 1], [0, 0], [0, 1], [0, 0]])
    return ops.reshape(x, (-1, 2 * d, 2 * h, 2 * w, c))


# Per axis, which kernel taps an output of each parity sees, for a 3-tap kernel on a zero-inserted
# input: out[2m] = k[1] in[m]; out[2m + 1] = k[0] in[m] + k[2] in[m + 1] (in[n] = 0, the padding).
# As slices (start, stop, step), so the kernel's gradient stays a dense tensor.
_PARITY_TAPS = {0: slice(1, 2), 1: slice(0, 3, 2)}


def unpool_conv_transpose(x, kernel):
    """conv3d(unpool(x), kernel, 'same') for a 3x3x3 kernel as one stride-2 transposed convolution.

    A transposed convolution with kernel g scatters out[2m + t] += g[t] in[m]; 'same' padding keeps
    out[0 .. 2n-1]. That is a convolution of the input inserted at the *odd* positions with the
    mirrored g, and unpooling inserts at the even ones: mirrored grids turn one into the other, so
    conv3d(unpool(x), k) = R(conv_transpose(R(x), k)), R reversing the three grid axes, with k itself
    as g (the two mirrorings cancel). Every product multiplies two possibly non-zero numbers. (The
    unmirrored form, 'valid' padding with the first plane dropped, computes (2n+1)^3 outputs and
    its gradient is ~1.6x slower.)
    """
    grid_axes = (1, 2, 3)
    g = ops.transpose(kernel, (0, 1, 2, 4, 3))   # (k, k, k, out, in) for conv_transpose
    out = ops.conv_transpose(ops.flip(x, axis=grid_axes), g, strides=2, padding='same')
    return ops.flip(out, axis=grid_axes)


def unpool_conv_parities(x, kernel):
    """conv3d(unpool(x), kernel, 'same') for a 3x3x3 kernel as 8 small convolutions of x, one per
    output parity (1 or 2 taps per axis, 27 taps in all instead of 8 x 27), interleaved after."""
    n = x.shape[1:4]
    padded = ops.pad(x, [[0, 0], [0, 1], [0, 1], [0, 1], [0, 0]])   # in[n] = 0
    outs = []
    for s0 in (0, 1):
        for s1 in (0, 1):
            for s2 in (0, 1):
                k = kernel[_PARITY_TAPS[s0], _PARITY_TAPS[s1], _PARITY_TAPS[s2]]
                window = padded[:, :n[0] + s0, :n[1] + s1, :n[2] + s2, :]
                outs.append(ops.conv(window, k, strides=1, padding='valid'))
    out = ops.stack(outs, axis=4)   # (batch, D, H, W, 8, C), parity (s0, s1, s2) row-major
    c = out.shape[-1]
    out = ops.reshape(out, (-1, n[0], n[1], n[2], 2, 2, 2, c))
    out = ops.transpose(out, (0, 1, 4, 2, 5, 3, 6, 7))
    return ops.reshape(out, (-1, 2 * n[0], 2 * n[1], 2 * n[2], c))


UNPOOL_CONV_METHODS = {'transpose': unpool_conv_transpose, 'parities': unpool_conv_parities}
