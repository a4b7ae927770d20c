"""A training mix (datasets/mix.py, lib/data_io.read_mix): several roots as one, each split on its own."""
import json
import os
import subprocess
import sys

import pytest

from datasets.mix import make_mix, parse_source
from lib.config import get_default_config
from lib.data_io import REPO_ROOT, DataError, category_model_pairs

CHAIR, TABLE = '03001627', '04379243'


def make_root(root, models_by_category):
    for synset, ids in models_by_category.items():
        for model in ids:
            os.makedirs(root / 'ShapeNetVox32' / synset / model)
            os.makedirs(root / 'ShapeNetRendering' / synset / model / 'rendering')
    return root


def config(root):
    cfg = get_default_config()
    cfg.DIR.DATASET_ROOT = str(root)
    return cfg


@pytest.fixture
def two_roots(tmp_path):
    embedded = make_root(tmp_path / 'embedded', {CHAIR: [f'e{i:02d}' for i in range(10)],
                                                 TABLE: [f'e{i:02d}' for i in range(5)]})
    real = make_root(tmp_path / 'real', {CHAIR: [f'r{i:02d}' for i in range(5)]})
    return embedded, real


def test_each_source_keeps_its_own_split(tmp_path, two_roots):
    embedded, real = two_roots
    counts = make_mix(tmp_path / 'mix', [('embedded', str(embedded), 1), ('real', str(real), 3)])
    assert counts == {'embedded': 15, 'real': 5}
    mix = config(tmp_path / 'mix')
    test = category_model_pairs(mix, [0.8, 1.0])
    alone = category_model_pairs(config(embedded), [0.8, 1.0]) + category_model_pairs(config(real), [0.8, 1.0])
    assert sorted(test) == sorted(alone)
    # sorted ids of the mix would put every real chair after the embedded ones: not what a split is
    assert (CHAIR, 'r04') in test and (CHAIR, 'e09') in test and (CHAIR, 'e08') in test


def test_weight_repeats_a_source_in_training_only(tmp_path, two_roots):
    embedded, real = two_roots
    make_mix(tmp_path / 'mix', [('embedded', str(embedded), 1), ('real', str(real), 3)])
    mix = config(tmp_path / 'mix')
    train = category_model_pairs(mix, [0.0, 0.8], weighted=True)
    assert train.count((CHAIR, 'r00')) == 3 and train.count((CHAIR, 'e00')) == 1
    assert category_model_pairs(mix, [0.0, 0.8]).count((CHAIR, 'r00')) == 1


def test_links_read_as_the_sources_files(tmp_path, two_roots):
    embedded, real = two_roots
    (real / 'ShapeNetVox32' / CHAIR / 'r01' / 'model.binvox').write_bytes(b'x')
    make_mix(tmp_path / 'mix', [('embedded', str(embedded), 1), ('real', str(real), 1)])
    assert (tmp_path / 'mix' / 'ShapeNetVox32' / CHAIR / 'r01' / 'model.binvox').read_bytes() == b'x'


def test_a_mix_is_remade_but_another_folder_is_refused(tmp_path, two_roots):
    embedded, real = two_roots
    make_mix(tmp_path / 'mix', [('embedded', str(embedded), 1)])
    make_mix(tmp_path / 'mix', [('embedded', str(embedded), 1), ('real', str(real), 2)])
    sources = json.loads((tmp_path / 'mix' / 'mix.json').read_text())['sources']
    assert [s['name'] for s in sources] == ['embedded', 'real']
    with pytest.raises(DataError, match='not a mix'):
        make_mix(embedded, [('real', str(real), 1)])


def test_clashing_ids_and_stale_mix_are_errors(tmp_path, two_roots):
    embedded, real = two_roots
    clash = make_root(tmp_path / 'clash', {CHAIR: ['e00']})
    with pytest.raises(DataError, match='in both'):
        make_mix(tmp_path / 'mix', [('embedded', str(embedded), 1), ('clash', str(clash), 1)])
    assert not (tmp_path / 'mix').exists()
    make_mix(tmp_path / 'mix', [('real', str(real), 1)])
    os.unlink(tmp_path / 'mix' / 'ShapeNetVox32' / CHAIR / 'r00')
    with pytest.raises(DataError, match='make the mix again'):
        category_model_pairs(config(tmp_path / 'mix'), [0.0, 1.0])


def test_parse_source():
    assert parse_source('data/x:3')[1:] == (os.path.abspath('data/x'), 3)
    assert parse_source('real=data/x')[0] == 'real'
    with pytest.raises(DataError):
        parse_source('data/x:0')


def test_command_bad_root_is_one_line(tmp_path):
    proc = subprocess.run([sys.executable, '-m', 'lib.commands.cli', 'mix-data', str(tmp_path / 'nowhere'),
                           '--out', str(tmp_path / 'mix')], cwd=REPO_ROOT, capture_output=True, text=True)
    assert proc.returncode != 0
    assert proc.stderr.strip().startswith('error:') and len(proc.stderr.strip().splitlines()) == 1
    assert not (tmp_path / 'mix').exists()


def test_a_bad_manifest_is_one_error(tmp_path, two_roots):
    embedded, _ = two_roots
    make_mix(tmp_path / 'mix', [('embedded', str(embedded), 1)])
    for text in ('[1, 2]', '{"format": "other", "sources": []}', 'not json'):
        (tmp_path / 'mix' / 'mix.json').write_text(text)
        with pytest.raises(DataError, match='mix'):
            category_model_pairs(config(tmp_path / 'mix'), [0.0, 1.0])
