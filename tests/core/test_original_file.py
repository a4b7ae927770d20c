"""The converter's reader of the original .npy file: a file can never run code, only arrays load.

np.load(allow_pickle=True) runs whatever a pickle names; the reader allows only numpy's array
reconstruction, so a planted payload (an object whose __reduce__ calls os.system) is refused with one
line naming the file and the global, and the command it carries never runs.
"""
import os
import pickle
import subprocess

import numpy as np
import pytest

from lib.data_io import REPO_ROOT
from lib.weights import WeightsError, read_original_file

REPO = str(REPO_ROOT)


class Payload:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f'touch {self.marker}',)


def _object_array(items):
    packed = np.empty(len(items), dtype=object)
    for i, a in enumerate(items):
        packed[i] = a
    return packed


def _planted_files(folder):
    marker = folder / 'payload-ran'
    arrays = [np.ones((2, 3), np.float32), np.zeros(4, np.float32)]
    npy = folder / 'planted.npy'
    np.save(npy, _object_array(arrays + [Payload(marker)]), allow_pickle=True)
    raw = folder / 'planted.pkl'
    raw.write_bytes(pickle.dumps(_object_array([Payload(marker)])))
    nested = folder / 'nested.npy'   # the payload inside a dict inside the list
    np.save(nested, _object_array(arrays + [{'x': Payload(marker)}]), allow_pickle=True)
    return marker, [npy, raw, nested]


def test_a_planted_payload_never_runs_in_the_reader(tmp_path):
    marker, files = _planted_files(tmp_path)
    for path in files:
        with pytest.raises(WeightsError) as err:
            read_original_file(str(path))
        assert str(path) in str(err.value)
        assert not marker.exists(), f'{path.name}: the payload ran'
    with pytest.raises(WeightsError, match=r'refused to load (posix|os)\.system'):
        read_original_file(str(files[0]))
    with pytest.raises(WeightsError, match='not a .npy file'):
        read_original_file(str(files[1]))
    assert not marker.exists()


@pytest.mark.slow   # writes and converts a full-size weights file
def test_a_planted_payload_never_runs_in_convert(tmp_path):
    marker, files = _planted_files(tmp_path)
    for path in files:
        out = tmp_path / 'out.weights.h5'
        result = subprocess.run([os.path.join(REPO, 'run.sh'), 'convert', str(path), str(out)],
                                capture_output=True, text=True, timeout=300)
        assert result.returncode != 0
        assert not marker.exists(), f'{path.name}: the payload ran'
        assert not out.exists()
        last = result.stderr.strip().splitlines()
        assert len(last) == 1 and str(path) in last[0], result.stderr
        assert 'Traceback' not in result.stderr


def test_arrays_as_the_original_saved_them_still_load(tmp_path):
    arrays = [np.arange(6, dtype=np.float32).reshape(2, 3), np.full(4, 0.5, np.float32)]
    path = tmp_path / 'original.npy'
    np.save(path, _object_array(arrays), allow_pickle=True)
    loaded = read_original_file(str(path))
    assert [a.shape for a in loaded] == [(2, 3), (4,)]
    np.testing.assert_array_equal(loaded[0], arrays[0])
    # the same list pickled with protocol 2 (bytes become _codecs.encode calls) loads too
    proto2 = tmp_path / 'proto2.npy'
    with open(proto2, 'wb') as f:
        np.lib.format.write_array_header_1_0(f, {'descr': '|O', 'fortran_order': False, 'shape': (2,)})
        pickle.dump(_object_array(arrays), f, protocol=2)
    np.testing.assert_array_equal(read_original_file(str(proto2))[1], arrays[1])


@pytest.mark.parametrize('content, message', [
    (lambda: np.zeros(3, np.float32), 'expected a list of arrays'),
    (lambda: _object_array(['a string', np.zeros(2, np.float32)]), 'item 0 is a str'),
    (lambda: _object_array([np.array([1.0, np.nan], np.float32)]), 'NaN'),
    (lambda: _object_array([np.zeros(2, np.int64)]), 'not a float array'),
])
def test_files_that_are_not_a_list_of_float_arrays_are_one_line_errors(tmp_path, content, message):
    path = tmp_path / 'bad.npy'
    np.save(path, content(), allow_pickle=True)
    with pytest.raises(WeightsError, match=message):
        read_original_file(str(path))


def test_pickled_dict_truncated_and_missing_files_are_one_line_errors(tmp_path):
    as_dict = tmp_path / 'dict.pkl'
    as_dict.write_bytes(pickle.dumps({'w': np.zeros(2)}))
    with pytest.raises(WeightsError, match='not a .npy file'):
        read_original_file(str(as_dict))
    good = tmp_path / 'good.npy'
    np.save(good, _object_array([np.zeros((50, 50), np.float32)]), allow_pickle=True)
    cut = tmp_path / 'cut.npy'
    cut.write_bytes(good.read_bytes()[:300])
    with pytest.raises(WeightsError, match='damaged'):
        read_original_file(str(cut))
    with pytest.raises(WeightsError, match='not found'):
        read_original_file(str(tmp_path / 'absent.npy'))
    with pytest.raises(WeightsError, match='a folder'):
        read_original_file(str(tmp_path))
