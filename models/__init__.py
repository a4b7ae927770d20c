"""Registry of the five networks of the paper's Table 1, by name.

    from models import build_network
    model = build_network('res_gru_3')             # paper defaults
    model = build_network('gru_3', cfg.NETWORK)    # from the config tree
    model.spec                                     # its NetworkSpec (also its Keras config)
"""
import dataclasses
import importlib

# name -> (Table 1 row, family parts as 'module:function', structure). The families (and Keras) are imported
# when a network is built, so listing or naming networks (command-line help) stays instant.
NETWORKS = {
    'lstm_1': ('3D-LSTM-1', 'models.lstm_net:lstm_net_parts', dict(encoder='simple', cell='lstm', recurrent_kernel=1, decoder='simple')),
    'gru_1': ('3D-GRU-1', 'models.gru_net:gru_net_parts', dict(encoder='simple', cell='gru', recurrent_kernel=1, decoder='simple')),
    'lstm_3': ('3D-LSTM-3', 'models.lstm_net:lstm_net_parts', dict(encoder='simple', cell='lstm', recurrent_kernel=3, decoder='simple')),
    'gru_3': ('3D-GRU-3', 'models.gru_net:gru_net_parts', dict(encoder='simple', cell='gru', recurrent_kernel=3, decoder='simple')),
    'res_gru_3': ('Res3D-GRU-3', 'models.res_gru_net:res_gru_net_parts', dict(encoder='residual', cell='gru', recurrent_kernel=3, decoder='residual')),
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
    from models.common import CONFIG_KEYS, NetworkSpec
    name = canonical_name(name)
    values = dict(NETWORKS[name][2])
    if network_cfg is not None:
        values.update({field: network_cfg[key] for field, key in CONFIG_KEYS.items()})
    values.update(overrides)
    spec = NetworkSpec(name=name, img_size=img_size, n_vox=n_vox, **values)
    spec.check()
    return spec


def family_parts(spec):
    """(encoder, cell, decoder) of spec's network, from its family's module."""
    module, function = NETWORKS[spec.name][1].split(':')
    return getattr(importlib.import_module(module), function)(spec)


def build_network(name_or_spec, network_cfg=None, batch_size=None, stateful=False, **overrides):
    """Build a network (a models.common.Network). batch_size with stateful=True makes the view
    recurrence keep its state between calls."""
    from models.common import Network, NetworkSpec
    if isinstance(name_or_spec, NetworkSpec):
        spec = dataclasses.replace(name_or_spec, **overrides)
        spec.check()
    else:
        spec = network_spec(name_or_spec, network_cfg, **overrides)
    return Network(spec, batch_size=batch_size, stateful=stateful)


def spec_from_config(cfg):
    """The spec of the network a full config tree asks for."""
    if cfg.CONST.IMG_W != cfg.CONST.IMG_H:
        from lib.config import ConfigError
        raise ConfigError(f'CONST.IMG_W and CONST.IMG_H must be equal (square crops), got '
                          f'{cfg.CONST.IMG_W} and {cfg.CONST.IMG_H}')
    return network_spec(cfg.NETWORK.NAME, cfg.NETWORK, img_size=cfg.CONST.IMG_W, n_vox=cfg.CONST.N_VOX)


def spec_from_stored(stored, name=None):
    """The spec of the network a weights file stores (its spec dict): its name, or `name` (--net),
    with the structure the file fixes; computed in float32."""
    from models.common import stored_structure
    return network_spec(name or stored['name'], **stored_structure(stored))


def use_stored_network(network_cfg, stored):
    """Set NETWORK.NAME and the structure keys of a config to the network of a stored spec dict
    (the config may then not repeat them)."""
    from models.common import CONFIG_KEYS, stored_structure
    network_cfg.NAME = stored['name']
    for field, value in stored_structure(stored).items():
        key = CONFIG_KEYS[field]
        network_cfg[key] = type(network_cfg[key])(value)
