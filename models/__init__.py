"""Registry of the five networks of the paper's Table 1, by name.

    from models import build_network
    model = build_network('res_gru_3')             # paper defaults
    model = build_network('gru_3', cfg.NETWORK)    # from the config tree
"""
import dataclasses
import importlib

# name -> (Table 1 row, builder as 'module:function', structure). The builders (and Keras) are imported
# when a network is built, so listing or naming networks (command-line help) stays instant.
NETWORKS = {
    'lstm_1': ('3D-LSTM-1', 'models.lstm_net:build_lstm_net', dict(encoder='simple', cell='lstm', recurrent_kernel=1, decoder='simple')),
    'gru_1': ('3D-GRU-1', 'models.gru_net:build_gru_net', dict(encoder='simple', cell='gru', recurrent_kernel=1, decoder='simple')),
    'lstm_3': ('3D-LSTM-3', 'models.lstm_net:build_lstm_net', dict(encoder='simple', cell='lstm', recurrent_kernel=3, decoder='simple')),
    'gru_3': ('3D-GRU-3', 'models.gru_net:build_gru_net', dict(encoder='simple', cell='gru', recurrent_kernel=3, decoder='simple')),
    'res_gru_3': ('Res3D-GRU-3', 'models.res_gru_net:build_res_gru_net', dict(encoder='residual', cell='gru', recurrent_kernel=3, decoder='residual')),
}

# The original's class and file names.
ALIASES = {'ResidualGRUNet': 'res_gru_3', 'res_gru_net': 'res_gru_3', 'GRUNet': 'gru_3', 'gru_net': 'gru_3'}


class UnknownNetwork(ValueError):
    pass


def canonical_name(name):
    """'ResidualGRUNet' -> 'res_gru_3'; an unknown name is an error listing the known ones."""
    name = ALIASES.get(name, name)
    if name not in NETWORKS:
        known = ', '.join(list(NETWORKS) + list(ALIASES))
        raise UnknownNetwork(f'unknown network {name!r}; known: {known}')
    return name


def paper_name(name):
    return NETWORKS[canonical_name(name)][0]


def network_spec(name, network_cfg=None, img_size=127, n_vox=32, **overrides):
    """The NetworkSpec of a registered network, with NETWORK.* config values (or overrides)."""
    name = canonical_name(name)
    values = dict(NETWORKS[name][2])
    if network_cfg is not None:
        values.update(width=network_cfg.WIDTH, leaky_slope=network_cfg.LEAKY_SLOPE,
                      grid_size=network_cfg.GRID_SIZE, hidden_channels=network_cfg.HIDDEN_CHANNELS,
                      fast_path=network_cfg.FAST_PATH, precision=network_cfg.PRECISION)
    values.update(overrides)
    from models.common import NetworkSpec
    spec = NetworkSpec(name=name, img_size=img_size, n_vox=n_vox, **values)
    spec.check()
    return spec


def build_network(name_or_spec, network_cfg=None, batch_size=None, stateful=False, **overrides):
    """Build a network. batch_size (with stateful=True) makes the view recurrence keep its state."""
    from models.common import NetworkSpec
    if isinstance(name_or_spec, NetworkSpec):
        spec = dataclasses.replace(name_or_spec, **overrides)
    else:
        spec = network_spec(name_or_spec, network_cfg, **overrides)
    module, function = NETWORKS[spec.name][1].split(':')
    builder = getattr(importlib.import_module(module), function)
    model = builder(spec, batch_size=batch_size, stateful=stateful)
    model.spec = spec
    return model


def spec_from_config(cfg):
    """The spec of the network a full config tree asks for."""
    if cfg.CONST.IMG_W != cfg.CONST.IMG_H:
        from lib.config import ConfigError
        raise ConfigError(f'CONST.IMG_W and CONST.IMG_H must be equal (square crops), got '
                          f'{cfg.CONST.IMG_W} and {cfg.CONST.IMG_H}')
    return network_spec(cfg.NETWORK.NAME, cfg.NETWORK, img_size=cfg.CONST.IMG_W, n_vox=cfg.CONST.N_VOX)
