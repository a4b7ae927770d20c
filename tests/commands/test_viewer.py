"""What a reconstruction writes for people: prediction.html's contents, GLB/PLY, turntable.gif."""
import base64
import json
import re

import numpy as np
import pytest
from PIL import Image

from lib.binvox_rw import read_binvox
from lib.demo.exports import read_mesh_vertices, turntable_frames, write_mesh, write_turntable
from lib.demo.outputs import write_reconstruction
from lib.demo.viewer import LEVELS, page_occupied, quantize, viewer_html


def synthetic_refinement(views=3, n=32):
    """A shape that grows view by view: a ball, then a ball and a box, then a ball, a box and a rod,
    with probabilities falling off smoothly from each part (so every threshold shows something)."""
    x, y, z = np.meshgrid(*[np.arange(n) + 0.5] * 3, indexing='ij')
    ball = 1 - np.clip(np.sqrt((x - 12) ** 2 + (y - 16) ** 2 + (z - 16) ** 2) / 14, 0, 1)
    box = 1 - np.clip(np.maximum.reduce([abs(x - 24) / 6, abs(y - 10) / 8, abs(z - 16) / 6]) / 1.6, 0, 1)
    rod = 1 - np.clip(np.maximum(np.hypot(x - 16, z - 26) / 3, abs(y - 20) / 10) / 1.5, 0, 1)
    parts = [ball, np.maximum(ball, box), np.maximum.reduce([ball, box, rod])]
    return np.stack([parts[min(i, 2)] for i in range(views)]).astype(np.float32)


def synthetic_views(count):
    rng = np.random.default_rng(0)
    return [np.clip(rng.random((127, 127, 3)) * 0.2 + 0.7, 0, 1).astype(np.float32) for _ in range(count)]


def page_data_block(text):
    return re.search(r'<script type="application/json" id="data">(.*?)</script>', text, re.S).group(1)


def page_data(text):
    return json.loads(page_data_block(text))


def test_the_page_carries_everything_and_asks_for_nothing():
    refinement = synthetic_refinement()
    text = viewer_html(refinement, synthetic_views(3), threshold=0.35, network='res_gru_3', title='a <chair>')
    code = re.sub(r'<script type="application/json" id="data">.*?</script>', '', text, flags=re.S)
    assert not re.search(r'(https?:)?//[a-z0-9]', code, re.I), 'a URL outside the file'
    assert not re.search(r'<(link|iframe|object|embed)\b|<script[^>]+src=|@import|url\(', code)
    assert '</' not in page_data_block(text)                 # the data cannot close its script block
    assert "default-src 'none'" in text                      # the browser itself refuses any request
    assert '<title>a &lt;chair&gt;</title>' in text
    data = page_data(text)
    assert data['size'] == 32 and data['threshold'] == 0.35 and data['network'] == 'res_gru_3'
    assert len(data['grids']) == len(data['views']) == 3
    for grid, probabilities in zip(data['grids'], refinement):
        held = np.frombuffer(base64.b64decode(grid), '<u2').reshape(32, 32, 32)   # x-y-z, C order
        np.testing.assert_array_equal(held, quantize(probabilities))
        assert np.abs(held / LEVELS - probabilities).max() <= 0.5 / LEVELS + 1e-7
    with pytest.raises(ValueError, match='3 shapes'):
        viewer_html(refinement, synthetic_views(2))


def test_the_page_shows_the_voxels_of_the_binvox_up_to_quantization(tmp_path):
    refinement = synthetic_refinement()
    written = write_reconstruction(tmp_path, np.stack(synthetic_views(3)), refinement, threshold=0.4,
                                   what=('binvox', 'html'))
    binvox = read_binvox(written['voxels']).data
    shown = page_occupied(refinement[-1], 0.4)
    differ = binvox != shown
    # only voxels within half a quantization step of the threshold may differ
    assert np.all(np.abs(refinement[-1][differ] - 0.4) <= 0.5 / LEVELS + 1e-7)
    assert binvox.sum() > 500 and differ.sum() <= 2


def test_glb_and_ply_reload_with_the_obj_vertices(tmp_path):
    refinement = synthetic_refinement()
    written = write_reconstruction(tmp_path, np.stack(synthetic_views(3)), refinement, threshold=0.4,
                                   what=('obj', 'glb'), ply=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ['prediction.glb', 'prediction.obj', 'prediction.ply']
    obj = np.array([list(map(float, line.split()[1:])) for line in open(written['mesh']) if line.startswith('v ')])
    assert len(obj) > 100
    for kind in ('glb', 'ply'):
        vertices = read_mesh_vertices(written[kind])
        assert vertices.shape == obj.shape, kind
        np.testing.assert_allclose(vertices, obj, atol=1e-5)   # the OBJ keeps 5 decimals
    with pytest.raises(ValueError, match='suffix'):
        write_mesh(str(tmp_path / 'x.stl'), obj, np.zeros((0, 3), int))


def test_an_empty_prediction_still_writes_every_file(tmp_path):
    refinement = np.zeros((1, 32, 32, 32), np.float32)
    written = write_reconstruction(tmp_path, np.stack(synthetic_views(1)), refinement, threshold=0.4,
                                   what=('binvox', 'obj', 'glb', 'html'))
    assert len(read_mesh_vertices(written['glb'])) == 0
    assert page_data(open(written['viewer']).read())['grids']


def test_the_turntable_turns_once(tmp_path):
    occupancy = synthetic_refinement()[-1]
    frames = turntable_frames(occupancy, 0.4, frames=8, size=96)
    assert len(frames) == 8 and frames[0].shape == (96, 96, 3)
    # every frame shows the shape; successive frames differ; the shape is not symmetric, so the
    # half-turn differs from the start
    assert all((f < 250).any(axis=2).mean() > 0.05 for f in frames)
    assert all(np.abs(a.astype(int) - b).mean() > 1 for a, b in zip(frames, frames[1:]))
    assert np.abs(frames[0].astype(int) - frames[4]).mean() > 3
    path = write_turntable(str(tmp_path / 'turntable.gif'), occupancy, 0.4, frames=12, size=64)
    with Image.open(path) as gif:
        assert gif.format == 'GIF' and gif.n_frames == 12 and gif.info.get('loop') == 0
        assert abs(gif.info['duration'] - 4000 / 12) <= 10   # one turn in 4 s (GIF counts hundredths)
