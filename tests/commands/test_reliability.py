"""Nothing half-written, arguments checked before any work, and every expected failure one line
(issue 14): outputs on a full disk or with a folder in the way, damaged weights files, bad flags."""
import errno
import json
import os
import resource
import subprocess
import sys

import h5py
import numpy as np
import pytest

from lib.output.atomic import OutputError, atomic_write
from lib.weights import WeightsError, load_weights, read_spec, save_weights
from models import build_network
from tests.conftest import REPO
from tests.commands.test_demo import DEMO_VIEWS, _median_threshold
from tests.core.test_golden import _tiny_original_arrays, save_original_format


def run_sh(*args, file_size_limit=None, timeout=300):
    def limit():   # Python ignores SIGXFSZ: a write past the limit fails as on a full disk (EFBIG)
        resource.setrlimit(resource.RLIMIT_FSIZE, (file_size_limit, file_size_limit))
    return subprocess.run([str(REPO / 'run.sh'), *map(str, args)], capture_output=True, text=True, cwd=REPO,
                          timeout=timeout, preexec_fn=limit if file_size_limit else None)


def one_error_line(result):
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert 'Traceback' not in result.stderr, result.stderr
    lines = [line for line in result.stderr.strip().splitlines() if not line.startswith('warning:')]
    assert len(lines) == 1 and lines[0].startswith('error: '), result.stderr
    return lines[0]


# ------------------------------------------------------------------------------------------ outputs

def test_a_write_that_fails_leaves_no_temporary_and_says_why(tmp_path):
    def no_space(tmp):
        with open(tmp, 'wb') as f:
            f.write(b'half')
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    with pytest.raises(OutputError) as error:
        atomic_write(str(tmp_path / 'out.weights.h5'), no_space)
    assert str(error.value) == f'cannot write {tmp_path}/out.weights.h5: no space left on the device'
    assert list(tmp_path.iterdir()) == []
    (tmp_path / 'taken').mkdir()
    with pytest.raises(OutputError, match='taken: a folder is in the way'):
        atomic_write(str(tmp_path / 'taken'), lambda tmp: None)
    assert [p.name for p in tmp_path.iterdir()] == ['taken']


@pytest.fixture(scope='module')
def tiny_original(tmp_path_factory):
    path = tmp_path_factory.mktemp('original') / 'gru.npy'
    save_original_format(_tiny_original_arrays(build_network('gru_3', width=0.125)), path)
    return path


CONVERT_TINY = ('--net', 'gru_3', '--set', 'NETWORK.WIDTH', '0.125')


@pytest.mark.slow   # ./run.sh convert/demo/summary in subprocesses, TensorFlow loaded each time
def test_convert_on_a_full_disk_or_into_a_folder_is_one_line_and_leaves_nothing(tiny_original, tmp_path):
    out = tmp_path / 'out' / 'gru.weights.h5'
    # a 2 MB weights file where only 100 kB fit (what a full disk does; it used to crash in HDF5, rc 139)
    full = run_sh('convert', tiny_original, out, *CONVERT_TINY, file_size_limit=100_000)
    assert one_error_line(full) == f'error: cannot write {out}: file too large'
    assert list((tmp_path / 'out').iterdir()) == [], 'no temporary left'
    out.mkdir()
    folder = run_sh('convert', tiny_original, out, *CONVERT_TINY)
    assert one_error_line(folder) == f'error: cannot write {out}: a folder is in the way'
    assert sorted(p.name for p in (tmp_path / 'out').iterdir()) == ['gru.weights.h5'] and out.is_dir()
    (tmp_path / 'file').write_text('x')
    below = run_sh('convert', tiny_original, tmp_path / 'file' / 'gru.weights.h5', *CONVERT_TINY)
    assert one_error_line(below).startswith(f'error: cannot write {tmp_path}/file/gru.weights.h5: ')


@pytest.fixture(scope='module')
def tiny_weights(tmp_path_factory):
    path = tmp_path_factory.mktemp('weights') / 'tiny.weights.h5'
    return save_weights(build_network('res_gru_3', width=0.0625), str(path))


@pytest.mark.slow   # ./run.sh convert/demo/summary in subprocesses, TensorFlow loaded each time
def test_demo_with_a_folder_in_the_way_writes_nothing_half(tiny_weights, tmp_path):
    out = tmp_path / 'demo'
    (out / 'prediction.obj').mkdir(parents=True)
    threshold = _median_threshold(tiny_weights, [str(v) for v in DEMO_VIEWS[:1]])
    result = run_sh('demo', DEMO_VIEWS[0], '--weights', tiny_weights, '--out', out, '--threshold', f'{threshold:.6f}')
    assert one_error_line(result) == f'error: cannot write {out}/prediction.obj: a folder is in the way'
    # the binvox written before it is whole; no temporary anywhere
    assert sorted(p.name for p in out.iterdir()) == ['prediction.binvox', 'prediction.obj']
    assert list((out / 'prediction.obj').iterdir()) == []


# ------------------------------------------------------------------------------------------ weights

@pytest.fixture
def tiny_file(tmp_path):
    return save_weights(build_network('gru_1', width=0.0625), str(tmp_path / 'tiny.weights.h5'))


@pytest.mark.parametrize('spec', ['{"name": "gru_1", "width"', '[1, 2]', '"gru_1"'])
def test_a_weights_file_whose_spec_is_not_a_spec_is_one_line(tiny_file, spec):
    path = tiny_file
    with h5py.File(path, 'a') as f:
        f.attrs['r2n2_spec'] = spec
    with pytest.raises(WeightsError, match=r'tiny.weights.h5: damaged weights file \(its r2n2_spec attribute is not a network spec\)'):
        read_spec(str(path))


def test_weights_holding_strings_or_nan_are_refused_and_nothing_is_loaded(tiny_file):
    path = tiny_file
    network = build_network('gru_1', width=0.0625)
    before = [np.asarray(v).copy() for v in network.weights]
    with h5py.File(path, 'a') as f:
        data = f['weights/conv1/kernel'][()]
        data[0, 0, 0, 0] = np.nan
        f['weights/conv1/kernel'][...] = data
    with pytest.raises(WeightsError, match='conv1/kernel holds NaN or infinite values'):
        load_weights(network, str(path))
    with h5py.File(path, 'a') as f:
        del f['weights/conv1/bias']
        f['weights/conv1/bias'] = 'not numbers'
    with pytest.raises(WeightsError, match='conv1/bias holds .*, not floating-point numbers'):
        load_weights(network, str(path))
    for a, b in zip(before, network.weights):
        np.testing.assert_array_equal(a, np.asarray(b))


def test_a_keras_format_file_that_does_not_fit_says_why_in_whole_sentences(tmp_path):
    path = str(tmp_path / 'keras.weights.h5')
    build_network('gru_3', width=0.0625).save_weights(path)   # Keras' own format: no spec
    with pytest.raises(WeightsError) as error:
        load_weights(build_network('res_gru_3', width=0.0625), path)
    message = str(error.value)
    assert '\n' not in message and not message.endswith(':'), message
    assert 'could not be loaded' in message and 'variable.shape=(3, 3, 6, 6), Received: value.shape=(3, 3, 6, 8)' in message
    assert 'value=[[' not in message and len(message) < 600
    nan = build_network('gru_3', width=0.0625)
    kernel = nan.get_layer('encoder').get_layer('conv1').kernel
    kernel.assign(np.full(kernel.shape, np.inf, np.float32))
    nan.save_weights(path)
    target = build_network('gru_3', width=0.0625)
    before = [np.asarray(v).copy() for v in target.weights]
    with pytest.raises(WeightsError, match='conv1/kernel holds NaN or infinite values'):
        load_weights(target, path)
    for a, b in zip(before, target.weights):   # and nothing of it stays loaded
        np.testing.assert_array_equal(a, np.asarray(b))


@pytest.mark.slow   # ./run.sh convert/demo/summary in subprocesses, TensorFlow loaded each time
def test_a_demo_with_nan_weights_names_the_parameter(tmp_path):
    network = build_network('gru_1', width=0.0625)
    fc7 = network.get_layer('encoder').get_layer('fc7').kernel
    fc7.assign(np.full(fc7.shape, np.nan, np.float32))
    path = save_weights(network, str(tmp_path / 'nan.weights.h5'))
    result = run_sh('demo', DEMO_VIEWS[0], '--weights', path, '--out', tmp_path / 'demo')
    assert one_error_line(result) == f'error: {path}: fc7/kernel holds NaN or infinite values'
    assert not (tmp_path / 'demo').exists()


# ------------------------------------------------------------------------------------------ flags

def _main(capsys, *argv):
    """A command run in this process (TensorFlow is loaded already): (exit code, last stderr line)."""
    from lib.commands.cli import main
    code = main([str(a) for a in argv])
    err = capsys.readouterr().err.strip().splitlines()
    return code, err[-1] if err else ''


@pytest.mark.parametrize('argv, message', [
    (('train', '--iter', '0'), '--iter must be at least 1, got 0'),
    (('train', '--out', ''), '--out: empty path given'),
    (('train', '--set', 'CONST.BATCH_SIZE', '0'), 'config key CONST.BATCH_SIZE must be at least 1, got 0'),
    (('train', '--set', 'TRAIN.DEFAULT_LEARNING_RATE', '-0.0001'), 'TRAIN.DEFAULT_LEARNING_RATE must be a number above 0'),
    (('train', '--set', 'NETWORK.WIDTH', '1000'), 'NETWORK.WIDTH 1000: the network would have over'),
    (('test', '--weights', 'w.weights.h5', '--thresholds', '0.4,1.5'), '--thresholds must be between 0 and 1, got 1.5'),
    (('test', '--weights', 'w.weights.h5', '--thresholds', 'nan'), '--thresholds must be between 0 and 1, got nan'),
    (('test', '--weights', 'w.weights.h5', '--thresholds', '0.3,0.4,0.3'), '--thresholds: 0.3 is given twice'),
    (('test', '--weights', 'w.weights.h5', '--views', '1,2,2'), '--views: 2 is given twice'),
    (('test', '--weights', 'w.weights.h5', '--limit', '-1'), '--limit must be at least 0, got -1'),
    (('test', '--weights', 'w.weights.h5', '--out', ''), '--out: empty path given'),
    (('demo', ''), 'demo: an image path is empty'),
    (('demo', 'x.png', '--out', ''), '--out: empty path given'),
    (('generate-data', '--seed', '-1'), '--seed must be at least 0, got -1'),
])
def test_bad_flags_are_refused_before_any_work(capsys, tmp_path, monkeypatch, argv, message):
    monkeypatch.chdir(tmp_path)
    code, last = _main(capsys, *argv)
    assert code == 1 and last.startswith('error: ') and message in last, last
    assert list(tmp_path.iterdir()) == [], 'nothing written'


def test_a_failed_generate_data_writes_nothing_so_the_right_command_still_runs(tmp_path):
    from datasets.embedded.generator import EmbeddedDatasetError, generate_dataset
    with pytest.raises(EmbeddedDatasetError, match='the seed must be a whole number >= 0, got -1'):
        generate_dataset(tmp_path / 'data', 1, seed=-1, workers=1, synsets=['03001627'], progress=False)
    assert not (tmp_path / 'data').exists()   # no manifest of seed -1 to refuse the next run
    assert generate_dataset(tmp_path / 'data', 1, seed=0, workers=1, synsets=['03001627'], progress=False) == 1
    assert json.loads((tmp_path / 'data' / 'embedded_dataset.json').read_text())['seed'] == 0


@pytest.mark.slow   # ./run.sh convert/demo/summary in subprocesses, TensorFlow loaded each time
def test_a_binary_cfg_file_is_one_line_in_a_command(tmp_path):
    binary = tmp_path / 'model.bin'
    binary.write_bytes(bytes(range(256)) * 4)
    result = run_sh('summary', 'gru_1', '--cfg', binary)
    assert one_error_line(result) == f'error: config file {binary} is not a text (YAML) file'


# ------------------------------------------------------------------------------------------ inputs

def test_a_16_bit_png_is_scaled_to_8_bits(tmp_path):
    from PIL import Image
    from lib.data_augmentation import load_image
    ramp = np.linspace(0, 65535, 256 * 64).reshape(64, 256).astype(np.uint16)
    path = tmp_path / 'deep.png'
    Image.fromarray(ramp).save(path)
    assert Image.open(path).mode == 'I;16'
    image = load_image(str(path), formats=None)
    assert image.shape == (64, 256, 3) and image.dtype == np.uint8
    np.testing.assert_array_equal(image[..., 0], np.round(ramp / 257.0).astype(np.uint8))
    assert len(np.unique(image)) == 256   # every grey level, not a few flat ones


@pytest.mark.parametrize('blank', [np.full((200, 300, 3), 255, np.uint8),        # all white
                                   np.zeros((200, 300, 4), np.uint8),             # all transparent
                                   np.full((1, 1, 3), 90, np.uint8)])             # one pixel
def test_a_blank_input_is_warned_about(capsys, blank):
    from lib.demo.reconstruct import prepare_view
    assert prepare_view(blank).shape == (127, 127, 3)
    assert 'no object found (the image is blank or one colour)' in capsys.readouterr().err


def test_an_image_with_an_object_gets_no_warning(capsys):
    from lib.demo.reconstruct import prepare_view
    image = np.full((200, 300, 3), 255, np.uint8)
    image[50:150, 100:180] = 40
    prepare_view(image)
    assert capsys.readouterr().err == ''


@pytest.mark.slow   # ./run.sh convert/demo/summary in subprocesses, TensorFlow loaded each time
def test_an_empty_or_full_prediction_still_writes_every_file(tiny_weights, tmp_path):
    from lib.binvox_rw import read_binvox
    from lib.demo.reconstruct import Reconstructor
    occupancy = Reconstructor(tiny_weights)([str(DEMO_VIEWS[0])])
    for name, threshold, what in (('empty', (occupancy.max() + 1) / 2, 'empty'),
                                  ('full', occupancy.min() / 2, 'entirely occupied')):
        out = tmp_path / name
        result = run_sh('demo', DEMO_VIEWS[0], '--weights', tiny_weights, '--out', out, '--threshold', f'{threshold:.6f}')
        assert result.returncode == 0, result.stderr
        assert f'warning: the prediction is {what} at threshold' in result.stderr
        assert sorted(p.name for p in out.iterdir()) == ['prediction.binvox', 'prediction.glb', 'prediction.html',
                                                         'prediction.obj', 'prediction.png', 'refinement.png',
                                                         'turntable.gif']
        voxels = read_binvox(str(out / 'prediction.binvox')).data
        vertices = np.array([list(map(float, line.split()[1:])) for line in (out / 'prediction.obj').read_text().splitlines()
                             if line.startswith('v ')]).reshape(-1, 3)
        if name == 'empty':
            assert not voxels.any() and len(vertices) == 0
        else:   # the grid's cube: every vertex on its faces (within half a voxel of +-0.5)
            assert voxels.all() and len(vertices) > 0
            assert np.all(np.abs(vertices).max(axis=1) > 0.5 - 1 / 32)


def test_demo_honours_network_name_from_the_config(capsys, tiny_weights, tmp_path):
    code, last = _main(capsys, 'demo', DEMO_VIEWS[0], '--weights', tiny_weights, '--out', tmp_path / 'x',
                       '--set', 'NETWORK.NAME', 'gru_3')
    assert code == 1 and last.startswith(f'error: {tiny_weights} holds weights of res_gru_3') and 'not of the requested gru_3' in last
    code, last = _main(capsys, 'demo', DEMO_VIEWS[0], '--weights', tiny_weights, '--out', tmp_path / 'x',
                       '--set', 'NETWORK.NAME', 'gru_3', '--net', 'lstm_3')
    assert (code, last) == (1, 'error: --net lstm_3 and NETWORK.NAME gru_3 name different networks')
    assert not (tmp_path / 'x').exists()


@pytest.mark.skipif(os.geteuid() == 0, reason='root writes into read-only folders')
@pytest.mark.slow   # ./run.sh convert/demo/summary in subprocesses, TensorFlow loaded each time
def test_read_only_output_folders_are_one_line(tiny_original, tiny_weights, tmp_path):
    locked = tmp_path / 'locked'
    locked.mkdir()
    locked.chmod(0o555)
    try:
        convert = run_sh('convert', tiny_original, locked / 'gru.weights.h5', *CONVERT_TINY)
        assert one_error_line(convert).startswith(f'error: cannot write {locked}/gru.weights.h5: permission denied')
        demo = run_sh('demo', DEMO_VIEWS[0], '--weights', tiny_weights, '--out', locked / 'demo')
        assert one_error_line(demo) == f'error: {locked}/demo: permission denied'
        assert list(locked.iterdir()) == []
    finally:
        locked.chmod(0o755)


# A command's module is imported, its arguments parsed and checked, and only then is Keras loaded.
_IMPORT_PROBE = '''import sys
from lib.commands.cli import main
try:
    code = main(sys.argv[1:])
except SystemExit as e:
    code = e.code
print('loaded:', ' '.join(m for m in ('tensorflow', 'keras', 'jax', 'torch') if m in sys.modules))
sys.exit(code)
'''


@pytest.mark.parametrize('argv, code', [
    (['demo', '--help'], 0), (['train', '--help'], 0), (['test', '--help'], 0), (['summary', '--help'], 0),
    (['convert', '--help'], 0), (['check-data', '--help'], 0), (['bench', '--help'], 0),
    (['train', '--iter', '0'], 1), (['train', '--set', 'TRAIN.SAVE_FREQ', '0'], 1),
    (['test', '--weights', 'w.weights.h5', '--views', '1,1'], 1), (['test', '--thresholds', 'nan', '--weights', 'w'], 1),
    (['demo', '--threshold', '2', 'a.png'], 1), (['demo', ''], 1), (['convert', 'a.npy', 'b.h5'], 1),
    (['demo'], 2), (['train', '--no-such-flag'], 2),
])
def test_help_and_usage_errors_answer_before_keras_is_loaded(argv, code):
    result = subprocess.run([sys.executable, '-c', _IMPORT_PROBE, *argv], capture_output=True, text=True,
                            cwd=REPO, timeout=120)
    assert result.returncode == code, result.stderr
    assert result.stdout.strip().splitlines()[-1] == 'loaded:', result.stdout
    if code:
        assert 'Traceback' not in result.stderr and result.stderr.strip()


def test_a_train_into_a_folder_another_run_holds_is_refused_before_keras_loads(tmp_path):
    from lib.output.run_lock import check_not_locked
    out = tmp_path / 'run'
    check_not_locked(str(out))   # no folder yet: nothing to refuse, and nothing made
    assert not out.exists()
    holder = subprocess.Popen([sys.executable, '-c', 'import sys, time\nfrom lib.output.run_lock import run_lock\n'
                               'with run_lock(sys.argv[1]):\n    print("held", flush=True)\n    time.sleep(120)',
                               str(out)], cwd=REPO, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == 'held'
        result = subprocess.run([sys.executable, '-c', _IMPORT_PROBE, 'train', '--out', str(out), '--iter', '1'],
                                capture_output=True, text=True, cwd=REPO, timeout=120)
    finally:
        holder.kill()
        holder.wait(30)
    assert result.returncode == 1 and result.stdout.strip().splitlines()[-1] == 'loaded:', result.stdout
    assert result.stderr.strip().splitlines() == [
        f'error: {out} is in use by another training run (process {holder.pid}); wait for it to end or use '
        f'another --out']
    check_not_locked(str(out))   # the holder gone (killed, as kill -9 would), the folder is free again
    assert sorted(p.name for p in out.iterdir()) == ['.train.lock']
