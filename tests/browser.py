"""Headless Chromium driven through the DevTools protocol over a pipe (--remote-debugging-pipe): no
websocket library and no debugging port; messages are JSON separated by NUL bytes on fds 3 and 4.

    with Browser(offline=True) as page:
        page.open('file:///.../prediction.html')
        page.evaluate('document.title'); png = page.screenshot()
        page.requests   # every URL the page asked for (Network.requestWillBeSent)
"""
import base64
import fcntl
import io
import json
import os
import queue
import shutil
import subprocess
import tempfile
import threading
import time

CANDIDATES = ('chromium', 'chromium-browser', 'google-chrome')


def chromium():
    """The Chromium executable, or None."""
    return next((shutil.which(name) for name in CANDIDATES if shutil.which(name)), None)


def skip_reason():
    """Why browser tests cannot run here, or None."""
    if chromium() is None:
        return ('no Chromium found (Debian: apt-get install chromium; ./run.sh check installs it where it '
                'runs as root)')
    return None


class BrowserError(RuntimeError):
    pass


class Browser:
    def __init__(self, offline=False, width=1200, height=800, timeout=60.0):
        self.timeout = timeout
        self.profile = tempfile.mkdtemp(prefix='chromium-profile-')
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()

        def wire_pipes():   # in the child: our pipe ends become fds 3 (commands) and 4 (answers)
            high_r = fcntl.fcntl(to_browser_r, fcntl.F_DUPFD, 20)
            high_w = fcntl.fcntl(from_browser_w, fcntl.F_DUPFD, 20)
            os.dup2(high_r, 3)
            os.dup2(high_w, 4)

        args = [chromium(), '--headless', '--no-sandbox', '--disable-gpu', '--remote-debugging-pipe',
                f'--user-data-dir={self.profile}', f'--window-size={width},{height}', '--no-first-run',
                '--no-default-browser-check', '--disable-background-networking', '--disable-component-update',
                '--disable-sync', '--disable-extensions', '--mute-audio', '--hide-scrollbars']
        if offline:   # nothing outside this machine resolves, and every proxied request goes nowhere
            args += ['--host-resolver-rules=MAP * ~NOTFOUND', '--proxy-server=127.0.0.1:9',
                     '--proxy-bypass-list=<-loopback>']
        self.process = subprocess.Popen(args + ['about:blank'], preexec_fn=wire_pipes, pass_fds=(3, 4),
                                        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._next_id = 0
        self._answers = {}
        self._events = queue.Queue()
        self._lock = threading.Condition()
        self.requests = []
        self.console = []
        threading.Thread(target=self._read, daemon=True).start()
        target = next(t for t in self._call('Target.getTargets')['targetInfos'] if t['type'] == 'page')
        self.session = self._call('Target.attachToTarget', targetId=target['targetId'], flatten=True)['sessionId']
        for domain in ('Page', 'Network', 'Runtime'):
            self.call(f'{domain}.enable')
        self.call('Emulation.setDeviceMetricsOverride', width=width, height=height, deviceScaleFactor=1,
                  mobile=False)
        if offline:
            self.call('Network.emulateNetworkConditions', offline=True, latency=0, downloadThroughput=-1,
                      uploadThroughput=-1)

    # --- protocol
    def _read(self):
        buffer = b''
        while True:
            try:
                chunk = os.read(self._from_browser, 1 << 16)
            except OSError:
                chunk = b''
            if not chunk:
                with self._lock:
                    self._answers[None] = 'closed'
                    self._lock.notify_all()
                return
            buffer += chunk
            *messages, buffer = buffer.split(b'\0')
            for raw in messages:
                message = json.loads(raw)
                if 'id' in message:
                    with self._lock:
                        self._answers[message['id']] = message
                        self._lock.notify_all()
                else:
                    self._event(message)

    def _event(self, message):
        method, params = message.get('method'), message.get('params', {})
        if method == 'Network.requestWillBeSent':
            self.requests.append(params['request']['url'])
        elif method == 'Runtime.consoleAPICalled':
            self.console.append(' '.join(str(a.get('value', a.get('description', ''))) for a in params['args']))
        elif method == 'Runtime.exceptionThrown':
            self.console.append('exception: ' + params['exceptionDetails'].get('exception', {}).get(
                'description', params['exceptionDetails'].get('text', '')))
        self._events.put((method, params))

    def _call(self, method, session=None, **params):
        with self._lock:
            self._next_id += 1
            number = self._next_id
        message = {'id': number, 'method': method, 'params': params}
        if session:
            message['sessionId'] = session
        os.write(self._to_browser, json.dumps(message).encode() + b'\0')
        deadline = time.monotonic() + self.timeout
        with self._lock:
            while number not in self._answers:
                if None in self._answers:
                    raise BrowserError(f'Chromium closed while answering {method}')
                left = deadline - time.monotonic()
                if left <= 0:
                    raise BrowserError(f'Chromium did not answer {method} in {self.timeout:.0f} s')
                self._lock.wait(left)
            answer = self._answers.pop(number)
        if 'error' in answer:
            raise BrowserError(f'{method}: {answer["error"].get("message")}')
        return answer.get('result', {})

    def call(self, method, **params):
        """A DevTools command on the page."""
        return self._call(method, session=self.session, **params)

    def wait_event(self, method, timeout=None):
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise BrowserError(f'no {method} event in {timeout or self.timeout:.0f} s')
            try:
                name, params = self._events.get(timeout=left)
            except queue.Empty:
                continue
            if name == method:
                return params

    # --- what tests use
    def open(self, url):
        while not self._events.empty():
            self._events.get_nowait()
        answer = self.call('Page.navigate', url=url)
        if 'errorText' in answer:
            raise BrowserError(f'{url}: {answer["errorText"]}')
        if answer.get('loaderId'):   # a new document (a change of #fragment only loads nothing)
            self.wait_event('Page.loadEventFired')

    def evaluate(self, expression):
        """The value of a JavaScript expression (promises awaited); a thrown error raises BrowserError."""
        result = self.call('Runtime.evaluate', expression=expression, returnByValue=True, awaitPromise=True)
        if 'exceptionDetails' in result:
            details = result['exceptionDetails']
            raise BrowserError(details.get('exception', {}).get('description', details.get('text')))
        return result['result'].get('value')

    def wait_for(self, expression, timeout=30.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = self.evaluate(expression)
            if value:
                return value
            time.sleep(0.05)
        raise BrowserError(f'{expression} still false after {timeout:.0f} s')

    def after_frames(self):
        """Let the page draw what was asked (two animation frames)."""
        self.evaluate('new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))')

    def screenshot(self, selector=None):
        """PNG bytes of the page, or of one element."""
        params = {'format': 'png'}
        if selector:
            box = self.evaluate(f'(() => {{ const r = document.querySelector({json.dumps(selector)})'
                                '.getBoundingClientRect(); return [r.x, r.y, r.width, r.height]; })()')
            params['clip'] = dict(zip(('x', 'y', 'width', 'height'), box), scale=1)
        return base64.b64decode(self.call('Page.captureScreenshot', **params)['data'])

    def pixels(self, selector=None):
        import numpy as np
        from PIL import Image
        return np.asarray(Image.open(io.BytesIO(self.screenshot(selector))).convert('RGB'))

    def drag(self, start, end, steps=8):
        (x0, y0), (x1, y1) = start, end
        self.call('Input.dispatchMouseEvent', type='mousePressed', x=x0, y=y0, button='left', clickCount=1)
        for i in range(1, steps + 1):
            self.call('Input.dispatchMouseEvent', type='mouseMoved', button='left', buttons=1,
                      x=x0 + (x1 - x0) * i / steps, y=y0 + (y1 - y0) * i / steps)
        self.call('Input.dispatchMouseEvent', type='mouseReleased', x=x1, y=y1, button='left', clickCount=1)

    def set_files(self, selector, paths):
        node = self.call('Runtime.evaluate', expression=f'document.querySelector({json.dumps(selector)})')
        self.call('DOM.setFileInputFiles', files=[str(p) for p in paths], objectId=node['result']['objectId'])

    def close(self):
        try:
            self._call('Browser.close')
        except BrowserError:
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        for fd in (self._to_browser, self._from_browser):
            try:
                os.close(fd)
            except OSError:
                pass
        shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
