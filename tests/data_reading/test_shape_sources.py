"""Real model collections (./run.sh get-shapes): catalog parsing, category rules, the shapes map and
attribution, Debian package reading, and bad input as one line. Every archive is written here, small,
in the real layout: nothing is downloaded."""
import io
import os
import tarfile
import zipfile

import pytest

from datasets.real import sources
from datasets.real import sweethome3d as sh3d
from datasets.real.sources import SKIP, ShapeSourceError, category_of, read_map

CHAIR, TABLE, PHONE, CAR, BENCH = '03001627', '04379243', '04401088', '02958343', '02828884'

OBJ = 'v 0 0 0\nv 1 0 0\nv 0 1 0\nv 0 0 1\nf 1 2 3\nf 1 2 4\nf 1 3 4\nf 2 3 4\n'
BLENDSWAP_CC_BY = ('-----\nThank you for downloading "nice chair" by Jane Doe\nReleased under\n'
                   'Creative Commons Attribution 3.0\nDownloaded from http://www.blendswap.com/blends/view/1\n')
PROPERTIES = r"""# a comment
id=SweetHome3D#test
name=Test catalog

id#1=Test#chair
name#1=Osaka chair
category#1=Living room
model#1=/blendswap-cc-by/osaka/osaka.obj
width#1=50
depth#1=55
height#1=90
creator#1=Jane

id#2=Test#bed
name#2=Bed
category#2=Bedroom
model#2=/blendswap-cc-by/bed/bed.obj
creator#2=John

id#3=Test#phone
name#3=Mobile \
    phone
category#3=Miscellaneous
model#3=/blendswap-cc-by/phone/phone.obj
modelRotation#3=1 0 0 0 0 1 0 -1 0
creator#3=Ann

id#4=Test#lamp
name#4=Caf\u00e9 lamp
category#4=Lights
model#4=/blendswap-cc-by/lamp/lamp.obj
modelRotation#4=0.7 0.7 0 -0.7 0.7 0 0 0 1
creator#4=Bob
"""


def write_sh3f(path, properties=PROPERTIES):
    with zipfile.ZipFile(path, 'w') as z:
        z.writestr('LICENSE.TXT', 'This file is under the Creative Commons Attribution 3.0 license')
        z.writestr('PluginFurnitureCatalog.properties', properties.encode('iso-8859-1'))
        for folder in ('osaka', 'bed', 'phone', 'lamp'):
            z.writestr(f'blendswap-cc-by/{folder}/{folder}.obj', OBJ)
            z.writestr(f'blendswap-cc-by/{folder}/{folder}.mtl', 'newmtl a\nKd 1 0 0\n')
        z.writestr('blendswap-cc-by/osaka/BLENDSWAP_LICENSE.txt', BLENDSWAP_CC_BY)
    return path


def test_properties_parser_reads_escapes_continuations_and_comments():
    values = sh3d.parse_properties(PROPERTIES)
    assert values['name'] == 'Test catalog'
    assert values['name#3'] == 'Mobile phone'           # continuation line
    assert values['name#4'] == 'Café lamp'              # \u00e9
    assert values['modelRotation#3'] == '1 0 0 0 0 1 0 -1 0'
    assert not any(k.startswith('#') for k in values)
    assert sh3d.parse_properties('a\\:b = c\\=d\nkey value\n') == {'a:b': 'c=d', 'key': 'value'}


@pytest.mark.parametrize('name, category, expected', [
    ('Chair', 'Living room', CHAIR), ('Armchair', '', CHAIR), ('Bar stool', '', CHAIR),
    ('Sofa 2 seats', '', '04256520'), ('Couch', '', '04256520'), ('Coffee table', '', TABLE),
    ('Desk', 'Office', TABLE), ('Desk lamp', 'Lights', '03636649'), ('Street light', '', '03636649'),
    ('Painted bench', '', BENCH), ('Little bank', 'Exterior', BENCH), ('Wardrobe', '', '02933112'),
    ('Television cabinet', '', '02933112'), ('TV 16:9', '', '03211117'), ('Speaker', '', '03691459'),
    ('Mobile phone', '', PHONE), ('Truck', 'Vehicles', CAR), ('Seat Leon', 'Vehicles', CAR),
    ('Rowboat', '', '04530566'), ('Biplane', '', '02691156'),
    # the exceptions: a category word in a name that is not that category
    ('Bed', '', SKIP), ('Baby high chair', '', SKIP), ('Wheelchair', '', SKIP), ('Headphones', '', SKIP),
    ('Xylophone', '', SKIP), ('Tablet', '', SKIP), ('Table tennis', '', SKIP), ('City bus', '', SKIP),
    ('Opened convertible sofa BZ', '', SKIP), ('Door', 'Doors and windows', SKIP),
    ('Sitting male', 'Characters', SKIP), ('Vase', '', SKIP), ('Chair', 'Characters', SKIP),
])
def test_category_rules(name, category, expected):
    assert category_of(name, category) == expected


def test_catalog_to_map_and_attribution(tmp_path):
    catalogs = tmp_path / 'catalogs'
    catalogs.mkdir()
    write_sh3f(catalogs / 'Test.sh3f')
    folder, entries = sh3d.fetch(str(tmp_path / 'shapes'), catalogs=str(catalogs), progress=False)
    assert folder == str(tmp_path / 'shapes' / 'sweethome3d')
    data = read_map(os.path.join(folder, 'map.yaml'))
    assert (data['up'], data['front']) == ('+y', '+z')
    by_id = {e['id']: e for e in data['models']}
    chair = by_id['sh3d-blendswap-cc-by-osaka']
    assert chair['synset'] == CHAIR and chair['glob'] == 'blendswap-cc-by/osaka/osaka.obj'
    assert chair['terms'].startswith('CC-BY 3.0, Jane Doe')   # from the model's own licence file
    assert 'up' not in chair and 'front' not in chair
    assert by_id['sh3d-blendswap-cc-by-bed']['synset'] == SKIP
    phone = by_id['sh3d-blendswap-cc-by-phone']
    # modelRotation rows: up is the second row (+z in the file), front the third (-y)
    assert (phone['synset'], phone['up'], phone['front']) == (PHONE, '+z', '-y')
    # a 45-degree modelRotation is no turn between axes: listed, not rendered
    assert by_id['sh3d-blendswap-cc-by-lamp']['synset'] == SKIP
    # only the models to render are extracted, with the catalog's licence beside them
    assert os.path.isfile(os.path.join(folder, 'blendswap-cc-by', 'osaka', 'osaka.mtl'))
    assert not os.path.exists(os.path.join(folder, 'blendswap-cc-by', 'bed'))
    assert os.path.isfile(os.path.join(folder, 'blendswap-cc-by', 'LICENSE.TXT'))
    attribution = open(os.path.join(folder, 'ATTRIBUTION.md')).read()
    assert 'Jane Doe' in attribution and 'http://www.blendswap.com/blends/view/1' in attribution
    assert 'John' not in attribution                      # the bed is not used
    assert sources.category_counts(entries) == {'chair': 1, 'telephone': 1, SKIP: 2}
    assert not os.path.exists(folder + '.partial')


def test_map_is_what_render_shapes_reads(tmp_path):
    from lib.rendering.shapes_map import find_models
    catalogs = tmp_path / 'catalogs'
    catalogs.mkdir()
    write_sh3f(catalogs / 'Test.sh3f')
    folder, _ = sh3d.fetch(str(tmp_path / 'shapes'), catalogs=str(catalogs), progress=False)
    found = find_models(folder, os.path.join(folder, 'map.yaml'))
    jobs = {job.mid: job for job in found.jobs}
    assert sorted(jobs) == ['sh3d-blendswap-cc-by-osaka', 'sh3d-blendswap-cc-by-phone']
    assert (jobs['sh3d-blendswap-cc-by-phone'].up, jobs['sh3d-blendswap-cc-by-phone'].front) == ('+z', '-y')
    assert found.unmapped == 0


def test_map_writer_quotes_synsets_and_refuses_bad_values(tmp_path):
    path = tmp_path / 'map.yaml'
    entry = {'glob': 'a: b/#c.obj', 'synset': TABLE, 'id': 'x'}
    sources.write_map(str(path), 'src', 'CC0 1.0', '+y', '+z', [entry])
    text = path.read_text()
    assert 'synset: "04379243"' in text                  # a YAML 1.2 reader would take 04379243 as a number
    assert read_map(str(path))['models'][0]['glob'] == 'a: b/#c.obj'
    with pytest.raises(ShapeSourceError, match='axis'):
        sources.write_map(str(path), 'src', 'CC0', '+y', 'forward', [entry])
    with pytest.raises(ShapeSourceError, match='unknown synset'):
        sources.write_map(str(path), 'src', 'CC0', '+y', '+z', [dict(entry, synset='99999999')])


def _write_deb(path, members):
    """A minimal Debian package: ar archive with debian-binary, control.tar.xz and data.tar.xz."""
    data = io.BytesIO()
    with tarfile.open(fileobj=data, mode='w:xz') as tar:
        for name, blob in members.items():
            info = tarfile.TarInfo('./' + name)
            info.size = len(blob)
            tar.addfile(info, io.BytesIO(blob))
    parts = [('debian-binary', b'2.0\n'), ('control.tar.xz', b'x'), ('data.tar.xz', data.getvalue())]
    with open(path, 'wb') as f:
        f.write(b'!<arch>\n')
        for name, blob in parts:
            f.write(f'{name:<16}{0:<12}{0:<6}{0:<6}{"100644":<8}{len(blob):<10}`\n'.encode())
            f.write(blob + (b'\n' if len(blob) % 2 else b''))
    return path


def test_deb_is_read_without_dpkg(tmp_path):
    sh3f = write_sh3f(tmp_path / 'Test.sh3f')
    deb = _write_deb(tmp_path / 'sweethome3d-furniture_1.8-1_all.deb', {
        sh3d.CATALOG_FOLDER + 'Test.sh3f': sh3f.read_bytes(), sh3d.COPYRIGHT: b'Files: *\nLicense: CC0\n',
        'usr/share/doc/other/file': b'not wanted'})
    got = sources.deb_members(str(deb), lambda p: p.startswith('usr/share/sweethome3d/'))
    assert list(got) == [sh3d.CATALOG_FOLDER + 'Test.sh3f']
    folder, entries = sh3d.fetch(str(tmp_path / 'shapes'), deb=str(deb), progress=False)
    assert open(os.path.join(folder, 'debian-copyright.txt')).read().startswith('Files: *')
    assert len(entries) == 4


@pytest.mark.parametrize('content, words', [
    (b'not a zip at all', 'corrupt catalog archive'),
    (None, 'not a furniture catalog'),
])
def test_bad_catalog_is_one_line(tmp_path, content, words):
    path = tmp_path / 'Broken.sh3f'
    if content is None:
        with zipfile.ZipFile(path, 'w') as z:
            z.writestr('readme.txt', 'no catalog here')
    else:
        path.write_bytes(content)
    with pytest.raises(ShapeSourceError, match=words) as error:
        sh3d.read_catalog(str(path))
    assert str(path) in str(error.value) and '\n' not in str(error.value)


def test_truncated_catalog_and_deb_are_one_line(tmp_path):
    whole = write_sh3f(tmp_path / 'Whole.sh3f').read_bytes()
    cut = tmp_path / 'Cut.sh3f'
    cut.write_bytes(whole[:len(whole) // 2])
    with pytest.raises(ShapeSourceError, match='corrupt catalog archive'):
        sh3d.read_catalog(str(cut))
    deb = tmp_path / 'x.deb'
    deb.write_bytes(b'!<arch>\nnonsense')
    with pytest.raises(ShapeSourceError, match='no data.tar'):
        sources.deb_members(str(deb), lambda p: True)
    deb.write_bytes(b'PK\x03\x04')
    with pytest.raises(ShapeSourceError, match='not a Debian package'):
        sources.deb_members(str(deb), lambda p: True)


def test_command_reports_bad_input_in_one_line(tmp_path, capsys):
    from lib.commands.cli import main
    (tmp_path / 'catalogs').mkdir()
    (tmp_path / 'catalogs' / 'Broken.sh3f').write_bytes(b'garbage')
    code = main(['get-shapes', 'sweethome3d', '--catalogs', str(tmp_path / 'catalogs'),
                 '--out', str(tmp_path / 'shapes')])
    err = capsys.readouterr().err.strip()
    assert code == 1 and err.startswith('error: ') and 'Broken.sh3f' in err and '\n' not in err
    assert not os.path.exists(tmp_path / 'shapes' / 'sweethome3d')   # nothing half-written in place
    code = main(['get-shapes', 'sweethome3d', '--catalogs', str(tmp_path / 'nowhere'), '--out', str(tmp_path)])
    assert code == 1 and 'no such folder' in capsys.readouterr().err


# ---- AC3D conversion and the FlightGear / CRRCsim sources -------------------------------------------

from datasets.real import ac3d, flightgear   # noqa: E402

AC_FILE = """AC3Db
MATERIAL "red" rgb 1 0 0  amb 0.2 0.2 0.2  emis 0 0 0  spec 0.5 0.5 0.5  shi 10  trans 0
MATERIAL "blue" rgb 0 0 1  amb 0.2 0.2 0.2  emis 0 0 0  spec 0.5 0.5 0.5  shi 10  trans 0
OBJECT world
name "scene"
kids 2
OBJECT poly
name "quad"
data 9
two words
loc 10 0 0
texture "skin.png"
texrep 2 1
numvert 4
0 0 0
1 0 0
1 1 0
0 1 0
numsurf 2
SURF 0x10
mat 0
refs 4
0 0 0
1 1 0
2 1 1
3 0 1
SURF 0x02
mat 1
refs 2
0 0 0
2 1 1
kids 1
OBJECT poly
name "child"
loc 0 5 0
numvert 3
0 0 0
0 0 1
0 1 0
numsurf 1
SURF 0x30
mat 1
refs 3
0 0 0
1 0 0
2 0 0
kids 0
OBJECT poly
name "lonely"
numvert 0
numsurf 0
kids 1
"""


def test_ac3d_reader_places_objects_and_drops_lines(tmp_path):
    path = tmp_path / 'model.ac'
    path.write_text(AC_FILE)   # the last object claims a kid that is not there, as some exporters write
    materials, parts = ac3d.read_ac(str(path))
    assert materials == [(1.0, 0.0, 0.0), (0.0, 0.0, 1.0)]
    quad, child = parts
    assert quad['vertices'][1].tolist() == [11, 0, 0]            # loc applied
    assert child['vertices'][2].tolist() == [10, 6, 0]           # the parent's loc, then its own
    assert len(quad['faces']) == 2 and quad['materials'].tolist() == [0, 0]   # a fan; the line dropped
    assert quad['uvs'][0].tolist() == [[0, 0], [2, 0], [2, 1]]   # texrep scales u
    assert child['uvs'] is None


def test_ac3d_to_obj_keeps_colours_and_textures(tmp_path):
    import numpy as np
    import trimesh
    from PIL import Image
    path = tmp_path / 'model.ac'
    path.write_text(AC_FILE)
    Image.new('RGB', (4, 4), (0, 255, 0)).save(tmp_path / 'skin.png')
    materials, parts = ac3d.read_ac(str(path))
    missing = ac3d.write_obj(str(path), materials, parts, str(tmp_path / 'out' / 'model.obj'))
    assert missing == []
    mtl = (tmp_path / 'out' / 'model.mtl').read_text()
    assert 'map_Kd skin.png' in mtl and 'Kd 0 0 1' in mtl
    mesh = trimesh.load(str(tmp_path / 'out' / 'model.obj'), force='mesh')
    assert len(mesh.faces) == 3
    assert np.allclose(mesh.bounds, [[10, 0, 0], [11, 6, 1]])
    (tmp_path / 'skin.png').unlink()                               # a missing texture keeps the colour
    assert ac3d.write_obj(str(path), materials, parts, str(tmp_path / 'o2' / 'model.obj')) == ['skin.png']


@pytest.mark.parametrize('text, words', [
    ('not an ac file\n', 'not an AC3D file'),
    ('AC3Db\nOBJECT world\nkids 1\nOBJECT poly\nnumvert 3\n0 0 0\n1 1\n', 'expected 3 numbers'),
    ('AC3Db\nOBJECT world\nnumvert 2\n0 0 0\n', 'truncated'),
    ('AC3Db\nOBJECT poly\nnumvert 1\n0 0 0\nnumsurf 1\nSURF 0x10\nmat 0\nrefs 3\n0 0 0\n1 0 0\n2 0 0\nkids 0\n',
     'does not exist'),
])
def test_bad_ac3d_is_one_line(tmp_path, text, words):
    path = tmp_path / 'bad.ac'
    path.write_text(text)
    with pytest.raises(ShapeSourceError, match=words) as error:
        ac3d.read_ac(str(path))
    assert str(path) in str(error.value) and '\n' not in str(error.value)


AIRPLANE, FG = '02691156', 'usr/share/games/flightgear/'


@pytest.mark.parametrize('path, expected', [
    (FG + 'AI/Aircraft/A320/Models/A320.ac', AIRPLANE),
    (FG + 'AI/Aircraft/Lightning/Models/lightning-f1a.ac', AIRPLANE),   # the fighter, not a light
    (FG + 'AI/Aircraft/Lightning/Models/light-red-flare.ac', SKIP),
    (FG + 'AI/Aircraft/Cessna337/Models/Lights/beacon.ac', SKIP),
    (FG + 'AI/Aircraft/c182/Models/WhiteLight1.ac', SKIP),
    (FG + 'AI/Aircraft/balloon/Models/balloon2.ac', SKIP),
    (FG + 'AI/Aircraft/SpaceShuttle/SpaceShuttle.ac', SKIP),
    (FG + 'AI/Aircraft/seahawk/Models/droptank.ac', SKIP),
    (FG + 'Models/Military/humvee-pickup-odrab-low-poly.ac', CAR),
    (FG + 'Models/Maritime/Civilian/Tanker.ac', '04530566'),
    (FG + 'Models/Maritime/Civilian/barge.ac', SKIP),                  # no bow to turn by
    (FG + 'Models/Maritime/Misc/RedBuoy.ac', SKIP),
])
def test_flightgear_rules(path, expected):
    assert flightgear.category_of_path(path, flightgear.FLIGHTGEAR_RULES) == expected


def _grid_ac(n=13):
    """An AC3D plane of n x n quads (2 n^2 triangles after the fan): enough faces to count as a model."""
    verts = [f'{i} 0 {j}' for i in range(n + 1) for j in range(n + 1)]
    surfs = []
    for i in range(n):
        for j in range(n):
            a = i * (n + 1) + j
            surfs.append(f'SURF 0x10\nmat 0\nrefs 4\n{a} 0 0\n{a + 1} 0 0\n{a + n + 2} 0 0\n{a + n + 1} 0 0')
    return ('AC3Db\nMATERIAL "m" rgb 0.5 0.5 0.5\nOBJECT world\nkids 1\nOBJECT poly\n'
            f'numvert {len(verts)}\n' + '\n'.join(verts) + f'\nnumsurf {len(surfs)}\n' + '\n'.join(surfs) + '\nkids 0\n')


def test_crrcsim_from_a_fake_package(tmp_path):
    objects = 'usr/share/games/crrcsim/objects/'
    deb = _write_deb(tmp_path / 'crrcsim-data_1_all.deb', {
        objects + 'glider.ac': _grid_ac().encode(), objects + 'glider_copy.ac': _grid_ac().encode(),
        objects + 'heli.ac': _grid_ac().encode(), objects + 'tiny.ac': _grid_ac(5).encode(),
        'usr/share/doc/crrcsim-data/copyright': b'Files: *\nLicense: GPL-2\n'})
    folder, entries = flightgear.fetch('crrcsim', str(tmp_path / 'shapes'), debs={'crrcsim-data': str(deb)},
                                       progress=False)
    data = read_map(os.path.join(folder, 'map.yaml'))
    assert (data['up'], data['front']) == ('+y', '+z')
    synsets = {e['id']: e['synset'] for e in data['models']}
    assert synsets == {'crrcsim-objects-glider': AIRPLANE, 'crrcsim-objects-glider_copy': SKIP,   # same geometry
                       'crrcsim-objects-heli': SKIP, 'crrcsim-objects-tiny': SKIP}             # rule; 50 faces
    assert os.path.isfile(os.path.join(folder, 'objects-glider', 'objects-glider.obj'))
    assert not os.path.exists(os.path.join(folder, 'objects-heli'))
    assert os.path.isfile(tmp_path / 'shapes' / '.download' / 'crrcsim' / '.crrcsim-data_1_all.deb.extracted')
    assert 'GPL-2' in open(os.path.join(folder, 'crrcsim-data-copyright.txt')).read()
    assert 'crrcsim-objects-glider ' in open(os.path.join(folder, 'ATTRIBUTION.md')).read()


def test_without_apt_the_error_names_the_command(tmp_path, monkeypatch):
    monkeypatch.setattr(sources.shutil, 'which', lambda name: None)
    with pytest.raises(ShapeSourceError, match=r'apt-get download sweethome3d-furniture.*--deb'):
        sources.download_deb('sweethome3d-furniture', str(tmp_path))


def test_a_failing_apt_is_one_line(tmp_path, monkeypatch):
    fake = tmp_path / 'bin' / 'apt-get'
    fake.parent.mkdir()
    fake.write_text('#!/bin/sh\necho "E: Unable to locate package $2" >&2\nexit 100\n')
    fake.chmod(0o755)
    monkeypatch.setenv('PATH', f'{fake.parent}{os.pathsep}{os.environ["PATH"]}')
    with pytest.raises(ShapeSourceError, match='Unable to locate package nosuch.*apt-get update') as error:
        sources.download_deb('nosuch', str(tmp_path / 'dl'))
    assert '\n' not in str(error.value)


# ---- sweethome3d-default: the application's own catalog inside sweethome3d.jar ---------------------

def test_default_catalog_from_a_fake_sweethome3d_package(tmp_path):
    from datasets.real import sweethome3d_default as default
    res = default.RESOURCES
    properties = '\n'.join([
        'name#1=Chair', 'category#1=Living room', f'model#1=/{res}chair.obj',
        'name#2=Bath', 'category#2=Bathroom', f'model#2=/{res}bath.obj', 'modelRotation#2=0 0 -1 0 1 0 1 0 0',
        'name#3=Red light source', 'category#3=Lights', f'model#3=/{res}ball.obj',
        'name#4=Door', 'category#4=Doors and windows', f'model#4=/{res}door.obj', 'doorOrWindow#4=true',
        'name#5=Armchair', 'category#5=Living room', f'model#5=/{res}armchair.obj', 'modelRotation#5=1 0 0 0 0 1 0 -1 0',
        'name#6=TV unit', 'category#6=Living room', f'model#6=/{res}tvUnit.obj',
        'name#7=Square table', 'category#7=Living room', f'model#7=/{res}missing.obj'])
    jar = io.BytesIO()
    with zipfile.ZipFile(jar, 'w') as z:
        z.writestr(default.CATALOG, properties)
        for name in ('chair', 'bath', 'ball', 'door', 'armchair', 'tvUnit'):
            z.writestr(f'{res}{name}.obj', 'v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n')
        z.writestr(f'{res}chair.mtl', 'newmtl wood\nKd 0.5 0.3 0.1\n')
    deb = _write_deb(tmp_path / 'sweethome3d_7.0.2_all.deb', {
        default.JAR: jar.getvalue(), default.COPYRIGHT: b'Files: *\nLicense: GPL-2+\n'})
    folder, entries = default.fetch(str(tmp_path / 'shapes'), deb=str(deb))
    got = {e['comment'].split(' (')[0]: e['synset'] for e in entries}
    assert got == {'Chair': CHAIR, 'Bath': SKIP, 'Red light source': SKIP, 'Door': SKIP,
                   'Armchair': CHAIR, 'TV unit': SKIP, 'Square table': SKIP}   # the table's file is missing
    armchair = [e for e in entries if e['comment'].startswith('Armchair')][0]
    assert (armchair['up'], armchair['front']) == ('+z', '-y')   # modelRotation's second and third rows
    shapes_map = read_map(os.path.join(folder, 'map.yaml'))
    assert shapes_map['source'] == 'sweethome3d-default' and 'GPL-2+' in shapes_map['terms']
    assert os.path.isfile(os.path.join(folder, *f'{res}chair.mtl'.split('/')))
    assert 'GPL-2+' in open(os.path.join(folder, 'debian-copyright.txt')).read()
    assert '| Chair (Living room) | chair |' in open(os.path.join(folder, 'ATTRIBUTION.md')).read()
    broken = tmp_path / 'broken_7_all.deb'
    _write_deb(broken, {default.JAR: b'not a zip'})
    with pytest.raises(ShapeSourceError, match='corrupt jar'):
        default.fetch(str(tmp_path / 'shapes2'), deb=str(broken))
