"""The solver's pieces: weight decay, learning-rate steps, checkpoints, IoU aggregation."""
import numpy as np
import pytest
import tensorflow as tf

from lib.config import get_default_config
from lib.solver import (VoxelTrainer, is_decayed, latest_checkpoint, load_checkpoint, make_optimizer,
                        save_checkpoint)
from lib.voxel import aggregate, iou, iou_at_thresholds
from models import build_network

TINY = dict(width=0.0625)


def test_weight_decay_touches_kernels_only():
    network = build_network('res_gru_3', **TINY)
    trainer = VoxelTrainer(network, weight_decay=5e-5)
    with tf.GradientTape() as tape:
        decay = trainer.decay_term()
    grads = tape.gradient(decay, network.trainable_weights)
    kinds = {'kernel': 0, 'bias': 0, 'Wx': 0, 'Wh': 0, 'b': 0}
    for v, g in zip(network.trainable_weights, grads):
        name = v.path.split('/')[-1]
        kinds[name] += 1
        if name in ('bias', 'b'):
            assert g is None or not np.any(np.asarray(g)), f'decay reaches the bias {v.path}'
            assert not is_decayed(v)
        else:
            # d/dw of 0.5 * wd * |w|^2 = wd * w: exactly the original's g + wd * w
            np.testing.assert_allclose(np.asarray(g), 5e-5 * np.asarray(v), rtol=1e-5, atol=1e-12)
    assert all(kinds.values()), kinds   # every kind of weight was seen


@pytest.mark.parametrize('name', ['gru_1', 'lstm_3'])
def test_one_view_from_the_zero_state_gives_every_parameter_a_gradient(name):
    # from the zero state one view never uses the reset (GRU) or forget (LSTM) gate; their
    # gradients are zero, not missing, so Adam moves them by its momentum as the original did
    network = build_network(name, **TINY)
    trainer = VoxelTrainer(network, weight_decay=0.0)
    rng = np.random.default_rng(0)
    x = rng.random((1, 1, 127, 127, 3), dtype=np.float32)
    y = rng.random((1, 32, 32, 32)) < 0.3
    with tf.GradientTape() as tape:
        loss = trainer.compute_loss(x=x, y=y, y_pred=trainer(x), training=True)
    grads = tape.gradient(loss, network.trainable_weights)
    missing = [v.path for v, g in zip(network.trainable_weights, grads) if g is None]
    assert not missing
    gate = 't_x_s_reset' if name.startswith('gru') else 'forget_gate'
    unused = [g for v, g in zip(network.trainable_weights, grads) if gate in v.path]
    assert len(unused) == 3 and not any(np.any(np.asarray(g)) for g in unused)


def test_learning_rate_steps_follow_the_original_loop():
    cfg = get_default_config()
    optimizer = make_optimizer(cfg.TRAIN)
    schedule = optimizer._learning_rate
    # the original lowers the rate after the update of iteration 20,000 (0-based)
    assert float(schedule(0)) == pytest.approx(1e-4)
    assert float(schedule(20000)) == pytest.approx(1e-4)
    assert float(schedule(20001)) == pytest.approx(1e-5)
    assert float(schedule(60001)) == pytest.approx(1e-6)
    assert (optimizer.beta_1, optimizer.beta_2, optimizer.epsilon) == (0.9, 0.999, 1e-8)


def test_checkpoint_round_trip_restores_weights_and_optimizer(tmp_path):
    cfg = get_default_config()
    network = build_network('gru_1', **TINY)
    trainer = VoxelTrainer(network, 5e-5)
    optimizer = make_optimizer(cfg.TRAIN)
    trainer.compile(optimizer=optimizer, jit_compile=False)
    x = np.random.default_rng(0).random((2, 2, 127, 127, 3), dtype=np.float32)
    y = np.zeros((2, 32, 32, 32), np.uint8)
    trainer.fit(x, y, batch_size=2, epochs=1, verbose=0)
    save_checkpoint(str(tmp_path), network, optimizer, 7, extra={'seed': 3})
    folder = latest_checkpoint(str(tmp_path))
    assert folder.endswith('ckpt-0000007')

    fresh = build_network('gru_1', **TINY)
    fresh_optimizer = make_optimizer(cfg.TRAIN)
    state = load_checkpoint(folder, fresh, fresh_optimizer)
    assert state['iteration'] == 7 and state['seed'] == 3
    assert int(fresh_optimizer.iterations) == int(optimizer.iterations) == 1
    for a, b in zip(optimizer.variables, fresh_optimizer.variables):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    for a, b in zip(network.weights, fresh.weights):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


def test_latest_pointer_moves_only_after_a_complete_checkpoint(tmp_path, monkeypatch):
    cfg = get_default_config()
    network = build_network('gru_1', **TINY)
    optimizer = make_optimizer(cfg.TRAIN)
    optimizer.build(network.trainable_variables)
    save_checkpoint(str(tmp_path), network, optimizer, 2)
    import lib.solver as solver

    def crash(*args, **kwargs):
        raise KeyboardInterrupt('killed mid-save')
    monkeypatch.setattr(solver.os, 'replace', crash)
    with pytest.raises(KeyboardInterrupt):
        save_checkpoint(str(tmp_path), network, optimizer, 4)
    monkeypatch.undo()
    assert latest_checkpoint(str(tmp_path)).endswith('ckpt-0000002')
    for i in (6, 8, 10):
        save_checkpoint(str(tmp_path), network, optimizer, i, keep=2)
    names = sorted(p.name for p in (tmp_path / 'checkpoints').iterdir() if p.name.startswith('ckpt-'))
    assert names == ['ckpt-0000008', 'ckpt-0000010']


def test_a_checkpoint_whose_weights_diverged_is_set_aside(tmp_path):
    from lib.solver import set_aside_checkpoint
    cfg = get_default_config()
    network = build_network('gru_1', **TINY)
    optimizer = make_optimizer(cfg.TRAIN)
    optimizer.build(network.trainable_variables)
    for i in (2, 4):
        save_checkpoint(str(tmp_path), network, optimizer, i)
    assert set_aside_checkpoint(str(tmp_path), 3) is None          # not the latest: nothing moves
    assert latest_checkpoint(str(tmp_path)).endswith('ckpt-0000004')
    assert set_aside_checkpoint(str(tmp_path), 4) == 'checkpoints/diverged-ckpt-0000004'
    assert latest_checkpoint(str(tmp_path)).endswith('ckpt-0000002')
    assert (tmp_path / 'checkpoints' / 'diverged-ckpt-0000004' / 'state.json').exists()
    set_aside_checkpoint(str(tmp_path), 2)
    assert latest_checkpoint(str(tmp_path)) is None                # a rerun starts over


def _two_checkpoints(tmp_path):
    network = build_network('gru_1', **TINY)
    optimizer = make_optimizer(get_default_config().TRAIN)
    optimizer.build(network.trainable_variables)
    for i in (2, 4):
        save_checkpoint(str(tmp_path), network, optimizer, i)
    return tmp_path / 'checkpoints'


def _truncate(path):
    path.write_bytes(path.read_bytes()[:path.stat().st_size // 2])


@pytest.mark.parametrize('damage, reason', [
    (lambda root: (root / 'latest').write_text(''), 'latest is empty'),
    (lambda root: (root / 'latest').write_text('ckpt-0000009\n'), "latest names 'ckpt-0000009', which does not exist"),
    (lambda root: _truncate(root / 'ckpt-0000004' / 'network.weights.h5'), 'network.weights.h5 is damaged'),
    (lambda root: _truncate(root / 'ckpt-0000004' / 'optimizer.npz'), 'optimizer.npz is damaged'),
    (lambda root: (root / 'ckpt-0000004' / 'state.json').write_text('{"iteration": 4,'), 'state.json is damaged'),
])
def test_a_damaged_latest_checkpoint_falls_back_to_the_previous_complete_one(tmp_path, damage, reason):
    root = _two_checkpoints(tmp_path)
    damage(root)
    said = []
    folder = latest_checkpoint(str(tmp_path), repair=True, log=said.append)
    # the empty or wrong pointer: the newest complete one is 4; a damaged 4: the previous one, 2
    expected = 'ckpt-0000004' if 'latest' in reason else 'ckpt-0000002'
    assert folder.endswith(expected)
    assert len(said) == 1 and reason in said[0] and said[0].endswith(f'resuming from the previous complete one, {expected}')
    assert (root / 'latest').read_text().strip() == expected            # repaired: the pointer says so
    if expected == 'ckpt-0000002':
        assert (root / 'damaged-ckpt-0000004').is_dir() and not (root / 'ckpt-0000004').exists()
    assert latest_checkpoint(str(tmp_path)).endswith(expected)           # and the next look is quiet


def test_no_complete_checkpoint_left_is_one_clear_error(tmp_path):
    from lib.solver import CheckpointError
    root = _two_checkpoints(tmp_path)
    _truncate(root / 'ckpt-0000004' / 'network.weights.h5')
    (root / 'ckpt-0000002' / 'state.json').write_text('[]')
    with pytest.raises(CheckpointError) as error:
        latest_checkpoint(str(tmp_path))
    message = str(error.value)
    assert '\n' not in message and 'no complete checkpoint' in message
    assert 'ckpt-0000004: network.weights.h5 is damaged' in message and 'ckpt-0000002: state.json holds no iteration' in message


def test_mean_occupancy_baseline_on_hand_made_grids(monkeypatch):
    import lib.test_net as test_net
    from types import SimpleNamespace
    x = np.arange(32)[:, None, None] * np.ones((1, 32, 32), int)
    grids = {'wide': np.broadcast_to(x < 16, (32,) * 3), 'narrow': np.broadcast_to(x < 8, (32,) * 3)}
    # training mean: 1 where x < 8, 0.5 where 8 <= x < 16, 0 elsewhere
    monkeypatch.setattr(test_net, 'load_voxels', lambda cfg, synset, model: grids[model.split('-')[0]])
    evaluation = SimpleNamespace(categories=['c1', 'c2', 'c2'], models=['wide-t', 'narrow-t', 'narrow-u'])
    out = test_net.mean_shape_baseline(None, [('c1', 'wide-a'), ('c2', 'narrow-b')], evaluation, [0.4, 0.6])
    # at 0.4 the baseline predicts x < 16: IoU 1 for the wide model, 0.5 for the narrow ones
    assert out['0.4']['mean_over_models'] == pytest.approx(2 / 3)
    assert out['0.4']['mean_over_categories'] == pytest.approx(0.75)
    # at 0.6 it predicts x < 8: IoU 0.5 for the wide model, 1 for the narrow ones
    assert out['0.6']['mean_over_models'] == pytest.approx(5 / 6)
    assert out['0.6']['mean_over_categories'] == pytest.approx(0.75)


def test_iou_on_hand_made_grids():
    truth = np.zeros((4, 4, 4), bool)
    truth[:2] = True                          # 32 voxels
    pred = np.zeros((4, 4, 4), bool)
    pred[1:3] = True                          # 32 voxels, 16 shared
    assert float(iou(pred, truth)) == pytest.approx(16 / 48)
    assert float(iou(truth, truth)) == 1.0
    assert float(iou(~truth, truth)) == 0.0
    assert float(iou(np.zeros_like(truth), np.zeros_like(truth))) == 1.0
    probs = np.where(truth, 0.45, 0.1)
    by_t = iou_at_thresholds(probs, truth, [0.4, 0.5])
    assert float(by_t[0.4]) == 1.0 and float(by_t[0.5]) == 0.0
    batch = iou(np.stack([pred, truth]), np.stack([truth, truth]))
    np.testing.assert_allclose(batch, [16 / 48, 1.0])


def test_aggregation_over_categories_and_models():
    categories = ['chair', 'chair', 'chair', 'car']
    values = [0.2, 0.4, 0.6, 1.0]
    per_category, over_categories, over_models = aggregate(categories, values)
    assert per_category == pytest.approx({'car': 1.0, 'chair': 0.4})
    assert over_categories == pytest.approx(0.7)      # categories weigh equally
    assert over_models == pytest.approx(0.55)         # models weigh equally


def test_per_sample_loss_equals_the_voxel_cross_entropy():
    from lib.layers import voxel_cross_entropy
    rng = np.random.default_rng(2)
    logits = rng.normal(0, 2, (3, 4, 4, 4, 2)).astype(np.float32)
    y = rng.random((3, 4, 4, 4)) < 0.4
    per = np.asarray(voxel_cross_entropy(y, logits, per_sample=True))   # what test_net reports per model
    assert per.shape == (3,)
    assert per.mean() == pytest.approx(float(voxel_cross_entropy(y, logits)), abs=1e-5)
    log_p = logits - np.log(np.exp(logits.astype(np.float64)).sum(-1, keepdims=True))
    np.testing.assert_allclose(per, -np.where(y, log_p[..., 1], log_p[..., 0]).mean(axis=(1, 2, 3)), atol=1e-5)
