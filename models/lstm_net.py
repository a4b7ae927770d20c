"""LSTM nets of the paper: simple encoder, 3D conv-LSTM without output gate, simple decoder
(Table 1: 3D-LSTM-1, 3D-LSTM-3). The release removed them; the paper and the deleted
mv_lstm_net.py fix the cell, and the encoder/decoder are GRUNet's."""
from lib.layers import ConvLSTMCell3D
from models.common import simple_decoder, simple_encoder


def lstm_net_parts(spec):
    """(encoder, cell, decoder) of the family; models.common.Network wires them."""
    cell = ConvLSTMCell3D(spec.grid_size, spec.hidden, spec.recurrent_kernel, name='lstm')
    return simple_encoder(spec), cell, simple_decoder(spec)
