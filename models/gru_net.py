"""GRUNet of the release: simple encoder, 3D conv-GRU, simple decoder (Table 1: 3D-GRU-1, 3D-GRU-3)."""
from lib.layers import ConvGRUCell3D
from models.common import simple_decoder, simple_encoder


def gru_net_parts(spec):
    """(encoder, cell, decoder) of the family; models.common.Network wires them."""
    cell = ConvGRUCell3D(spec.grid_size, spec.hidden, spec.recurrent_kernel, name='gru')
    return simple_encoder(spec), cell, simple_decoder(spec)
