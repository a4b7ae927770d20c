"""The config tree: the original's defaults, YAML merge, --set, and clear errors."""
import pytest

from lib.config import ConfigError, dump_config, get_default_config, load_config


def test_defaults_are_the_originals():
    cfg = get_default_config()
    assert (cfg.CONST.IMG_W, cfg.CONST.IMG_H, cfg.CONST.N_VOX, cfg.CONST.N_VIEWS) == (127, 127, 32, 5)
    assert cfg.CONST.BATCH_SIZE == 36
    assert cfg.TRAIN.DEFAULT_LEARNING_RATE == 1e-4 and cfg.TRAIN.WEIGHT_DECAY == 5e-5
    assert cfg.TRAIN.NUM_ITERATION == 60000
    assert cfg.TRAIN.NO_BG_COLOR_RANGE == [[225, 255]] * 3 and cfg.TEST.NO_BG_COLOR_RANGE == [[240, 240]] * 3
    assert (cfg.TRAIN.PAD_X, cfg.TRAIN.PAD_Y, cfg.TRAIN.FLIP, cfg.TRAIN.RANDOM_CROP) == (10, 10, True, True)
    assert cfg.TEST.VOXEL_THRESH == [0.4]
    assert cfg.NETWORK.LEAKY_SLOPE == 0.01 and cfg.NETWORK.WIDTH == 1.0
    assert cfg.TRAIN.DATASET_PORTION == [0.0, 0.8] and cfg.TEST.DATASET_PORTION == [0.8, 1.0]


def test_yaml_files_merge_in_order_then_set_pairs(tmp_path):
    a = tmp_path / 'a.yaml'
    a.write_text('CONST:\n  BATCH_SIZE: 8\nNETWORK:\n  NAME: gru_3\n  WIDTH: 0.5\n')
    b = tmp_path / 'b.yaml'
    b.write_text('CONST:\n  BATCH_SIZE: 4\nTRAIN:\n  LEARNING_RATES: {1000: 0.00001}\n')
    cfg = load_config([str(a), str(b)], [('NETWORK.WIDTH', '0.25'), ('TEST.VOXEL_THRESH', '[0.3, 0.4]')])
    assert cfg.CONST.BATCH_SIZE == 4 and cfg.NETWORK.NAME == 'gru_3'
    assert cfg.NETWORK.WIDTH == 0.25 and cfg.TEST.VOXEL_THRESH == [0.3, 0.4]
    assert cfg.TRAIN.LEARNING_RATES == {'1000': 1e-5}
    # a dumped config loads back to the same tree
    c = tmp_path / 'c.yaml'
    c.write_text(dump_config(cfg))
    assert load_config([str(c)]) == cfg


def test_int_is_accepted_for_a_float_and_strings_stay_strings():
    cfg = load_config(set_pairs=[('TRAIN.WEIGHT_DECAY', '0'), ('DIR.OUT_PATH', '2016'),
                                 ('DIR.DATASET_ROOT', '/data/ShapeNet')])
    assert cfg.TRAIN.WEIGHT_DECAY == 0.0 and isinstance(cfg.TRAIN.WEIGHT_DECAY, float)
    assert cfg.DIR.OUT_PATH == '2016' and cfg.DIR.DATASET_ROOT == '/data/ShapeNet'


@pytest.mark.parametrize('key, value, message', [
    ('TRAIN.BATCHSIZE', '3', 'unknown config key TRAIN.BATCHSIZE'),
    ('NOPE.X', '3', 'unknown config key NOPE'),
    ('CONST.BATCH_SIZE', 'eight', 'config key CONST.BATCH_SIZE: expected int'),
    ('CONST.BATCH_SIZE', '2.5', 'config key CONST.BATCH_SIZE: expected int'),
    ('TRAIN.FLIP', '1', 'config key TRAIN.FLIP: expected bool'),
    ('TEST.VOXEL_THRESH', '[0.3, high]', r'config key TEST.VOXEL_THRESH\[1\]: expected float'),
    ('TRAIN', '3', 'is a section'),
])
def test_bad_set_pairs_name_the_key(key, value, message):
    with pytest.raises(ConfigError, match=message):
        load_config(set_pairs=[(key, value)])


def test_bad_yaml_files_name_the_file_and_key(tmp_path):
    bad_key = tmp_path / 'bad_key.yaml'
    bad_key.write_text('TRAIN:\n  NUM_ITERATIONS: 5\n')
    with pytest.raises(ConfigError, match='bad_key.yaml: unknown config key TRAIN.NUM_ITERATIONS'):
        load_config([str(bad_key)])
    bad_type = tmp_path / 'bad_type.yaml'
    bad_type.write_text('CONST:\n  N_VIEWS: [1, 2]\n')
    with pytest.raises(ConfigError, match='CONST.N_VIEWS: expected int'):
        load_config([str(bad_type)])
    with pytest.raises(ConfigError, match='cannot read config file .*missing.yaml'):
        load_config([str(tmp_path / 'missing.yaml')])
    broken = tmp_path / 'broken.yaml'
    broken.write_text('CONST: [unclosed\n')
    with pytest.raises(ConfigError, match='not valid YAML'):
        load_config([str(broken)])


def test_exponent_floats_are_floats(tmp_path):
    # YAML 1.1 reads 1e-5 (no dot) as a string; a float key takes it as the number it is
    cfg = load_config(set_pairs=[('TRAIN.WEIGHT_DECAY', '1e-5'), ('TRAIN.DEFAULT_LEARNING_RATE', '2E-4')])
    assert cfg.TRAIN.WEIGHT_DECAY == 1e-5 and cfg.TRAIN.DEFAULT_LEARNING_RATE == 2e-4
    f = tmp_path / 'lr.yaml'
    f.write_text('TRAIN:\n  LEARNING_RATES: {20000: 1e-5}\n  WEIGHT_DECAY: 5e-5\n')
    cfg = load_config([str(f)])
    assert cfg.TRAIN.LEARNING_RATES == {'20000': 1e-5} and cfg.TRAIN.WEIGHT_DECAY == 5e-5


@pytest.mark.parametrize('key, value, message', [
    ('TRAIN.DATASET_PORTION', '[]', 'expected a non-empty list'),
    ('TEST.VOXEL_THRESH', '[]', 'expected a non-empty list'),
    ('TRAIN.DATASET_PORTION', '[0.0, 0.5, 0.8]', 'expected a list of 2 items'),
    ('TRAIN.NO_BG_COLOR_RANGE', '[[225, 255], [225, 255]]', 'expected a list of 3 items'),
    ('TEST.NO_BG_COLOR_RANGE', '[[240], [240], [240]]', r'NO_BG_COLOR_RANGE\[0\]: expected a list of 2'),
    ('TRAIN.LEARNING_RATES', '{soon: 0.00001}', 'keys are iteration numbers'),
    ('TRAIN.WEIGHT_DECAY', 'tiny', 'expected float'),
])
def test_lists_and_schedules_keep_their_shape(key, value, message):
    with pytest.raises(ConfigError, match=message):
        load_config(set_pairs=[(key, value)])


@pytest.mark.parametrize('key, value, message', [
    ('CONST.BATCH_SIZE', '0', 'config key CONST.BATCH_SIZE must be at least 1, got 0'),
    ('CONST.N_VIEWS', '0', 'config key CONST.N_VIEWS must be at least 1, got 0'),
    ('CONST.RNG_SEED', '-1', 'config key CONST.RNG_SEED must be a whole number >= 0, got -1'),
    ('TRAIN.NUM_ITERATION', '0', 'config key TRAIN.NUM_ITERATION must be at least 1, got 0'),
    ('TRAIN.SAVE_FREQ', '0', 'config key TRAIN.SAVE_FREQ must be at least 1, got 0'),
    ('TRAIN.DEFAULT_LEARNING_RATE', '0', 'config key TRAIN.DEFAULT_LEARNING_RATE must be a number above 0, got 0.0'),
    ('TRAIN.DEFAULT_LEARNING_RATE', '-1e-4', 'DEFAULT_LEARNING_RATE must be a number above 0, got -0.0001'),
    ('TRAIN.DEFAULT_LEARNING_RATE', '.nan', 'DEFAULT_LEARNING_RATE must be a number above 0, got nan'),
    ('TRAIN.LEARNING_RATES', '{100: 0}', 'config key TRAIN.LEARNING_RATES.100 must be a number above 0'),
    ('TEST.VOXEL_THRESH', '[0.4, 1.5]', 'thresholds must be between 0 and 1, got 1.5'),
    ('EMBEDDED.SEED', '-1', 'config key EMBEDDED.SEED must be a whole number >= 0'),
    ('EMBEDDED.SHAPENET_SHARE', '1.5', 'config key EMBEDDED.SHAPENET_SHARE must be between 0 and 1'),
])
def test_values_no_run_can_use_are_refused_naming_the_key(key, value, message):
    with pytest.raises(ConfigError) as error:
        load_config(set_pairs=[(key, value)])
    assert message in str(error.value)


def test_a_binary_cfg_file_is_one_line(tmp_path):
    binary = tmp_path / 'weights.h5'
    binary.write_bytes(b'\x89HDF\r\n\x1a\n\x00\x00\xff\xfe' * 20)
    with pytest.raises(ConfigError, match='weights.h5 is not a text \\(YAML\\) file'):
        load_config([str(binary)])


def test_a_network_too_big_for_this_machine_is_refused_before_it_is_built():
    from models import network_spec
    with pytest.raises(ConfigError, match=r'NETWORK.WIDTH 1000: the network would have over .* parameters '
                                          r'\(.* GiB in float32\), more than the .* GiB of memory'):
        network_spec('res_gru_3', load_config(set_pairs=[('NETWORK.WIDTH', '1000')]).NETWORK)
    network_spec('res_gru_3', load_config(set_pairs=[('NETWORK.WIDTH', '2')]).NETWORK)   # 4x the paper's fits
