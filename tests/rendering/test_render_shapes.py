"""render-shapes (lib/rendering/render_shapes.py): real model files in, the R2N2 layout out.

Every model here is written by the tests themselves: a box as .obj with its .mtl (a colour and a
texture image with UVs), as .off and as .glb, a broken file, an empty one, an .obj without faces, an
L-shaped "chair" whose backrest says which way it was turned, and ShapeNetCore v1 / v2 folders.
"""
import json
import shutil

import numpy as np
import pytest
import trimesh
import yaml
from PIL import Image

from lib.binvox_rw import read_binvox
from lib.commands.cli import main as cli_main
from lib.rendering.calibration import calibrate
from lib.rendering.render_shapes import MANIFEST, render_collection, summary_text
from lib.rendering.shapes_map import ShapesError, find_models, rotation_to_shapenet
from tests.mesh_makers import chair_mesh

CHAIR, TABLE = '03001627', '04379243'

BOX_OBJ = """mtllib box.mtl
v -0.5 -0.3 -0.4
v 0.5 -0.3 -0.4
v 0.5 0.3 -0.4
v -0.5 0.3 -0.4
v -0.5 -0.3 0.4
v 0.5 -0.3 0.4
v 0.5 0.3 0.4
v -0.5 0.3 0.4
vt 0 0
vt 1 0
vt 1 1
vt 0 1
usemtl red
f 1/1 3/3 2/2
f 1/1 4/4 3/3
f 5/1 6/2 7/3
f 5/1 7/3 8/4
usemtl checker
f 1/1 2/2 6/3
f 1/1 6/3 5/4
f 4/1 8/2 7/3
f 4/1 7/3 3/4
f 1/1 5/2 8/3
f 1/1 8/3 4/4
f 2/1 3/2 7/3
f 2/1 7/3 6/4
"""
BOX_MTL = """newmtl red
Kd 0.9 0.05 0.05
newmtl checker
Kd 1 1 1
map_Kd checker.png
"""
BLUE, YELLOW = (20, 40, 230), (240, 220, 10)


def write_textured_box(folder):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / 'box.obj').write_text(BOX_OBJ)
    (folder / 'box.mtl').write_text(BOX_MTL)
    checker = np.indices((8, 8)).sum(axis=0) % 2 == 0
    image = np.where(checker[..., None], np.array(BLUE, np.uint8), np.array(YELLOW, np.uint8))
    Image.fromarray(image.astype(np.uint8)).save(folder / 'checker.png')


def box_mesh():
    return trimesh.creation.box(extents=(1.0, 0.6, 0.8))


def write_map(path, models, up='+y', front='+x', source='test-shapes'):
    path.write_text(yaml.safe_dump({'source': source, 'terms': 'CC0 1.0', 'up': up, 'front': front,
                                    'models': models}, sort_keys=False))
    return path


def tree_bytes(root):
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob('*'))
            if p.is_file() and p.parts[len(root.parts)] in ('ShapeNetRendering', 'ShapeNetVox32')}


def backrest_side(binvox_path):
    """'low x' or 'high x': where the tall part of an L-shaped chair's voxels stands."""
    grid = read_binvox(str(binvox_path)).data
    xs = np.flatnonzero(grid.any(axis=(1, 2)))
    height = [np.flatnonzero(grid[x].any(axis=1)).max() for x in xs]
    return 'low x' if np.mean(height[:3]) > np.mean(height[-3:]) + 5 else 'high x'


def rendered(root):
    return sorted((p.parent.name, p.name) for p in (root / 'ShapeNetVox32').glob('*/*'))


@pytest.fixture(scope='module')
def collection(tmp_path_factory):
    """A folder of models of every kind and its map, rendered once (one process)."""
    base = tmp_path_factory.mktemp('shapes')
    src = base / 'src'
    write_textured_box(src / 'textured')
    coloured = box_mesh()
    coloured.visual.face_colors = [200, 30, 30, 255]
    for folder in ('glb', 'plain', 'bad', 'other'):
        (src / folder).mkdir()
    coloured.export(src / 'glb' / 'box.glb')
    box_mesh().export(src / 'plain' / 'box.off')
    (src / 'bad' / 'broken.glb').write_bytes(b'glTF\x02\x00\x00\x00 this is not a binary glTF file')
    (src / 'bad' / 'empty.obj').write_bytes(b'')
    (src / 'bad' / 'nofaces.obj').write_text('v 0 0 0\nv 1 0 0\nv 0 1 0\n')
    (src / 'other' / 'lamp.stl').write_bytes(box_mesh().export(file_type='stl'))
    shapes_map = write_map(base / 'map.yaml', [
        {'glob': 'textured/box.obj', 'synset': CHAIR, 'id': 'textured-box'},
        {'glob': 'glb/*', 'synset': TABLE},
        {'glob': 'plain/box.off', 'synset': TABLE, 'id': 'plain-box', 'terms': 'CC-BY 4.0, someone'},
        {'glob': 'bad/*', 'synset': CHAIR},
        {'glob': 'other/*', 'synset': 'skip'},
    ])
    lines = []
    summary = render_collection(src, base / 'out', shapes_map, seed=3, workers=1, progress=False, log=lines.append)
    return {'src': src, 'map': shapes_map, 'root': base / 'out', 'summary': summary, 'lines': lines, 'base': base}


def test_models_are_written_in_the_r2n2_layout(collection):
    root = collection['root']
    assert rendered(root) == [(CHAIR, 'textured-box'), (TABLE, 'glb-box'), (TABLE, 'plain-box')]
    for synset, mid in rendered(root):
        folder = root / 'ShapeNetRendering' / synset / mid / 'rendering'
        assert (folder / 'renderings.txt').read_text() == ''.join(f'{i:02d}.png\n' for i in range(24))
        rows = [line.split() for line in (folder / 'rendering_metadata.txt').read_text().splitlines()]
        assert len(rows) == 24 and all(len(r) == 5 for r in rows)
        az, el, dr = (np.array([float(r[k]) for r in rows]) for k in (0, 1, 3))
        assert (0 <= az).all() and (az < 360).all() and (25 <= el).all() and (el < 30).all()
        assert (0.65 <= dr).all() and (dr < 0.95).all()
        for i in range(24):
            image = Image.open(folder / f'{i:02d}.png')
            assert image.mode == 'RGBA' and image.size == (137, 137)
            alpha = np.asarray(image)[..., 3]
            assert alpha[0, 0] == 0 and 0.05 < (alpha > 0).mean() < 0.8
        voxels = read_binvox(str(root / 'ShapeNetVox32' / synset / mid / 'model.binvox'))
        assert voxels.data.shape == (32, 32, 32)
        # solid: a box's voxels fill its bounding box, and its longest side spans the grid
        occupied = np.argwhere(voxels.data)
        lo, hi = occupied.min(axis=0), occupied.max(axis=0)
        assert voxels.data[lo[0]:hi[0] + 1, lo[1]:hi[1] + 1, lo[2]:hi[2] + 1].all()
        assert (hi - lo + 1).max() == 32


def test_broken_empty_and_faceless_files_are_skipped_with_one_line_each(collection):
    s, lines = collection['summary'], collection['lines']
    assert s['rendered'] == 3 and s['skipped'] == 4   # broken, empty, no faces, and the map's skip
    assert sorted(lines) == sorted([
        f'skipped {collection["src"] / "bad" / "broken.glb"}: {lines_reason(lines, "broken.glb")}',
        f'skipped {collection["src"] / "bad" / "empty.obj"}: empty file',
        f'skipped {collection["src"] / "bad" / "nofaces.obj"}: empty mesh (no faces)'])
    assert lines_reason(lines, 'broken.glb').startswith('unreadable (')
    text = summary_text(s)
    assert '3 rendered' in text and '4 skipped' in text and 'skip in the map: 1' in text and 'empty file: 1' in text
    record = json.loads((collection['root'] / MANIFEST).read_text())['sources']['test-shapes']
    assert record['skipped']['other/lamp.stl'] == 'skip in the map'
    assert record['models'][f'{TABLE}/plain-box'] == {'file': 'plain/box.off', 'synset': TABLE,
                                                       'terms': 'CC-BY 4.0, someone'}
    assert record['seed'] == 3 and record['terms'] == 'CC0 1.0'


def lines_reason(lines, name):
    return next(line.split(': ', 1)[1] for line in lines if name in line)


def _opaque_rgb(root, synset, mid):
    pixels = []
    for i in range(24):
        rgba = np.asarray(Image.open(root / 'ShapeNetRendering' / synset / mid / 'rendering' / f'{i:02d}.png'))
        pixels.append(rgba[rgba[..., 3] == 255][:, :3].astype(np.int64))
    return np.concatenate(pixels)


def test_the_models_own_colours_and_textures_are_drawn(collection):
    root = collection['root']
    rgb = _opaque_rgb(root, CHAIR, 'textured-box')
    r, g, b = rgb.T
    red = (r > 2 * g + 20) & (r > 2 * b + 20)
    blue = (b > r + 40) & (b > g + 40)
    yellow = (r > b + 60) & (g > b + 60)
    # the +-z faces are red (Kd), the others show both colours of the checker texture
    assert red.mean() > 0.1 and blue.mean() > 0.1 and yellow.mean() > 0.1
    r, g, b = _opaque_rgb(root, TABLE, 'glb-box').T   # the .glb's face colours
    assert ((r > 2 * g + 20) & (r > 2 * b + 20)).mean() > 0.95
    r, g, b = _opaque_rgb(root, TABLE, 'plain-box').T   # no colours in an .off: the table scheme's
    assert not ((r > 2 * g + 20) & (r > 2 * b + 20)).mean() > 0.95


def test_rendered_boxes_calibrate_against_their_voxels(collection, capsys):
    root = collection['root']
    results = list(calibrate(str(root)))
    assert len(results) == 3 and all(r.mean >= 0.9 for r in results), [(r.model, r.mean) for r in results]
    assert cli_main(['calibrate', str(root)]) == 0
    out = capsys.readouterr().out
    assert out.count('mean IoU') == 3


@pytest.mark.slow   # two spawned worker processes, each importing the renderer
def test_same_seed_same_bytes_with_two_workers_and_the_command(collection, tmp_path, capsys):
    other = tmp_path / 'again'
    assert cli_main(['render-shapes', str(collection['src']), '--out', str(other), '--map',
                     str(collection['map']), '--seed', '3', '--workers', '2']) == 0
    assert tree_bytes(other) == tree_bytes(collection['root'])
    captured = capsys.readouterr()
    assert 'render-shapes test-shapes' in captured.out and '3 rendered' in captured.out
    assert captured.err.count('skipped ') == 3
    # another seed: other views
    third = tmp_path / 'seed4'
    render_collection(collection['src'], third, collection['map'], seed=4, workers=1, progress=False,
                      log=lambda line: None)
    meta = 'ShapeNetRendering/03001627/textured-box/rendering/rendering_metadata.txt'
    assert tree_bytes(third)[meta] != tree_bytes(other)[meta]
    # a folder rendered with one seed is not resumed with another
    with pytest.raises(ShapesError, match='seed 4'):
        render_collection(collection['src'], third, collection['map'], seed=5, workers=1, progress=False)


def test_an_interrupted_run_resumes_to_the_same_bytes(collection, tmp_path):
    root = tmp_path / 'interrupted'
    shutil.copytree(collection['root'], root)
    want = tree_bytes(collection['root'])
    # what an interruption leaves: a staging folder, and renderings whose voxels were not yet moved
    shutil.rmtree(root / 'ShapeNetVox32' / TABLE / 'plain-box')
    (root / '.partial' / 'x').mkdir(parents=True)
    (root / 'ShapeNetRendering' / TABLE / 'plain-box' / 'rendering' / '00.png').write_bytes(b'half')
    summary = render_collection(collection['src'], root, collection['map'], seed=3, workers=1, progress=False,
                                log=lambda line: None)
    assert (summary['rendered'], summary['already']) == (1, 2)
    assert tree_bytes(root) == want and not (root / '.partial').exists()


def test_a_zipped_model_renders_as_the_unzipped_one(collection, tmp_path):
    import zipfile
    src = tmp_path / 'zipped'
    src.mkdir()
    with zipfile.ZipFile(src / 'pack.zip', 'w') as archive:
        for name in ('box.obj', 'box.mtl', 'checker.png'):
            archive.write(collection['src'] / 'textured' / name, f'furniture/box/{name}')
    shapes_map = write_map(tmp_path / 'zip.yaml', [{'glob': '*.zip/furniture/*', 'synset': CHAIR,
                                                    'id': 'textured-box'}])
    root = tmp_path / 'out'
    render_collection(src, root, shapes_map, seed=3, workers=1, progress=False)
    got = tree_bytes(root)
    want = {k: v for k, v in tree_bytes(collection['root']).items() if 'textured-box' in k}
    assert got == want


@pytest.mark.parametrize('layout, inner, back', [
    ('v1', 'model.obj', (-1, 0, 0)),                     # v1: already ShapeNet's frame, fronts to +x
    ('v2', 'models/model_normalized.obj', (0, 0, 1)),    # v2: fronts to -z, so the backrest is at +z
])
def test_shapenetcore_layouts_are_detected_and_turned_to_v1_axes(tmp_path, layout, inner, back):
    src = tmp_path / 'ShapeNetCore'
    path = src / CHAIR / 'c0ffee' / inner
    path.parent.mkdir(parents=True)
    chair_mesh(back).export(path)
    other = src / '02773838' / 'bag1' / inner    # a ShapeNetCore category R2N2 does not use
    other.parent.mkdir(parents=True)
    box_mesh().export(other)
    found = find_models(src)
    assert found.layout == f'shapenetcore-{layout}' and [j.mid for j in found.jobs] == ['c0ffee']
    summary = render_collection(src, tmp_path / 'out', workers=1, progress=False, log=lambda line: None)
    assert summary['rendered'] == 1 and summary['reasons'] == {'not an R2N2 category': 1}
    assert backrest_side(tmp_path / 'out' / 'ShapeNetVox32' / CHAIR / 'c0ffee' / 'model.binvox') == 'low x'


def test_map_axes_turn_models_to_shapenets_frame(tmp_path):
    src = tmp_path / 'src'
    src.mkdir()
    chair_mesh((0, 0, -1)).export(src / 'front_z.obj')       # y up, fronts towards +z (Sweet Home 3D)
    chair_mesh((0, 0, 1)).export(src / 'front_minus_z.obj')
    shapes_map = write_map(tmp_path / 'map.yaml', [
        {'glob': 'front_z.obj', 'synset': CHAIR},
        {'glob': 'front_minus_z.obj', 'synset': CHAIR, 'front': '-z'}], front='+z')
    render_collection(src, tmp_path / 'out', shapes_map, workers=1, progress=False)
    for mid in ('front_z', 'front_minus_z'):
        assert backrest_side(tmp_path / 'out' / 'ShapeNetVox32' / CHAIR / mid / 'model.binvox') == 'low x'


def test_rotation_to_shapenet_takes_up_to_y_and_front_to_x():
    for up in ('+x', '-x', '+y', '-y', '+z', '-z'):
        for front in ('+x', '-x', '+y', '-y', '+z', '-z'):
            if up[1] == front[1]:
                with pytest.raises(ShapesError):
                    rotation_to_shapenet(up, front)
                continue
            r = rotation_to_shapenet(up, front)
            axis = {'x': 0, 'y': 1, 'z': 2}
            u, f = np.zeros(3), np.zeros(3)
            u[axis[up[1]]], f[axis[front[1]]] = float(up[0] + '1'), float(front[0] + '1')
            assert np.allclose(r @ u, [0, 1, 0]) and np.allclose(r @ f, [1, 0, 0])
            assert np.isclose(np.linalg.det(r), 1.0)


@pytest.mark.parametrize('text, message', [
    ('source: a\nterms: t\nmodels: [{glob: "*", synset: "99999999"}]', 'not one of the 13 R2N2 synsets'),
    ('source: a\nterms: t\nmodels: [{glob: "*", synset: 03001627}]', 'quote it'),
    ('source: a\nterms: t\nup: y\nmodels: [{glob: "*", synset: "03001627"}]', "axis 'y'"),
    ('source: a\nterms: t\nup: +z\nfront: -z\nmodels: [{glob: "*", synset: "03001627"}]', 'different axes'),
    ('source: a\nterms: t\nmodels: [{glob: "*", synset: "03001627", colour: red}]', "unknown key 'colour'"),
    ('source: a\nmodels: [{glob: "*", synset: "03001627"}]', "'terms' must be"),
    ('source: a\nterms: t\nmodels: []', 'non-empty list'),
    ('[1, 2', 'unreadable map'),
])
def test_bad_maps_are_one_line_errors(tmp_path, capsys, text, message):
    (tmp_path / 'src').mkdir()
    (tmp_path / 'map.yaml').write_text(text)
    with pytest.raises(ShapesError, match=message):
        find_models(tmp_path / 'src', tmp_path / 'map.yaml')
    assert cli_main(['render-shapes', str(tmp_path / 'src'), '--out', str(tmp_path / 'out'), '--map',
                     str(tmp_path / 'map.yaml')]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith('error: ') and message in err[0]
    assert not (tmp_path / 'out').exists()


def test_a_folder_without_a_map_that_is_not_shapenet_is_refused(tmp_path, capsys):
    (tmp_path / 'src').mkdir()
    box_mesh().export(tmp_path / 'src' / 'box.obj')
    assert cli_main(['render-shapes', str(tmp_path / 'src'), '--out', str(tmp_path / 'out')]) == 1
    assert 'give a map (--map MAP.yaml)' in capsys.readouterr().err


def test_another_sources_model_of_the_same_id_is_left_alone(collection, tmp_path):
    root = tmp_path / 'shared'
    shutil.copytree(collection['root'], root)
    before = tree_bytes(root)
    src = tmp_path / 'other'
    write_textured_box(src)
    shapes_map = write_map(tmp_path / 'other.yaml', [{'glob': 'box.obj', 'synset': CHAIR, 'id': 'textured-box'}],
                           source='another-collection')
    lines = []
    summary = render_collection(src, root, shapes_map, seed=3, workers=1, progress=False, log=lines.append)
    assert summary['rendered'] == 0 and summary['already'] == 0 and summary['skipped'] == 1
    assert lines == [f'skipped {src / "box.obj"}: id taken (source test-shapes has {CHAIR}/textured-box in '
                     'this folder)']
    assert tree_bytes(root) == before


def test_a_disk_that_cannot_take_the_files_ends_the_run_with_one_line(collection, tmp_path, monkeypatch, capsys):
    import errno
    from datasets.embedded import generator

    def full(*args):
        raise OSError(errno.ENOSPC, 'No space left on device')

    monkeypatch.setattr(generator, 'install_model', full)
    assert cli_main(['render-shapes', str(collection['src']), '--out', str(tmp_path / 'out'), '--map',
                     str(collection['map']), '--workers', '1']) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith('error: cannot write ') and err[-1].endswith('no space left on device')
    assert not (tmp_path / 'out' / 'ShapeNetVox32').exists()
