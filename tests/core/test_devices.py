"""Issue 18 on any machine: TRAIN.JIT_COMPILE and how 'auto' resolves, float16 mixed precision
(loss scaling, checkpoints), and ./run.sh setup --gpu (refused without an NVIDIA driver; the
pip command it runs installs the pinned TensorFlow's CUDA build)."""
import os
import shutil
import subprocess

import numpy as np
import pytest

from tests.conftest import REPO


def test_jit_compile_setting_is_checked_and_takes_yaml_booleans(tmp_path):
    from lib.config import ConfigError, load_config
    assert load_config().TRAIN.JIT_COMPILE == 'auto'
    assert load_config(set_pairs=[('TRAIN.JIT_COMPILE', 'true')]).TRAIN.JIT_COMPILE == 'true'
    assert load_config(set_pairs=[('TRAIN.JIT_COMPILE', 'false')]).TRAIN.JIT_COMPILE == 'false'
    cfg = tmp_path / 'jit.yaml'
    cfg.write_text('TRAIN: {JIT_COMPILE: off}\n')   # YAML 1.1 reads off as a boolean
    assert load_config([str(cfg)]).TRAIN.JIT_COMPILE == 'false'
    with pytest.raises(ConfigError, match='TRAIN.JIT_COMPILE must be auto, true or false'):
        load_config(set_pairs=[('TRAIN.JIT_COMPILE', 'sometimes')])


def test_jit_auto_is_off_on_a_cpu_and_on_for_xla_backends_on_a_gpu():
    from lib.devices.backend import resolve_jit_compile
    for backend in ('tensorflow', 'jax', 'torch'):
        assert resolve_jit_compile('auto', backend, 'cpu') is False
        assert resolve_jit_compile('true', backend, 'cpu') is True
        assert resolve_jit_compile('false', backend, 'gpu') is False
    assert resolve_jit_compile('auto', 'tensorflow', 'gpu') is True
    assert resolve_jit_compile('auto', 'jax', 'gpu') is True
    assert resolve_jit_compile('auto', 'torch', 'gpu') is False   # torch.compile: not measured
    with pytest.raises(ValueError):
        resolve_jit_compile('yes', 'jax', 'cpu')


def test_this_machine_has_no_gpu_for_the_suite_backend():
    from lib.devices.backend import device_kind, resolve_jit_compile
    if device_kind() == 'gpu':
        pytest.skip('this machine has a GPU')
    assert resolve_jit_compile('auto') is False   # the default: what every CPU run here used


@pytest.mark.slow   # trains a step in fp16 and resumes
def test_float16_trains_with_loss_scaling_and_its_checkpoint_resumes(tmp_path):
    import keras
    from lib.config import get_default_config
    from lib.solver import VoxelTrainer, load_checkpoint, make_optimizer, save_checkpoint
    from models import build_network
    cfg = get_default_config()
    rng = np.random.default_rng(0)
    x = rng.random((2, 2, 127, 127, 3), dtype=np.float32)
    y = (rng.random((2, 32, 32, 32)) < 0.3).astype(np.uint8)

    def trainer():
        network = build_network('res_gru_3', width=0.0625, precision='mixed_float16')
        t = VoxelTrainer(network, cfg.TRAIN.WEIGHT_DECAY)
        t.compile(optimizer=make_optimizer(cfg.TRAIN, precision='mixed_float16'), jit_compile=False)
        return network, t

    keras.utils.set_random_seed(0)   # the initial weights: the test must not depend on the tests before it
    network, t = trainer()
    assert isinstance(t.optimizer, keras.optimizers.LossScaleOptimizer)
    assert t.logits_model(x).dtype == 'float16' and np.asarray(network(x)).dtype == np.float32
    # dynamic loss scaling skips a step whose scaled gradients overflow (and halves the scale): a few
    # steps, and the loss must have fallen below the first one's
    losses = [t.train_on_batch(x, y, return_dict=True)['voxel_loss'] for _ in range(4)]
    assert all(np.isfinite(losses)) and min(losses[1:]) < losses[0]
    save_checkpoint(str(tmp_path), network, t.optimizer, 2)
    other, u = trainer()
    load_checkpoint(str(tmp_path / 'checkpoints' / 'ckpt-0000002'), other, u.optimizer)
    for a, b in zip(t.optimizer.variables, u.optimizer.variables):   # the loss scale included
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    np.testing.assert_allclose(np.asarray(other(x)), np.asarray(network(x)), atol=1e-6)


def _setup(*args, path):
    return subprocess.run([str(REPO / 'run.sh'), 'setup', *args], capture_output=True, text=True, cwd=REPO,
                          timeout=120, env={**os.environ, 'PATH': path})


def test_setup_gpu_is_refused_in_one_line_without_an_nvidia_driver():
    path = '/usr/bin:/bin'
    if shutil.which('nvidia-smi', path=path):
        pytest.skip('this machine has nvidia-smi')
    result = _setup('--gpu', path=path)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1].startswith('error: setup --gpu needs an NVIDIA GPU')
    assert 'nothing was installed' in result.stderr and 'Traceback' not in result.stderr


def test_setup_gpu_installs_the_cuda_build_of_the_pinned_tensorflow(tmp_path):
    fake = tmp_path / 'nvidia-smi'   # a driver's tool is all the command asks for
    fake.write_text('#!/bin/sh\necho fake\n')
    fake.chmod(0o755)
    pinned = [line.split('==')[1].strip() for line in (REPO / 'requirements.txt').read_text().splitlines()
              if line.startswith('tensorflow==')][0]
    result = _setup('--gpu', '--dry-run', path=f'{tmp_path}:/usr/bin:/bin')
    assert result.returncode == 0, result.stderr
    pip, show = result.stdout.strip().splitlines()
    assert pip.endswith(f' -m pip install --disable-pip-version-check -q -c {REPO}/requirements.txt '
                        f'tensorflow[and-cuda]=={pinned}')
    assert 'list_physical_devices("GPU")' in show
