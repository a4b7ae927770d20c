"""GRUNet of the release: simple encoder, 3D conv-GRU, simple decoder (Table 1: 3D-GRU-1, 3D-GRU-3)."""
from lib.layers import ConvGRUCell3D
from models.common import assemble, simple_decoder, simple_encoder


def build_gru_net(spec, batch_size=None, stateful=False):
    cell = ConvGRUCell3D(spec.grid_size, spec.hidden, spec.recurrent_kernel, name='gru')
    return assemble(spec, simple_encoder(spec), cell, simple_decoder(spec), batch_size, stateful)
