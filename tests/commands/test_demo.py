"""Reconstructing your own images: the API, the input preparation, and `./run.sh demo`."""
import os
import subprocess

import numpy as np
import pytest
from PIL import Image

from lib.binvox_rw import read_binvox
from lib.config import get_default_config
from lib.data_augmentation import load_image, preprocess_test
from lib.demo.reconstruct import OBJECT_FILL, Reconstructor, prepare_view, reconstruct_to_folder
from lib.weights import save_weights
from models import build_network
from tests.conftest import REPO, cli_in_one_process


@pytest.fixture(scope='module')
def tiny_weights(tmp_path_factory):
    import keras
    keras.utils.set_random_seed(3)
    path = tmp_path_factory.mktemp('weights') / 'tiny.weights.h5'
    return str(save_weights(build_network('res_gru_3', width=0.0625), str(path)))


@pytest.fixture(scope='module')
def chair_views(shapenet_sample):
    folder = shapenet_sample / 'ShapeNetRendering' / '03001627' / 'sample-chair' / 'rendering'
    return [str(folder / f'{i:02d}.png') for i in range(5)]


def test_a_137_rendering_gets_the_original_test_crop(chair_views):
    cfg = get_default_config()
    image = load_image(chair_views[0])
    np.testing.assert_array_equal(prepare_view(chair_views[0]), preprocess_test(image, cfg))


def test_other_images_are_framed_like_the_renderings():
    # a 500x300 photo-like RGB image: a dark box off-centre on a light background
    image = np.full((300, 500, 3), 200, np.uint8)
    image[40:140, 300:380] = 30          # 100 rows x 80 cols
    view = prepare_view(image)
    assert view.shape == (127, 127, 3) and view.dtype == np.float32
    dark = view.mean(axis=2) < 0.5
    rows, cols = np.nonzero(dark)
    height = rows.max() - rows.min() + 1
    # the box's long side fills OBJECT_FILL of the 137 frame, then the centre crop to 127
    assert abs(height - OBJECT_FILL * 137) <= 3
    assert abs((rows.min() + rows.max()) / 2 - 63) <= 2 and abs((cols.min() + cols.max()) / 2 - 63) <= 2
    assert abs(view[0, 0, 0] - 240 / 255) < 0.01         # a plain background becomes the test background


def test_transparent_and_grey_images():
    rgba = np.zeros((300, 300, 4), np.uint8)
    rgba[100:200, 120:180] = (10, 20, 30, 255)
    view = prepare_view(rgba)
    assert np.allclose(view[0, 0], 240 / 255, atol=1 / 255)   # transparent -> the test background
    grey = np.full((64, 80), 230, np.uint8)
    grey[20:40, 30:50] = 0
    g = prepare_view(grey)
    assert g.shape == (127, 127, 3) and np.allclose(g[..., 0], g[..., 2])


def test_api_in_two_lines_and_view_by_view(tiny_weights, chair_views):
    net = Reconstructor(tiny_weights)
    occupancy = net(chair_views[:3])
    assert occupancy.shape == (32, 32, 32) and 0 <= occupancy.min() and occupancy.max() <= 1
    after_each = net.refine(chair_views[:3])
    assert after_each.shape == (3, 32, 32, 32)
    np.testing.assert_allclose(after_each[-1], occupancy, atol=1e-6)
    stream = net.stream()
    for i, view in enumerate(chair_views[:3]):
        np.testing.assert_allclose(stream.add(view), after_each[i], atol=1e-5)
    stream.reset()
    np.testing.assert_allclose(stream.add(chair_views[0]), after_each[0], atol=1e-5)
    # arrays work as well as paths
    arrays = [np.asarray(Image.open(p)) for p in chair_views[:3]]
    np.testing.assert_allclose(net(arrays), occupancy, atol=1e-6)


def _run_demo(images, weights, out, threshold=None):
    command = [str(REPO / 'run.sh'), 'demo', *map(str, images), '--weights', weights, '--out', str(out)]
    if threshold is not None:
        command += ['--threshold', f'{threshold:.6f}']
    return subprocess.run(command, capture_output=True, text=True, cwd=REPO, timeout=300)


def _median_threshold(net, images):
    """A threshold that splits this untrained network's prediction (so a surface exists); net is a
    Reconstructor, or weights to build one from."""
    net = net if isinstance(net, Reconstructor) else Reconstructor(net)
    return float(np.median(net(images)))


DEMO_OUTPUTS = ('prediction.binvox', 'prediction.obj', 'prediction.glb', 'prediction.html', 'prediction.png',
                'refinement.png', 'turntable.gif')


def _check_outputs(out):
    voxels = read_binvox(str(out / 'prediction.binvox'))
    assert voxels.dims == (32, 32, 32) and voxels.data.any()
    lines = (out / 'prediction.obj').read_text().splitlines()
    vertices = [tuple(map(float, l.split()[1:])) for l in lines if l.startswith('v ')]
    faces = [tuple(map(int, l.split()[1:])) for l in lines if l.startswith('f ')]
    assert vertices and faces and all(len(f) == 3 for f in faces)
    assert max(max(f) for f in faces) <= len(vertices) and min(min(f) for f in faces) >= 1
    assert np.abs(np.array(vertices)).max() <= 0.5 + 1e-6      # inside the unit cube of the grid
    for picture in ('prediction.png', 'refinement.png'):
        with Image.open(out / picture) as im:
            im.verify()


@pytest.mark.slow   # ./run.sh in a subprocess, TensorFlow loaded
def test_demo_on_real_renderings_and_odd_inputs(tiny_weights, chair_views, tmp_path):
    net = Reconstructor(tiny_weights)   # one network for every threshold and the odd inputs
    three = chair_views[:3]
    result = _run_demo(three, tiny_weights, tmp_path / 'real', _median_threshold(net, three))
    assert result.returncode == 0, result.stderr
    for name in DEMO_OUTPUTS:
        assert str(tmp_path / 'real' / name) in result.stdout
    _check_outputs(tmp_path / 'real')

    grey = tmp_path / 'grey.png'
    Image.fromarray(np.asarray(Image.open(chair_views[0]).convert('L').resize((200, 160)))).save(grey)
    wide = tmp_path / 'wide.jpg'
    Image.open(chair_views[1]).convert('RGB').resize((500, 300)).save(wide)
    # the odd inputs through reconstruct_to_folder, what ./run.sh demo runs after reading its arguments
    # (the command itself ran above), in this process: no TensorFlow start-up per input
    for name, images in (('one', [grey]), ('five', chair_views[:4] + [wide])):
        images = [str(i) for i in images]
        _, written = reconstruct_to_folder(net, images, tmp_path / name, _median_threshold(net, images))
        assert sorted(os.path.basename(path) for path in written.values()) == sorted(DEMO_OUTPUTS)
        _check_outputs(tmp_path / name)
        with Image.open(tmp_path / name / 'refinement.png') as im:
            assert im.size[0] > im.size[1] * (len(images) / 2) * 0.8   # one column per view


@pytest.mark.slow   # TensorFlow loaded in a subprocess
def test_demo_errors_are_one_line(tiny_weights, tmp_path, chair_views):
    bad = tmp_path / 'broken.png'
    bad.write_bytes(b'\x89PNG\r\n\x1a\n garbage')
    out = tmp_path / 'out'
    # the three errors found once TensorFlow is loaded, through the CLI's main() in one process
    broken, missing, no_weights = cli_in_one_process([
        ['demo', bad, '--weights', tiny_weights, '--out', out],
        ['demo', tmp_path / 'missing.png', '--weights', tiny_weights, '--out', out],
        ['demo', chair_views[0], '--weights', tmp_path / 'none.weights.h5', '--out', out]])
    for (code, stderr), message in ((broken, 'broken.png'), (missing, 'missing.png')):
        assert code == 1
        last = stderr.strip().splitlines()[-1]
        assert last.startswith('error: ') and message in last
    assert no_weights[0] == 1 and 'weights file not found' in no_weights[1]
    assert not out.exists(), 'nothing written on error'
    # and one through ./run.sh itself
    (tmp_path / 'a_file').write_text('x')
    result = _run_demo(chair_views[:1], tiny_weights, tmp_path / 'a_file')
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1].endswith('exists and is not a folder; give another output folder (--out)')


DEMO_VIEWS = [REPO / 'experiments' / 'demo' / f'chair_{i:02d}.png' for i in range(3)]


@pytest.mark.slow   # ./run.sh in subprocesses, TensorFlow loaded each time
def test_demo_with_the_shipped_weights_from_another_folder(tmp_path):
    # paths on the command line are the caller's, not the repository's
    (tmp_path / 'photos').mkdir()
    for view in DEMO_VIEWS:
        (tmp_path / 'photos' / view.name).write_bytes(view.read_bytes())
    command = [str(REPO / 'run.sh'), 'demo', *[f'photos/{v.name}' for v in DEMO_VIEWS], '--out', 'result']
    result = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert result.returncode == 0, result.stderr
    assert 'using the shipped weights experiments/results/cpu_real_w8/res_gru_3.weights.h5' in result.stdout
    _check_outputs(tmp_path / 'result')
    # a chair of the test split: the trained network fills a few hundred voxels or more, not the grid
    occupied = read_binvox(str(tmp_path / 'result' / 'prediction.binvox')).data.sum()
    assert 300 < occupied < 8000, occupied


@pytest.mark.slow   # ./run.sh in subprocesses, TensorFlow loaded each time
def test_the_readme_python_example_runs_as_written():
    import re
    import sys
    readme = (REPO / 'README.md').read_text()
    example = re.search(r'## From Python\n\n```python\n(.*?)```', readme, re.S).group(1)
    result = subprocess.run([sys.executable, '-c', example], capture_output=True, text=True, cwd=REPO,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    count = int(re.search(r'(\d+) voxels occupied after 2 views', result.stdout).group(1))
    assert count > 100


def test_padding_uses_the_background_colour_not_the_edge_pixels():
    from lib.demo.reconstruct import prepare_view
    # a dark object cut by the top edge of a white photo: the square framing it leaves the picture
    # at the top, and that margin must be background, not the object's edge stretched into a bar
    image = np.full((200, 300, 3), 255, np.uint8)
    image[0:120, 120:180] = 30
    view = prepare_view(image)
    assert view.shape == (127, 127, 3)
    top = view[:8, 50:77]              # above the object, inside its columns
    assert top.min() > 0.9, top.min()
    assert view[60, 63].max() < 0.3    # the object itself is still there, centred


def test_a_jpeg_on_a_plain_coloured_background_is_framed_around_the_object(tmp_path):
    from lib.demo.reconstruct import prepare_view
    rng = np.random.default_rng(0)
    image = np.empty((300, 400, 3), np.float32)
    image[:] = (196, 186, 170)                                     # beige wall, not white
    image += rng.normal(0, 3, image.shape)                         # sensor noise
    image[100:220, 230:310] = (60, 90, 150)                        # the object, off centre
    path = tmp_path / 'photo.jpg'
    Image.fromarray(np.clip(image, 0, 255).astype(np.uint8)).save(path, quality=85)
    view = prepare_view(str(path))
    blue = (view[..., 2] - view[..., 0]) > 0.2
    rows, cols = np.nonzero(blue)
    # the object's box fills ~0.69 of the frame, centred, as objects fill the renderings
    assert abs((rows.min() + rows.max()) / 2 - 63) < 6 and abs((cols.min() + cols.max()) / 2 - 63) < 6
    assert 0.6 < (rows.max() - rows.min() + 1) / 127 < 0.75


def test_a_plain_wall_becomes_the_test_background_and_a_busy_photo_stays():
    from lib.demo.reconstruct import prepare_view
    rng = np.random.default_rng(1)
    wall = np.full((240, 320, 3), (200, 190, 175), np.float32) + rng.normal(0, 2, (240, 320, 3))
    wall[60:180, 120:200] = (200, 190, 175)      # an object part the colour of the wall...
    wall[60:180, 110:120] = wall[60:180, 200:210] = (40, 40, 40)   # ...inside a dark frame
    wall[60:70, 110:210] = wall[170:180, 110:210] = (40, 40, 40)
    view = prepare_view(np.clip(wall, 0, 255).astype(np.uint8))
    assert np.allclose(view[3, 3], 240 / 255, atol=0.03)          # the wall: the test background
    assert np.allclose(view[63, 63], (200 / 255, 190 / 255, 175 / 255), atol=0.04)   # the enclosed part kept
    busy = rng.integers(0, 256, (240, 320, 3)).astype(np.uint8)
    busy[80:160, 120:200] = 20
    seen = prepare_view(busy)
    assert seen[35:45, 20:30].std() > 0.03                         # a photo background is left as it is


def test_a_surface_touching_the_grid_edge_closes_on_the_grid_face():
    from lib.voxel import occupancy_mesh
    occupancy = np.zeros((32, 32, 32), np.float32)
    occupancy[:, :8, :] = 0.95   # a slab filling the grid from side to side, confident
    vertices, faces = occupancy_mesh(occupancy, level=0.4)
    assert len(faces) and np.abs(vertices).max() <= 0.5 + 1e-6
    assert np.isclose(vertices[:, 0].max(), 0.5) and np.isclose(vertices[:, 0].min(), -0.5)
