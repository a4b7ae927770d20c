"""./run.sh serve: the web app on 127.0.0.1, over HTTP and in headless Chromium."""
import io
import json
import os
import signal
import subprocess
import threading
import urllib.error
import urllib.request
import uuid

import numpy as np
import pytest
from PIL import Image

from lib.demo.exports import read_mesh_vertices
from lib.demo.server import MAX_FILE_BYTES, App, make_server
from tests.browser import Browser, skip_reason
from tests.conftest import REPO

CHAIR = [REPO / 'experiments' / 'demo' / f'chair_{i:02d}.png' for i in range(3)]


@pytest.fixture(scope='module')
def tiny_weights(tmp_path_factory):
    import keras
    from lib.weights import save_weights
    from models import build_network
    keras.utils.set_random_seed(5)
    path = tmp_path_factory.mktemp('weights') / 'tiny.weights.h5'
    return str(save_weights(build_network('res_gru_3', width=0.0625), str(path)))


@pytest.fixture(scope='module')
def server(tiny_weights):
    from lib.demo.reconstruct import Reconstructor
    reconstructor = Reconstructor(tiny_weights)
    # the untrained network's probabilities sit near 0.5: its median splits them, so a surface exists
    threshold = float(np.median(reconstructor(list(map(str, CHAIR)))))
    app = App(reconstructor, threshold=threshold, log=lambda line: None)
    httpd = make_server(app, port=0)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    host, port = httpd.server_address
    yield f'http://{host}:{port}'
    httpd.shutdown()
    httpd.server_close()
    app.close()


def post(base, files):
    """POST /reconstruct with files [(name, bytes)]; (status, answer)."""
    boundary = uuid.uuid4().hex
    body = b''.join(f'--{boundary}\r\nContent-Disposition: form-data; name="images"; filename="{name}"\r\n'
                    f'Content-Type: application/octet-stream\r\n\r\n'.encode() + data + b'\r\n'
                    for name, data in files) + f'--{boundary}--\r\n'.encode()
    request = urllib.request.Request(f'{base}/reconstruct', data=body, method='POST',
                                     headers={'Content-Type': f'multipart/form-data; boundary={boundary}'})
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def fetch(base, path):
    with urllib.request.urlopen(base + path, timeout=60) as response:
        return response.read()


def chair_files(count=3):
    return [(p.name, p.read_bytes()) for p in CHAIR[:count]]


def obj_vertices(text):
    return np.array([list(map(float, l.split()[1:])) for l in text.splitlines() if l.startswith('v ')])


def jpeg_bytes():
    buffer = io.BytesIO()
    Image.open(CHAIR[0]).convert('RGB').save(buffer, format='JPEG', quality=90)
    return buffer.getvalue()


def test_three_views_give_the_viewer_and_downloads(server, tmp_path):
    status, answer = post(server, chair_files(3))
    assert status == 200 and answer['ok'] and answer['views'] == 3, answer
    page = fetch(server, answer['viewer']).decode()
    assert "default-src 'none'" in page and '"network":"res_gru_3"' in page
    glb = tmp_path / 'prediction.glb'
    glb.write_bytes(fetch(server, answer['downloads']['glb']))
    obj = obj_vertices(fetch(server, answer['downloads']['obj']).decode())
    assert len(obj) > 50
    np.testing.assert_allclose(read_mesh_vertices(str(glb)), obj, atol=1e-5)
    assert fetch(server, answer['downloads']['binvox']).startswith(b'#binvox 1')


@pytest.mark.parametrize('files, message', [
    ([('notes.txt', b'not an image at all')], 'notes.txt'),
    ([('empty.png', b'')], 'empty.png: the file is empty'),
    ([('huge.png', b'\0' * (50 * 1024 * 1024))], 'huge.png: 50 MB is too large'),
    ([('v.png', b'x')] * 6, '6 files received'),
    ([('v.png', b'x')] * 20, '20 files received'),
    ([('cut.jpg', jpeg_bytes()[:3000])], 'cut.jpg'),
    ([], 'no photo received'),
], ids=['text', 'empty', '50MB', 'six', 'twenty', 'corrupt-jpeg', 'none'])
def test_bad_uploads_get_a_message_and_the_server_keeps_serving(server, files, message):
    status, answer = post(server, files)
    assert status in (400, 413) and not answer['ok']
    assert message in answer['error'], answer['error']
    assert '\n' not in answer['error']
    status, answer = post(server, chair_files(1))
    assert status == 200 and answer['ok']


def test_a_jpeg_upload_works(server):
    status, answer = post(server, [('photo.jpg', jpeg_bytes())])
    assert status == 200 and answer['ok'], answer


def test_two_requests_at_once_are_both_answered(server):
    answers = [None, None]

    def ask(i):
        answers[i] = post(server, chair_files(2 + i))
    threads = [threading.Thread(target=ask, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert [a[0] for a in answers] == [200, 200]
    assert sorted(a[1]['views'] for a in answers) == [2, 3]
    assert answers[0][1]['viewer'] != answers[1][1]['viewer']


def test_only_result_files_are_served(server):
    for path in ('/result/../../etc/passwd', '/result/0123456789abcdef/prediction.html', '/result/x/y'):
        with pytest.raises(urllib.error.HTTPError) as e:
            fetch(server, path)
        assert e.value.code == 404
    assert b'<input type="file"' in fetch(server, '/')


@pytest.mark.skipif(skip_reason() is not None, reason=skip_reason() or '')
def test_in_a_browser_upload_view_download_then_a_bad_upload_then_a_good_one(server, tmp_path):
    bad = tmp_path / 'broken.jpg'
    bad.write_bytes(jpeg_bytes()[:2000])
    with Browser() as browser:
        browser.open(server + '/')
        browser.set_files('#images', CHAIR)
        browser.evaluate('document.getElementById("go").click()')
        assert browser.wait_for('["done", "error"].includes(document.body.dataset.state) && document.body.dataset.state',
                                timeout=120) == 'done', browser.evaluate('document.getElementById("message").textContent')
        # the viewer of item 1 draws inside the page
        drawn = 'document.getElementById("viewer").contentDocument?.body?.dataset.firstDrawnMs'
        browser.wait_for(drawn, timeout=60)
        voxels = int(browser.evaluate('document.getElementById("viewer").contentDocument'
                                      '.getElementById("shape").dataset.voxels'))
        assert voxels > 0
        href = browser.evaluate('document.getElementById("download-glb").href')
        obj_href = browser.evaluate('document.getElementById("download-obj").href')
        glb = tmp_path / 'downloaded.glb'
        with urllib.request.urlopen(href, timeout=60) as response:
            glb.write_bytes(response.read())
        with urllib.request.urlopen(obj_href, timeout=60) as response:
            obj = obj_vertices(response.read().decode())
        np.testing.assert_allclose(read_mesh_vertices(str(glb)), obj, atol=1e-5)
        # a bad upload: its message in the page
        browser.set_files('#images', [bad])
        browser.evaluate('document.getElementById("go").click()')
        browser.wait_for('document.body.dataset.state === "error"', timeout=60)
        text = browser.evaluate('document.getElementById("message").textContent')
        assert 'broken.jpg' in text, text
        # and the next good one still works
        browser.set_files('#images', CHAIR[:2])
        browser.evaluate('document.getElementById("go").click()')
        browser.wait_for('document.body.dataset.state === "done"', timeout=120)
        assert browser.evaluate('document.getElementById("message").textContent').startswith('2 views')


@pytest.mark.slow
def test_run_sh_serve_listens_on_loopback_and_stops_on_ctrl_c(tiny_weights, tmp_path):
    # stderr (warm-up bar, TensorFlow's lines) goes to a file: an unread pipe could fill and block the server
    with open(tmp_path / 'stderr.txt', 'w') as stderr:
        # Ctrl-C as a terminal sends it: SIGINT back to its default in the child (a process started while
        # SIGINT is ignored, as in a background job, ignores it too, and then Python never raises KeyboardInterrupt)
        process = subprocess.Popen([str(REPO / 'run.sh'), 'serve', '--port', '0', '--weights', tiny_weights],
                                   stdout=subprocess.PIPE, stderr=stderr, text=True,
                                   preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
        try:
            line = process.stdout.readline()
            assert line.startswith('serving on http://127.0.0.1:'), line + (tmp_path / 'stderr.txt').read_text()
            base = line.split()[2].rstrip('/')
            assert b'Reconstruct' in fetch(base, '/')
        finally:
            process.send_signal(signal.SIGINT)
            process.wait(timeout=120)
    assert process.returncode == 0, (tmp_path / 'stderr.txt').read_text()


def test_serve_arguments_are_checked_before_loading():
    result = subprocess.run([str(REPO / 'run.sh'), 'serve', '--weights', '/nonexistent.weights.h5'],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 1 and result.stderr.strip().splitlines()[-1] == \
        'error: weights file not found: /nonexistent.weights.h5'
    assert MAX_FILE_BYTES < 50 * 1024 * 1024   # the 50 MB file is refused
