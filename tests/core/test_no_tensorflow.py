"""Issue 18: with KERAS_BACKEND=jax (or torch), train, test, demo, summary and bench run on a Python
where `import tensorflow` fails (tests/no_tensorflow/sitecustomize.py on PYTHONPATH hides it, as a
machine with CUDA JAX or PyTorch and no TensorFlow would be). Skipped where the backend is not
installed (./run.sh setup --backends jax)."""
import importlib.util
import json
import os
import subprocess
import sys

import pytest

from tests.conftest import REPO

HIDE = REPO / 'tests' / 'no_tensorflow'
TINY_CFG = """
NETWORK: {NAME: res_gru_3, WIDTH: 0.0625}
CONST: {BATCH_SIZE: 2, N_VIEWS: 2}
TRAIN: {SAVE_FREQ: 1, VALIDATION_FREQ: 1, PRINT_FREQ: 1, NUM_WORKER: 2}
TEST: {NUM_VALIDATION_MODELS: 1, BATCH_SIZE: 2}
"""


def backend(name):
    installed = importlib.util.find_spec(name) is not None
    return pytest.param(name, marks=pytest.mark.skipif(
        not installed, reason=f'{name} is not installed (./run.sh setup --backends {name})'))


def without_tensorflow(backend_name):
    path = os.environ.get('PYTHONPATH')
    return {**os.environ, 'KERAS_BACKEND': backend_name,
            'PYTHONPATH': str(HIDE) + (os.pathsep + path if path else '')}


def test_the_hiding_works():
    result = subprocess.run([sys.executable, '-c', 'import tensorflow'], capture_output=True, text=True,
                            env=without_tensorflow('jax'), timeout=60)
    assert result.returncode == 1 and "ModuleNotFoundError: No module named 'tensorflow'" in result.stderr


@pytest.mark.parametrize('name', [backend('jax'), backend('torch')])
def test_commands_run_without_tensorflow(name, tmp_path):
    from lib.bench.measure import synthetic_dataset
    data = tmp_path / 'data'
    synthetic_dataset(str(data), models=4)   # 3 training models, 1 test model
    cfg = tmp_path / 'tiny.yaml'
    cfg.write_text(TINY_CFG)
    env = without_tensorflow(name)

    def run(*args, timeout=300):
        result = subprocess.run([str(REPO / 'run.sh'), *map(str, args)], capture_output=True, text=True,
                                cwd=REPO, env=env, timeout=timeout)
        assert result.returncode == 0, f'{args[0]} on {name}:\n{result.stdout[-2000:]}\n{result.stderr[-3000:]}'
        assert 'tensorflow' not in result.stderr.lower().replace('no tensorboard', ''), result.stderr[-2000:]
        return result.stdout

    out = run('summary', 'res_gru_3', '--set', 'NETWORK.WIDTH', '0.0625')
    assert 'Total parameters of res_gru_3: ' in out
    out = run('train', '--cfg', cfg, '--data', data, '--out', tmp_path / 'run', '--iter', '1')
    assert f'computing on {name} (cpu)' in out and 'no TensorBoard logs' in out
    weights = tmp_path / 'run' / 'res_gru_3.weights.h5'
    assert weights.is_file() and (tmp_path / 'run' / 'validation.csv').is_file()
    run('test', '--weights', weights, '--cfg', cfg, '--data', data, '--views', '1,2', '--thresholds', '0.4',
        '--out', tmp_path / 'test')
    summary = json.loads((tmp_path / 'test' / 'results.json').read_text())
    assert summary and (tmp_path / 'test' / 'results.md').is_file()
    run('demo', REPO / 'experiments' / 'demo' / 'chair_00.png', '--weights', weights, '--out', tmp_path / 'demo')
    assert (tmp_path / 'demo' / 'prediction.obj').is_file()
    out = run('bench', '--quick', '--out', tmp_path / 'bench' / 'bench.md')
    report = (tmp_path / 'bench' / 'bench.md').read_text()
    schedule = json.loads((tmp_path / 'bench' / 'bench.json').read_text())['schedule']
    # every schedule row was measured (the report's table holds them by configuration; their row
    # names appear in the log only); the whole output and report on failure
    assert f'on {name} (cpu)' in out and 'training step 2x2, fp32, jit off' in out, out + '\n' + report
    [config] = [c for c in schedule['configs'] if c['label'] == 'fp32, jit off']
    assert all(config[k] and config[k] > 0 for k in ('forward1', 'forward5', 'train')), out + '\n' + report
    assert '| fp32, jit off |' in report, report
    assert 'not run on ' + name in out   # the TensorFlow-only CPU study says it was skipped
