"""Categories, model listing, the per-category split, dataset root and path templates."""
import json
import random
import re

import pytest

from lib.config import CATEGORY_NAMES, get_default_config
from lib.data_io import (REPO_ROOT, DataError, category_model_pairs, dataset_root, load_categories,
                         rendering_path, split, voxel_path)

TRAIN, TEST = [0.0, 0.8], [0.8, 1.0]


def make_listing_tree(root, models_by_category):
    """Empty model folders under ShapeNetVox32/ (listing needs nothing more), made in random order."""
    folders = [root / 'ShapeNetVox32' / synset / model
               for synset, models in models_by_category.items() for model in models]
    random.Random(0).shuffle(folders)
    for folder in folders:
        folder.mkdir(parents=True)
    return root


def config(root):
    cfg = get_default_config()
    cfg.DIR.DATASET_ROOT = str(root)
    return cfg


def test_category_file_has_the_13_categories():
    with open(REPO_ROOT / 'datasets' / 'shapenet_1000.json') as f:
        data = json.load(f)
    assert sorted(data) == sorted(CATEGORY_NAMES)
    assert all(entry['id'] == synset and entry['name'] for synset, entry in data.items())
    assert [synset for synset, _ in load_categories(get_default_config())] == sorted(CATEGORY_NAMES)


def test_split_is_the_original_slice():
    models = [f'm{i}' for i in range(7)]
    assert split(models, TRAIN) == models[:5]        # int(7 * 0.8) = 5
    assert split(models, TEST) == models[5:]
    assert split(models, [0.0, 1.0]) == models


def test_pairs_sorted_split_per_category_disjoint_and_deterministic(tmp_path):
    models = {'03001627': [f'{i:04x}' for i in range(17)], '02691156': [f'a{i}' for i in range(11)],
              '04379243': ['t1']}
    cfg = config(make_listing_tree(tmp_path, models))
    train = category_model_pairs(cfg, TRAIN)
    test = category_model_pairs(cfg, TEST)
    assert train == category_model_pairs(cfg, TRAIN) and test == category_model_pairs(cfg, TEST)
    assert not set(train) & set(test)
    assert sorted(train + test) == sorted((s, m) for s, ms in models.items() for m in ms)
    # categories in synset order, models sorted by id, 80/20 within each category
    assert [s for s, _ in train] == ['02691156'] * 8 + ['03001627'] * 13
    assert [m for s, m in train if s == '03001627'] == sorted(models['03001627'])[:13]
    assert [m for s, m in test if s == '02691156'] == sorted(models['02691156'])[8:]
    assert ('04379243', 't1') in test   # int(1 * 0.8) = 0: a lone model goes to the test side


def test_files_are_not_models(tmp_path):
    root = make_listing_tree(tmp_path, {'03001627': ['b', 'a']})
    (root / 'ShapeNetVox32' / '03001627' / 'notes.txt').write_text('not a model')
    assert category_model_pairs(config(root), [0, 1]) == [('03001627', 'a'), ('03001627', 'b')]


def test_missing_category_is_skipped_with_one_warning(tmp_path, capsys):
    cfg = config(make_listing_tree(tmp_path, {'03001627': ['a'], '02691156': ['b']}))
    assert category_model_pairs(cfg, [0, 1]) == [('02691156', 'b'), ('03001627', 'a')]
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith('warning: 11 of 13 category folders not found')
    assert '04379243' in err[0]


def test_no_category_present_names_the_root(tmp_path):
    (tmp_path / 'ShapeNetVox32').mkdir()
    with pytest.raises(DataError, match=re.escape(f'dataset root {tmp_path}: none of the 13 category')):
        category_model_pairs(config(tmp_path), TRAIN)


def test_missing_root_names_the_root(tmp_path):
    with pytest.raises(DataError, match=re.escape(f'dataset root {tmp_path / "nowhere"} does not exist')):
        category_model_pairs(config(tmp_path / 'nowhere'), TRAIN)


def test_dataset_root_embedded_default_relative_and_absolute(tmp_path):
    cfg = get_default_config()
    assert dataset_root(cfg) == str(REPO_ROOT / 'data' / 'embedded_v2')
    cfg.DIR.EMBEDDED_ROOT = '/elsewhere/embedded'
    assert dataset_root(cfg) == '/elsewhere/embedded'
    cfg.DIR.DATASET_ROOT = 'some/shapenet'
    assert dataset_root(cfg) == str(REPO_ROOT / 'some' / 'shapenet')
    cfg.DIR.DATASET_ROOT = str(tmp_path)
    assert dataset_root(cfg) == str(tmp_path)


def test_paths_follow_the_templates(tmp_path):
    cfg = config(tmp_path)
    assert rendering_path(cfg, '03001627', 'abc', 7) == \
        f'{tmp_path}/ShapeNetRendering/03001627/abc/rendering/07.png'
    assert voxel_path(cfg, '03001627', 'abc') == f'{tmp_path}/ShapeNetVox32/03001627/abc/model.binvox'
    cfg.DIR.VOXEL_PATH = '{root}/vox/{category}-{model}.binvox'
    assert voxel_path(cfg, '03001627', 'abc') == f'{tmp_path}/vox/03001627-abc.binvox'
    cfg.DIR.VOXEL_PATH = '{root}/{synset}/{model}.binvox'
    with pytest.raises(DataError, match='DIR.VOXEL_PATH'):
        voxel_path(cfg, '03001627', 'abc')


def test_category_file_problems_name_the_file(tmp_path):
    cfg = config(tmp_path)
    bad = tmp_path / 'cats.json'
    bad.write_text('{"03001627": ')
    cfg.DIR.DATASET = str(bad)
    with pytest.raises(DataError, match=re.escape(f'{bad}: not valid JSON')):
        load_categories(cfg)
    bad.write_text('{"03001627": {"name": "chair"}}')
    with pytest.raises(DataError, match=re.escape(f'{bad}: category \'03001627\' needs an "id"')):
        load_categories(cfg)
    cfg.DIR.DATASET = str(tmp_path / 'absent.json')
    with pytest.raises(DataError, match='absent.json: cannot read'):
        load_categories(cfg)


def test_explicit_model_lists_replace_the_listing(tmp_path):
    root = make_listing_tree(tmp_path / 'root', {'03001627': ['a', 'b', 'c']})
    cats = tmp_path / 'cats.json'
    cats.write_text(json.dumps({'03001627': {'id': '03001627', 'name': 'chair', 'models': ['c', 'a']}}))
    cfg = config(root)
    cfg.DIR.DATASET = str(cats)
    assert category_model_pairs(cfg, [0, 1]) == [('03001627', 'a'), ('03001627', 'c')]


def test_bad_portion_is_refused(tmp_path):
    cfg = config(make_listing_tree(tmp_path, {'03001627': ['a']}))
    with pytest.raises(DataError, match='portion'):
        category_model_pairs(cfg, [0.8, 0.2])
