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
