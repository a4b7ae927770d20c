"""./run.sh serve: a local web app around the viewer. Drop 1 to 5 photos of one object, get
prediction.html in the page and download buttons for .binvox, .obj and .glb.

The standard library's ThreadingHTTPServer, not Gradio: no new dependency, nothing downloaded on first
use, no analytics to turn off, and the page it shows is the very prediction.html the demo writes
(tested in a browser once for both). It listens on 127.0.0.1 only. Each request is answered on its
own thread; reconstructions take turns on the one model (a lock), so two requests at once are both
answered. Uploads are checked before the network sees them (count, size, decodable image), and a bad
one gets its message in the page while the server keeps serving. Results live in a temporary folder,
the newest KEEP_RESULTS of them; the folder goes when the server stops.
"""
import email.parser
import email.policy
import http.server
import json
import os
import re
import secrets
import shutil
import sys
import tempfile
import threading
import time
import urllib.parse

from lib.data_io import DataError

MAX_VIEWS = 5
MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_BODY_BYTES = MAX_VIEWS * MAX_FILE_BYTES + 64 * 1024   # multipart headers on top of the files
DRAIN_LIMIT = 512 * 1024 * 1024   # a larger body is not read to its end: the connection is closed
KEEP_RESULTS = 20
DOWNLOADS = {'binvox': 'prediction.binvox', 'obj': 'prediction.obj', 'glb': 'prediction.glb'}
SERVED = {'prediction.html': 'text/html; charset=utf-8', 'prediction.binvox': 'application/octet-stream',
          'prediction.obj': 'model/obj', 'prediction.glb': 'model/gltf-binary'}
UPLOAD_PAGE = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'upload_page.html')


class UploadError(ValueError):
    """A bad upload: its message is shown in the page (HTTP status with it)."""

    def __init__(self, message, status=400):
        super().__init__(message)
        self.status = status


def _megabytes(n):
    return f'{n / (1024 * 1024):.0f} MB'


def parse_upload(content_type, body):
    """The files of a multipart/form-data body: [(file name, bytes)] in the order sent."""
    if not content_type.lower().startswith('multipart/form-data'):
        raise UploadError('send the photos as multipart/form-data (the page does)')
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b'Content-Type: ' + content_type.encode('latin-1') + b'\r\n\r\n' + body)
    if not message.is_multipart():   # no part found: nothing was sent (a form with no file chosen)
        return []
    files = []
    for part in message.iter_parts():
        if part.get_param('name', header='content-disposition') != 'images':
            continue
        name = os.path.basename(part.get_filename() or '') or f'file {len(files) + 1}'
        files.append((name, part.get_payload(decode=True) or b''))
    return files


def check_files(files):
    """Count and size rules, before anything is decoded."""
    if not files:
        raise UploadError('no photo received: choose or drop 1 to 5 photos of one object')
    if len(files) > MAX_VIEWS:
        raise UploadError(f'{len(files)} files received; send 1 to {MAX_VIEWS} photos of one object')
    for name, data in files:
        if not data:
            raise UploadError(f'{name}: the file is empty')
        if len(data) > MAX_FILE_BYTES:
            raise UploadError(f'{name}: {_megabytes(len(data))} is too large (at most '
                              f'{_megabytes(MAX_FILE_BYTES)} a photo)', 413)


def decode_images(files, folder):
    """Decode every upload (saved under folder) to an image array; a file that is not a readable
    image is an UploadError naming it."""
    from lib.data_augmentation import load_image
    images = []
    for index, (name, data) in enumerate(files):
        suffix = os.path.splitext(name)[1].lower()
        suffix = suffix if re.fullmatch(r'\.[a-z0-9]{1,5}', suffix) else ''   # Pillow reads the content, not the name
        path = os.path.join(folder, f'upload_{index + 1}{suffix}')
        with open(path, 'wb') as f:
            f.write(data)
        try:
            images.append(load_image(path, formats=None))
        except DataError as e:
            reason = str(e).replace(path, '').lstrip(': ').strip() or 'not an image'
            raise UploadError(f'{name}: {reason}') from None
    return images


class App:
    """The model, the folder of results, and the lock the reconstructions take turns on."""

    def __init__(self, reconstructor, threshold=0.4, log=print):
        self.reconstructor = reconstructor
        self.threshold = threshold
        self.log = log
        self.root = tempfile.mkdtemp(prefix='r2n2-serve-')
        self.model_lock = threading.Lock()
        self.results = []   # job ids, oldest first
        self.results_lock = threading.Lock()

    def reconstruct(self, files):
        """Check, decode and reconstruct one upload; returns the answer the page reads."""
        from lib.demo.outputs import CORE, write_reconstruction
        check_files(files)
        job = secrets.token_hex(8)
        folder = os.path.join(self.root, job)
        os.makedirs(folder)
        try:
            images = decode_images(files, folder)
            with self.model_lock:   # one reconstruction at a time: the times below are this one's
                started, cpu_started = time.monotonic(), time.process_time()
                views = self.reconstructor.prepare(images)
                refinement = self.reconstructor.refine(images)
                write_reconstruction(folder, views, refinement, self.threshold, self.reconstructor.name,
                                     what=CORE)
                seconds, cpu_seconds = time.monotonic() - started, time.process_time() - cpu_started
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        self._keep(job)
        occupied = int((refinement[-1] >= self.threshold).sum())
        self.log(f'reconstructed {len(images)} view(s) in {seconds:.2f} s ({cpu_seconds:.2f} s of CPU): '
                 f'{occupied} voxels ({job})')
        # seconds: wall time from the model's turn to the files written; cpu_seconds: this process's CPU
        # time meanwhile (all its threads; a measure that other programs' load does not inflate)
        return {'ok': True, 'viewer': f'/result/{job}/prediction.html', 'seconds': round(seconds, 3),
                'cpu_seconds': round(cpu_seconds, 3),
                'views': len(images), 'voxels': occupied,
                'downloads': {kind: f'/result/{job}/{name}' for kind, name in DOWNLOADS.items()}}

    def _keep(self, job):
        with self.results_lock:
            self.results.append(job)
            while len(self.results) > KEEP_RESULTS:
                shutil.rmtree(os.path.join(self.root, self.results.pop(0)), ignore_errors=True)

    def result_file(self, job, name):
        """Path of a served result file, or None."""
        if name not in SERVED or not re.fullmatch(r'[0-9a-f]{16}', job):
            return None
        path = os.path.join(self.root, job, name)
        return path if os.path.isfile(path) else None

    def close(self):
        shutil.rmtree(self.root, ignore_errors=True)


class Handler(http.server.BaseHTTPRequestHandler):
    app = None   # set on the server's subclass
    protocol_version = 'HTTP/1.1'
    server_version = 'r2n2-serve'

    def log_message(self, format, *args):   # requests are not logged; reconstructions are
        pass

    def _send(self, status, body, content_type, headers=()):
        self.send_response(status)
        self.send_header('Content-Type', content_type)
        self.send_header('Content-Length', str(len(body)))
        self.send_header('Cache-Control', 'no-store')
        for key, value in headers:
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status, answer, close=False):
        self._send(status, json.dumps(answer).encode(), 'application/json',
                   [('Connection', 'close')] if close else [])
        if close:
            self.close_connection = True

    def do_GET(self):
        path = urllib.parse.urlsplit(self.path).path
        if path in ('/', '/index.html'):
            with open(UPLOAD_PAGE, 'rb') as f:
                page = f.read().replace(b'__MAX_VIEWS__', str(MAX_VIEWS).encode())
            return self._send(200, page, 'text/html; charset=utf-8')
        match = re.fullmatch(r'/result/([^/]+)/([^/]+)', path)
        found = match and self.app.result_file(*match.groups())
        if not found:
            return self._send(404, b'not found (results are kept for the newest 20 reconstructions)',
                              'text/plain; charset=utf-8')
        name = os.path.basename(found)
        with open(found, 'rb') as f:
            body = f.read()
        headers = [] if name.endswith('.html') else [('Content-Disposition', f'attachment; filename="{name}"')]
        self._send(200, body, SERVED[name], headers)

    def do_POST(self):
        if urllib.parse.urlsplit(self.path).path != '/reconstruct':
            return self._json(404, {'ok': False, 'error': 'nothing to post here'})
        try:
            length = int(self.headers.get('Content-Length', ''))
        except ValueError:
            return self._json(411, {'ok': False, 'error': 'the upload has no length'}, close=True)
        if length > MAX_BODY_BYTES:
            self._drain(length)
            return self._json(413, {'ok': False, 'error': f'the upload is {_megabytes(length)}; at most '
                                    f'{_megabytes(MAX_FILE_BYTES)} a photo, {MAX_VIEWS} photos'}, close=True)
        body = self.rfile.read(length)
        try:
            answer = self.app.reconstruct(parse_upload(self.headers.get('Content-Type', ''), body))
        except UploadError as e:
            return self._json(e.status, {'ok': False, 'error': str(e)})
        except DataError as e:   # the image decoded but the network could not use it
            return self._json(400, {'ok': False, 'error': str(e)})
        except Exception as e:   # a bug: said in the page and on the console; the server keeps serving
            print(f'serve: {type(e).__name__}: {e}', file=sys.stderr)
            return self._json(500, {'ok': False, 'error': f'the reconstruction failed ({type(e).__name__}: {e})'})
        self._json(200, answer)

    def _drain(self, length):
        """Read a refused body (up to DRAIN_LIMIT) so the browser sees the answer, not a reset."""
        left = min(length, DRAIN_LIMIT)
        while left > 0:
            chunk = self.rfile.read(min(left, 1 << 20))
            if not chunk:
                break
            left -= len(chunk)


def make_server(app, port=8000, host='127.0.0.1'):
    """The HTTP server of app (port 0: any free port; server.server_address says which)."""
    handler = type('AppHandler', (Handler,), {'app': app})
    server = http.server.ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    return server


def warm_up(reconstructor):
    """Run the network once for every view count: the first call of each traces its graph (seconds),
    which would otherwise fall on the first visitor's answer."""
    import numpy as np
    from lib.output.progress import Progress
    image = np.full((137, 137, 3), 240, np.uint8)
    image[30:110, 45:95] = 90   # an object, so the input checks have nothing to warn about
    progress = Progress(MAX_VIEWS, 'warming up the model (1 to 5 views)')
    for views in range(1, MAX_VIEWS + 1):
        reconstructor.refine([image] * views)
        progress.update()


def serve(reconstructor, port=8000, host='127.0.0.1', threshold=0.4):
    app = App(reconstructor, threshold)
    server = make_server(app, port, host)   # the port is taken (or refused) before the warm-up
    try:
        warm_up(reconstructor)   # a visitor meanwhile waits in the queue of connections
        print(f'serving on http://{server.server_address[0]}:{server.server_address[1]}/ '
              f'(Ctrl-C stops it)', flush=True)
        server.serve_forever()
    except KeyboardInterrupt:
        print('stopped', file=sys.stderr)
    finally:
        server.server_close()
        app.close()
    return 0
