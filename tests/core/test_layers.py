"""The building blocks against plain NumPy versions of REFERENCE.md's equations."""
import numpy as np
import pytest
from keras import ops

from lib.layers import (FCConv3D, ConvGRUCell3D, ConvLSTMCell3D, FoldViews, PaddedMaxPool2D,
                        UnfoldViews, Unpool3D, ViewRecurrence, VoxelSoftmax, voxel_cross_entropy)

RNG = np.random.default_rng(0)
TOL = 1e-5


def np_sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def np_conv3d_same(h, kernel):
    """Cross-correlation with zero 'same' padding: h (B, D, H, W, Cin), kernel (k, k, k, Cin, Cout)."""
    k = kernel.shape[0]
    p = (k - 1) // 2
    padded = np.pad(h, [(0, 0), (p, p), (p, p), (p, p), (0, 0)])
    b, d, hh, w, _ = h.shape
    out = np.zeros((b, d, hh, w, kernel.shape[-1]))
    for i in range(k):
        for j in range(k):
            for l in range(k):
                out += padded[:, i:i + d, j:j + hh, l:l + w, :] @ kernel[i, j, l]
    return out


def np_transition(layer, x, h):
    wh, wx, b = (np.asarray(w) for w in (layer.Wh, layer.Wx, layer.b))
    g = layer.grid_size
    return (x @ wx).reshape(-1, g, g, g, layer.channels) + np_conv3d_same(h, wh) + b


def random_weights(layer):
    for w in layer.weights:
        w.assign(RNG.normal(0, 0.5, w.shape).astype('float32'))


@pytest.mark.parametrize('kernel', [1, 3])
def test_fcconv3d_matches_numpy(kernel):
    layer = FCConv3D(grid_size=4, channels=5, kernel_size=kernel)
    x = RNG.normal(size=(2, 6)).astype('float32')
    h = RNG.normal(size=(2, 4, 4, 4, 3)).astype('float32')
    layer.build(((2, 6), (2, 4, 4, 4, 3)))
    random_weights(layer)
    assert layer.Wh.shape == (kernel, kernel, kernel, 3, 5) and layer.Wx.shape == (6, 4 * 4 * 4 * 5)
    np.testing.assert_allclose(np.asarray(layer([x, h])), np_transition(layer, x, h), atol=TOL)


def _cell_inputs(channels=4):
    x = RNG.normal(size=(2, 6)).astype('float32')
    h = RNG.normal(0, 0.5, size=(2, 4, 4, 4, channels)).astype('float32')
    return x, h


@pytest.mark.parametrize('kernel', [1, 3])
def test_gru_cell_matches_numpy(kernel):
    cell = ConvGRUCell3D(grid_size=4, channels=4, kernel_size=kernel)
    x, h = _cell_inputs()
    cell.build((2, 6))
    random_weights(cell)
    t_update, t_reset, t_candidate = cell.transitions
    u = np_sigmoid(np_transition(t_update, x, h))
    r = np_sigmoid(np_transition(t_reset, x, h))
    expected = u * h + (1 - u) * np.tanh(np_transition(t_candidate, x, r * h))
    out, states, gate = cell(x, [h])
    np.testing.assert_allclose(np.asarray(out), expected, atol=TOL)
    np.testing.assert_allclose(np.asarray(states[0]), expected, atol=TOL)
    np.testing.assert_allclose(np.asarray(gate), u, atol=TOL)


@pytest.mark.parametrize('kernel', [1, 3])
def test_lstm_cell_without_output_gate_matches_numpy(kernel):
    cell = ConvLSTMCell3D(grid_size=4, channels=4, kernel_size=kernel)
    x, h = _cell_inputs()
    s = RNG.normal(size=h.shape).astype('float32')
    cell.build((2, 6))
    random_weights(cell)
    t_input, t_forget, t_cell = cell.transitions
    i = np_sigmoid(np_transition(t_input, x, h))
    f = np_sigmoid(np_transition(t_forget, x, h))
    s_new = f * s + i * np.tanh(np_transition(t_cell, x, h))
    out, (h_new, s_out), _ = cell(x, [h, s])
    np.testing.assert_allclose(np.asarray(s_out), s_new, atol=TOL)
    np.testing.assert_allclose(np.asarray(out), np.tanh(s_new), atol=TOL)
    np.testing.assert_allclose(np.asarray(h_new), np.tanh(s_new), atol=TOL)
    assert [t.name for t in cell.transitions] == ['in_gate', 'forget_gate', 'in_transform']


def test_cells_reject_other_kernel_sizes():
    with pytest.raises(ValueError, match='1 or 3'):
        ConvGRUCell3D(kernel_size=5)


@pytest.mark.parametrize('cell_class', [ConvGRUCell3D, ConvLSTMCell3D])
def test_recurrence_equals_cell_run_by_hand(cell_class):
    cell = cell_class(grid_size=4, channels=3, kernel_size=3)
    recurrence = ViewRecurrence(cell)
    features = RNG.normal(size=(2, 3, 6)).astype('float32')
    recurrence.build(features.shape)
    random_weights(cell)
    states = cell.initial_states(2)
    by_hand = []
    for v in range(3):
        out, states, _ = cell(features[:, v], states)
        by_hand.append(np.asarray(out))
    final = np.asarray(recurrence(features))
    every = np.asarray(recurrence(features, return_sequences=True))
    np.testing.assert_allclose(final, by_hand[-1], atol=TOL)
    assert every.shape == (2, 3, 4, 4, 4, 3)
    for v in range(3):
        np.testing.assert_allclose(every[:, v], by_hand[v], atol=TOL)
    # the state starts at zero: one view from zero equals the cell applied once to zeros
    out1, _, _ = cell(features[:, 0], cell.initial_states(2))
    np.testing.assert_allclose(np.asarray(recurrence(features[:, :1])), np.asarray(out1), atol=TOL)


def test_stateful_recurrence_feeds_views_one_at_a_time():
    cell = ConvGRUCell3D(grid_size=4, channels=3, kernel_size=3)
    all_at_once = ViewRecurrence(cell)
    features = RNG.normal(size=(1, 4, 6)).astype('float32')
    all_at_once.build(features.shape)
    random_weights(cell)
    expected = np.asarray(all_at_once(features, return_sequences=True))

    stateful = ViewRecurrence(cell, stateful=True)   # same cell, same weights
    stateful.build((1, None, 6))
    for v in range(4):
        after_v = np.asarray(stateful(features[:, v:v + 1]))
        np.testing.assert_allclose(after_v, expected[:, v], atol=TOL)
    stateful.reset_state()
    np.testing.assert_allclose(np.asarray(stateful(features[:, :1])), expected[:, 0], atol=TOL)


def test_stateful_recurrence_needs_a_batch_size():
    with pytest.raises(ValueError, match='fixed batch size'):
        ViewRecurrence(ConvGRUCell3D(channels=3), stateful=True).build((None, None, 6))
    with pytest.raises(ValueError, match='stateful'):
        ViewRecurrence(ConvGRUCell3D(channels=3)).reset_state()


def test_unpool_puts_values_at_even_indices_and_zeros_elsewhere():
    x = RNG.normal(size=(2, 4, 4, 4, 3)).astype('float32')
    y = np.asarray(Unpool3D()(x))
    assert y.shape == (2, 8, 8, 8, 3)
    np.testing.assert_array_equal(y[:, ::2, ::2, ::2], x)
    mask = np.ones(y.shape, bool)
    mask[:, ::2, ::2, ::2] = False
    assert np.all(y[mask] == 0)


def test_padded_pool_sizes_follow_the_original():
    pool = PaddedMaxPool2D()
    sizes = [127]
    x = np.zeros((1, 127, 127, 1), 'float32')
    for _ in range(6):
        x = pool(x)
        sizes.append(x.shape[1])
    assert sizes == [127, 64, 33, 17, 9, 5, 3]


def np_padded_pool(x):
    """Max over the valid pixels of 2x2 windows of x padded by one pixel on each side."""
    b, h, w, c = x.shape
    padded = np.full((b, h + 2, w + 2, c), -np.inf)
    padded[:, 1:-1, 1:-1] = x
    oh, ow = h // 2 + 1, w // 2 + 1
    return padded[:, :2 * oh, :2 * ow].reshape(b, oh, 2, ow, 2, c).max(axis=(2, 4))


@pytest.mark.parametrize('size', [5, 6, 9])
def test_padded_pool_takes_max_over_valid_pixels_even_if_negative(size):
    x = -np.abs(RNG.normal(size=(2, size, size, 3))).astype('float32') - 1.0   # all negative
    y = np.asarray(PaddedMaxPool2D()(x))
    np.testing.assert_allclose(y, np_padded_pool(x), atol=0)
    assert np.all(y < 0), 'zero padding would leak 0 into the borders'


def test_fold_and_unfold_views_round_trip():
    x = RNG.normal(size=(2, 3, 5, 5, 3)).astype('float32')
    folded = FoldViews()(x)
    assert folded.shape == (6, 5, 5, 3)
    np.testing.assert_array_equal(np.asarray(folded)[4], x[1, 1])
    features = ops.reshape(folded, (6, -1))
    unfolded = np.asarray(UnfoldViews()([features, x]))
    np.testing.assert_array_equal(unfolded, x.reshape(2, 3, -1))


def test_voxel_softmax_sums_to_one():
    logits = RNG.normal(0, 5, size=(2, 4, 4, 4, 2)).astype('float32')
    p = np.asarray(VoxelSoftmax()(logits))
    np.testing.assert_allclose(p.sum(-1), 1.0, atol=1e-6)
    np.testing.assert_allclose(p[..., 1], np_sigmoid(logits[..., 1] - logits[..., 0]), atol=1e-6)


def test_voxel_cross_entropy_equals_numpy():
    logits = RNG.normal(0, 3, size=(2, 4, 4, 4, 2))
    occupancy = RNG.random((2, 4, 4, 4)) < 0.3
    # the original: mean over voxels of log sum exp(logits) - sum(y * logits), y one-hot
    one_hot = np.stack([~occupancy, occupancy], -1).astype(float)
    expected = np.mean(np.log(np.exp(logits).sum(-1)) - (one_hot * logits).sum(-1))
    got = float(voxel_cross_entropy(occupancy, logits.astype('float32')))
    assert got == pytest.approx(expected, abs=1e-5)
    assert float(voxel_cross_entropy(one_hot, logits.astype('float32'))) == pytest.approx(expected, abs=1e-5)


def test_voxel_cross_entropy_gradient_is_softmax_minus_target():
    import tensorflow as tf
    logits = tf.Variable(RNG.normal(0, 3, size=(2, 4, 4, 4, 2)).astype('float32'))
    occupancy = RNG.random((2, 4, 4, 4)) < 0.3
    with tf.GradientTape() as tape:
        loss = voxel_cross_entropy(occupancy, logits)
    one_hot = np.stack([~occupancy, occupancy], -1).astype('float32')
    expected = (tf.nn.softmax(logits).numpy() - one_hot) / occupancy.size   # d mean(CE) / d logits
    np.testing.assert_allclose(tape.gradient(loss, logits).numpy(), expected, atol=1e-7)
