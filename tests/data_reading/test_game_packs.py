"""get-shapes kenney / quaternius (datasets/real/game_packs.py): the CC0 packs of one Git repository,
FBX converted with assimp, on a small clone the tests write in the repository's layout."""
import os
import shutil
import subprocess

import numpy as np
import pytest
import trimesh
import yaml

from datasets.real import game_packs
from datasets.real.sources import SKIP, ShapeSourceError
from lib.binvox_rw import read_binvox
from lib.rendering.render_shapes import render_collection
from tests.mesh_makers import chair_mesh

CHAIR, SOFA, TABLE, CAR, RIFLE, DISPLAY, CABINET, BENCH, WATERCRAFT, SPEAKER = (
    '03001627', '04256520', '04379243', '02958343', '04090263', '03211117', '02933112', '02828884',
    '04530566', '03691459')
KENNEY_PACK = 'Kenny NL Assets/Furniture Pack (1.0)'
needs_assimp = pytest.mark.skipif(shutil.which('assimp') is None,
                                  reason='assimp (Debian assimp-utils) is not installed')


@pytest.mark.parametrize('file_name, expected', [
    ('chair.fbx', CHAIR), ('chairDesk.fbx', CHAIR), ('loungeChairRelax.fbx', CHAIR), ('stoolBar.fbx', CHAIR),
    ('OfficeChair.fbx', CHAIR), ('ChairHandle.fbx', CHAIR), ('benchCushionLow.fbx', BENCH),
    ('loungeSofaCorner.fbx', SOFA), ('Sofa_individual.fbx', SOFA), ('loungeSofaOttoman.fbx', SKIP),
    ('tableCoffeeGlass.fbx', TABLE), ('deskCorner.fbx', TABLE), ('computerScreen.fbx', DISPLAY),
    ('televisionVintage.fbx', DISPLAY), ('televisionAntenna.fbx', SKIP), ('speakerSmall.fbx', SPEAKER),
    ('cabinetTelevision.fbx', CABINET), ('BookCaseBooks.fbx', CABINET), ('ShortCloset.fbx', CABINET),
    ('cabinetBedDrawer.fbx', SKIP), ('NightStand.fbx', SKIP), ('bedDouble.fbx', SKIP), ('wallWindow.fbx', SKIP),
    ('NormalCar1.fbx', CAR), ('Cop_SUV.fbx', CAR), ('Taxi.fbx', CAR), ('Cop.fbx', CAR), ('Ambulance.fbx', SKIP),
    ('SchoolBus.fbx', SKIP), ('Bicycle.fbx', SKIP), ('Train.fbx', SKIP),
    ('Rifle.fbx', RIFLE), ('SniperRifle.fbx', RIFLE), ('Shotgun.fbx', RIFLE), ('P90.fbx', RIFLE),
    ('Pistol.fbx', SKIP), ('Ray Gun.fbx', SKIP), ('Lightning Gun.fbx', SKIP), ('LongPistol_small.fbx', SKIP),
    ('Lifeboat.fbx', WATERCRAFT), ('Sail ship.fbx', WATERCRAFT), ('BoatWSail.fbx', WATERCRAFT),
])
def test_categories_by_file_name(file_name, expected):
    assert game_packs.category_of_name(file_name) == expected


def test_file_names_split_into_words():
    assert game_packs.words('loungeChairRelax.fbx') == 'lounge chair relax'
    assert game_packs.words('Sofa_individual.fbx') == 'sofa individual'
    assert game_packs.words('NormalCar1.fbx') == 'normal car 1'


def fbx_text(mesh, colour=None):
    """An ASCII FBX 7.3 file of a triangle mesh with one material, y up (as the packs' files); the
    material has a diffuse colour, or none (then assimp writes its default grey)."""
    diffuse = '' if colour is None else f'\t\t\tP: "DiffuseColor", "Color", "", "A",{colour[0]},{colour[1]},{colour[2]}\n'
    vertices = ','.join(f'{v:.6f}' for v in mesh.vertices.ravel())
    index = ','.join(f'{a},{b},{-c - 1}' for a, b, c in mesh.faces)
    axes = ''.join(f'\t\tP: "{k}", "int", "Integer", "",{v}\n' for k, v in (
        ('UpAxis', 1), ('UpAxisSign', 1), ('FrontAxis', 2), ('FrontAxisSign', 1), ('CoordAxis', 0),
        ('CoordAxisSign', 1)))
    return (
        '; FBX 7.3.0 project file\nFBXHeaderExtension:  {\n\tFBXHeaderVersion: 1003\n\tFBXVersion: 7300\n}\n'
        f'GlobalSettings:  {{\n\tVersion: 1000\n\tProperties70:  {{\n{axes}\t}}\n}}\n'
        'Objects:  {\n'
        f'\tGeometry: 100, "Geometry::part", "Mesh" {{\n\t\tVertices: *{mesh.vertices.size} {{\n\t\t\ta: {vertices}\n\t\t}}\n'
        f'\t\tPolygonVertexIndex: *{mesh.faces.size} {{\n\t\t\ta: {index}\n\t\t}}\n'
        '\t\tLayerElementMaterial: 0 {\n\t\t\tVersion: 101\n\t\t\tMappingInformationType: "AllSame"\n'
        '\t\t\tReferenceInformationType: "IndexToDirect"\n\t\t\tMaterials: *1 {\n\t\t\t\ta: 0\n\t\t\t}\n\t\t}\n'
        '\t\tLayer: 0 {\n\t\t\tVersion: 100\n\t\t\tLayerElement:  {\n\t\t\t\tType: "LayerElementMaterial"\n'
        '\t\t\t\tTypedIndex: 0\n\t\t\t}\n\t\t}\n\t}\n'
        '\tModel: 200, "Model::part", "Mesh" {\n\t\tVersion: 232\n\t}\n'
        '\tMaterial: 300, "Material::paint", "" {\n\t\tVersion: 102\n\t\tShadingModel: "phong"\n'
        f'\t\tProperties70:  {{\n{diffuse}\t\t}}\n\t}}\n'
        '}\nConnections:  {\n\tC: "OO",100,200\n\tC: "OO",300,200\n\tC: "OO",200,0\n}\n')


def write_kenney_clone(repo):
    """A clone of the repository holding Kenney's pack folder with four files and its licence."""
    models = repo / KENNEY_PACK / 'Models'
    models.mkdir(parents=True)
    (repo / KENNEY_PACK / 'License.txt').write_text('License: (Creative Commons Zero, CC0)\n')
    chair = fbx_text(chair_mesh((0, 0, 1)), (0.8, 0.2, 0.1))      # Kenney's backrests stand at +z
    (models / 'chair.fbx').write_text(chair)
    (models / 'chairCopy.fbx').write_text(chair)                  # the same file under another name
    (models / 'chairRounded.fbx').write_text(fbx_text(chair_mesh((0, 0, 1)).apply_scale(0.9)))   # no colour
    (models / 'wall.fbx').write_text(fbx_text(trimesh.creation.box(extents=(1, 1, 0.1)), (1, 1, 1)))
    (models / 'stoolBroken.fbx').write_text('; FBX 7.3.0 project file\nObjects:  {\n\tGeometry: 1, "x"')
    return repo


@needs_assimp
def test_kenney_from_a_small_clone_converts_maps_and_renders_backrests_at_low_x(tmp_path):
    repo = write_kenney_clone(tmp_path / 'clone')
    folder, entries = game_packs.fetch('kenney', str(tmp_path / 'shapes'), repo=str(repo), progress=False)
    synsets = {e['id']: e['synset'] for e in entries}
    assert synsets == {'kenney-Furniture_Pack_1_0-chair': CHAIR, 'kenney-Furniture_Pack_1_0-chairCopy': SKIP,
                       'kenney-Furniture_Pack_1_0-chairRounded': CHAIR,
                       'kenney-Furniture_Pack_1_0-stoolBroken': SKIP, 'kenney-Furniture_Pack_1_0-wall': SKIP}
    comments = {e['id']: e['comment'] for e in entries}
    assert 'the same file as' in comments['kenney-Furniture_Pack_1_0-chairCopy']
    assert 'skipped' in comments['kenney-Furniture_Pack_1_0-stoolBroken']
    shapes_map = yaml.safe_load(open(os.path.join(folder, 'map.yaml')))
    assert (shapes_map['up'], shapes_map['front'], shapes_map['source']) == ('+y', '-z', 'kenney')
    assert 'CC0' in shapes_map['terms']
    assert 'kenney-Furniture_Pack_1_0-chair ' in open(os.path.join(folder, 'ATTRIBUTION.md')).read()
    assert 'CC0' in open(os.path.join(folder, KENNEY_PACK.replace('/', '-').replace(' ', '_') + '-License.txt')).read()
    assert not os.path.exists(os.path.join(folder, 'Furniture_Pack_1_0-stoolBroken'))
    assert 'Kd 0.8' in open(os.path.join(folder, 'Furniture_Pack_1_0-chair', 'Furniture_Pack_1_0-chair.mtl')).read()
    # a file with no colour loses assimp's default grey .mtl: render-shapes gives it the chair materials
    rounded = os.path.join(folder, 'Furniture_Pack_1_0-chairRounded', 'Furniture_Pack_1_0-chairRounded')
    assert not os.path.exists(rounded + '.mtl') and 'mtllib' not in open(rounded + '.obj').read()
    assert "the category's materials" in comments['kenney-Furniture_Pack_1_0-chairRounded']
    # rendered through the map: the backrest (at +z in the pack's files, fronts -z) lands at low x
    out = tmp_path / 'out'
    summary = render_collection(folder, out, os.path.join(folder, 'map.yaml'), workers=1, progress=False,
                                log=lambda line: None)
    assert summary['rendered'] == 2
    grid = read_binvox(str(out / 'ShapeNetVox32' / CHAIR / 'kenney-Furniture_Pack_1_0-chair' / 'model.binvox')).data
    xs = np.flatnonzero(grid.any(axis=(1, 2)))
    height = [np.flatnonzero(grid[x].any(axis=1)).max() for x in xs]
    assert np.mean(height[:3]) > np.mean(height[-3:]) + 5


def test_a_folder_that_is_not_the_clone_is_one_error(tmp_path):
    (tmp_path / 'clone').mkdir()
    with pytest.raises(ShapeSourceError, match='not a clone of'):
        game_packs.fetch('quaternius', str(tmp_path / 'shapes'), repo=str(tmp_path / 'clone'), progress=False)


def test_without_assimp_the_error_names_the_package(tmp_path, monkeypatch):
    repo = write_kenney_clone(tmp_path / 'clone')
    monkeypatch.setattr(game_packs.shutil, 'which', lambda name: None)
    with pytest.raises(ShapeSourceError, match='apt-get install assimp-utils'):
        game_packs.fetch('kenney', str(tmp_path / 'shapes'), repo=str(repo), progress=False)
    assert not os.path.exists(tmp_path / 'shapes' / 'kenney')


@pytest.mark.skipif(shutil.which('git') is None, reason='git is not installed')
def test_the_repository_is_cloned_at_the_pinned_commit(tmp_path, monkeypatch):
    upstream = write_kenney_clone(tmp_path / 'upstream')
    git = ['git', '-C', str(upstream), '-c', 'user.name=t', '-c', 'user.email=t@t']
    subprocess.run(['git', 'init', '-q', str(upstream)], check=True)
    subprocess.run(git + ['add', '.'], check=True)
    subprocess.run(git + ['commit', '-q', '-m', 'packs'], check=True)
    pinned = subprocess.run(git + ['rev-parse', 'HEAD'], capture_output=True, text=True, check=True).stdout.strip()
    (upstream / KENNEY_PACK / 'Models' / 'later.fbx').write_text('a later commit')
    subprocess.run(git + ['add', '.'], check=True)
    subprocess.run(git + ['commit', '-q', '-m', 'later'], check=True)
    monkeypatch.setattr(game_packs, 'REPOSITORY', str(upstream))
    monkeypatch.setattr(game_packs, 'COMMIT', pinned)
    clone = game_packs.ensure_clone(str(tmp_path / 'download' / 'clone'))
    assert os.path.isfile(os.path.join(clone, KENNEY_PACK, 'Models', 'chair.fbx'))
    assert not os.path.exists(os.path.join(clone, KENNEY_PACK, 'Models', 'later.fbx'))
    monkeypatch.setattr(game_packs, 'REPOSITORY', str(tmp_path / 'nowhere'))
    with pytest.raises(ShapeSourceError, match='git clone .* --repo'):
        game_packs.ensure_clone(str(tmp_path / 'download' / 'other'))
    assert not os.path.exists(tmp_path / 'download' / 'other')


@needs_assimp
def test_the_command_fetches_from_a_clone_and_reports_bad_input_in_one_line(tmp_path, capsys):
    from lib.commands.cli import main
    repo = write_kenney_clone(tmp_path / 'clone')
    assert main(['get-shapes', 'kenney', '--repo', str(repo), '--out', str(tmp_path / 'shapes')]) == 0
    out = capsys.readouterr().out
    assert 'get-shapes kenney:' in out and '2 models to render' in out and 'chair 2' in out
    code = main(['get-shapes', 'quaternius', '--repo', str(repo), '--out', str(tmp_path / 'shapes')])
    err = capsys.readouterr().err.strip()
    assert code == 1 and err.startswith('error: ') and 'not a clone of' in err and '\n' not in err
    assert not os.path.exists(tmp_path / 'shapes' / 'quaternius')
