"""ResidualGRUNet of the release: residual encoder, 3D conv-GRU (3x3x3), residual decoder
(Table 1: Res3D-GRU-3, the paper's best network)."""
from lib.layers import ConvGRUCell3D
from models.common import residual_decoder, residual_encoder


def res_gru_net_parts(spec):
    """(encoder, cell, decoder) of the family; models.common.Network wires them."""
    cell = ConvGRUCell3D(spec.grid_size, spec.hidden, spec.recurrent_kernel, name='gru')
    return residual_encoder(spec), cell, residual_decoder(spec)
