"""prediction.html in a real browser: headless Chromium, from disk, with the network off.

Skipped with a line saying why where no Chromium is installed (./run.sh check installs Debian's where
it runs as root). R2N2_UPDATE_SCREENSHOT=1 makes the shipped-weights test write docs/viewer.png.
"""
import io
import os
import pathlib
import subprocess

import numpy as np
import pytest
from PIL import Image

from lib.demo.viewer import page_occupied, write_viewer
from tests.browser import Browser, skip_reason
from tests.conftest import REPO
from tests.commands.test_viewer import synthetic_refinement, synthetic_views

pytestmark = pytest.mark.skipif(skip_reason() is not None, reason=skip_reason() or '')

SET_SLIDER = ('(() => {{ const s = document.getElementById({name!r}); s.value = {value}; '
              's.dispatchEvent(new Event("input")); }})()')


@pytest.fixture(scope='module')
def offline_browser():
    with Browser(offline=True) as browser:
        yield browser


@pytest.fixture(scope='module')
def synthetic_page(tmp_path_factory):
    path = tmp_path_factory.mktemp('viewer') / 'prediction.html'
    refinement = synthetic_refinement()
    write_viewer(str(path), refinement, synthetic_views(3), threshold=0.4, network='synthetic')
    return path, refinement


def shape_pixels(browser):
    browser.after_frames()
    return browser.pixels('#shape')


def drawn_share(pixels):
    """Share of the canvas that is not its white background."""
    return float((pixels < 245).any(axis=2).mean())


def changed_share(a, b):
    return float((np.abs(a.astype(int) - b) > 8).any(axis=2).mean())


def test_the_page_draws_from_disk_offline_and_asks_for_nothing(offline_browser, synthetic_page):
    path, refinement = synthetic_page
    browser = offline_browser
    browser.requests.clear()
    browser.open(path.as_uri())
    browser.wait_for('document.body.dataset.firstDrawnMs')
    first = shape_pixels(browser)
    assert drawn_share(first) > 0.1, 'the canvas is blank'
    shown = int(browser.evaluate('document.getElementById("shape").dataset.voxels'))
    assert shown == page_occupied(refinement[-1], 0.4).sum()
    # the view slider: after view 1 the shape is only the ball
    browser.evaluate(SET_SLIDER.format(name='view', value=1))
    after_one = shape_pixels(browser)
    assert changed_share(first, after_one) > 0.05, 'moving the view slider did not change the picture'
    assert int(browser.evaluate('document.getElementById("shape").dataset.voxels')) == \
        page_occupied(refinement[0], 0.4).sum()
    # the threshold slider: fewer voxels at 0.7
    browser.evaluate(SET_SLIDER.format(name='view', value=3))
    browser.evaluate(SET_SLIDER.format(name='threshold', value=0.7))
    browser.after_frames()
    assert int(browser.evaluate('document.getElementById("shape").dataset.voxels')) == \
        page_occupied(refinement[-1], 0.7).sum()
    browser.evaluate(SET_SLIDER.format(name='threshold', value=0.4))
    # a drag turns the shape, the wheel zooms it
    before = shape_pixels(browser)
    box = browser.evaluate('(() => { const r = document.getElementById("shape").getBoundingClientRect();'
                           ' return [r.x + r.width / 2, r.y + r.height / 2]; })()')
    browser.drag(box, (box[0] + 120, box[1] + 30))
    turned = shape_pixels(browser)
    assert changed_share(before, turned) > 0.05, 'dragging did not turn the shape'
    browser.call('Input.dispatchMouseEvent', type='mouseWheel', x=box[0], y=box[1], deltaX=0, deltaY=-400)
    zoomed = shape_pixels(browser)
    assert drawn_share(zoomed) > drawn_share(turned) * 1.3, 'the wheel did not zoom in'
    # nothing but the file itself and its own data: URLs was asked for; no script error
    outside = [url for url in browser.requests if not (url == path.as_uri() or url.startswith('data:'))]
    assert outside == [], outside
    assert not [line for line in browser.console if line.startswith('exception')], browser.console


def test_a_link_opens_a_given_state(offline_browser, synthetic_page):
    path, refinement = synthetic_page
    offline_browser.open('about:blank')
    offline_browser.open(path.as_uri() + '#view=2&threshold=0.6&colour=neutral')
    offline_browser.wait_for('document.body.dataset.firstDrawnMs')
    offline_browser.after_frames()
    assert offline_browser.evaluate('document.getElementById("view-value").textContent') == '2 of 3'
    assert int(offline_browser.evaluate('document.getElementById("shape").dataset.voxels')) == \
        page_occupied(refinement[1], 0.6).sum()
    pixels = offline_browser.pixels('#shape')
    drawn = pixels[(pixels < 245).any(axis=2)].astype(int)
    assert np.abs(drawn[:, 0] - drawn[:, 2]).mean() < 60, 'neutral colours are greyish blue, not viridis'


@pytest.mark.slow
def test_the_shipped_chair_page_size_draw_time_and_screenshot(offline_browser, tmp_path):
    views = [REPO / 'experiments' / 'demo' / f'chair_{i:02d}.png' for i in range(3)]
    result = subprocess.run([str(REPO / 'run.sh'), 'demo', *map(str, views), '--out', str(tmp_path)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    page = tmp_path / 'prediction.html'
    size = page.stat().st_size
    assert size <= 2 * 1024 * 1024, f'{size} bytes'
    offline_browser.open(page.as_uri())
    drawn_ms = float(offline_browser.wait_for('document.body.dataset.firstDrawnMs'))
    assert drawn_ms < 2000, f'first drawn {drawn_ms:.0f} ms after the page started'
    pixels = shape_pixels(offline_browser)
    assert drawn_share(pixels) > 0.1
    redraw_ms = offline_browser.evaluate('document.getElementById("shape").dataset.drawMs')
    print(f'prediction.html {size / 1024:.0f} KiB, first drawn {drawn_ms:.0f} ms after navigation start, '
          f'one redraw {redraw_ms} ms')
    shot = offline_browser.screenshot()
    Image.open(io.BytesIO(shot)).verify()
    if os.environ.get('R2N2_UPDATE_SCREENSHOT'):
        pathlib.Path(REPO / 'docs').mkdir(exist_ok=True)
        (REPO / 'docs' / 'viewer.png').write_bytes(shot)
