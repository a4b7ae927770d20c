"""Training batches, test views and voxels, and the checks that keep bad data from crashing a run.

Training batch k is a pure function of (seed, k) and the files: models are visited in a fresh
permutation per pass over the training set (like the original's reshuffle per epoch), each batch
draws one number of views in 1..N_VIEWS, and each sample draws its view ids from the NUM_RENDERING
renderings with replacement. A killed run therefore resumes exactly by starting at batch `offset`.

A model whose files are bad is skipped for that sample and replaced by another model drawn from the
key (seed, batch, slot, attempt), so the replacement is the same on every run; each bad model is
reported once (one line naming the file and the problem) and counted.
"""
import collections
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from lib.binvox_rw import BinvoxError, read_binvox
from lib.data_augmentation import load_backgrounds, load_image, preprocess_test, preprocess_train, verify_image
from lib.data_io import (DataError, category_models, dataset_root, list_models, load_categories,
                         rendering_category_dir, rendering_dir,
                         rendering_path, voxel_path, warn)

# Tags keep the random streams of different purposes apart. Keys all have the same length
# because numpy's SeedSequence treats trailing zeros as absent ([s, 1] == [s, 1, 0]).
_VIEWS, _PERMUTATION, _SAMPLE, _SUBSTITUTE = 1, 2, 3, 4
MAX_SUBSTITUTIONS = 50   # bad models in a row before a batch gives up: the dataset is broken


def _rng(seed, tag, *numbers):
    key = [seed, tag, *numbers]
    return np.random.default_rng(key + [0] * (6 - len(key)) + [1])


def load_voxels(cfg, synset, model):
    """The ground truth of a model: bool (N_VOX, N_VOX, N_VOX) in x-y-z order."""
    path = voxel_path(cfg, synset, model)
    try:
        grid = read_binvox(path).data
    except BinvoxError as e:
        raise DataError(str(e)) from None
    n = cfg.CONST.N_VOX
    if grid.shape != (n, n, n):
        raise DataError(f'{path}: voxel grid is {"x".join(map(str, grid.shape))}, expected {n}x{n}x{n}')
    return grid


def load_rendering(cfg, synset, model, view_index):
    """uint8 (H, W, 3|4) of one rendering; a DataError names the file."""
    path = rendering_path(cfg, synset, model, view_index)
    image = load_image(path)
    _check_size(cfg, path, image.shape[1], image.shape[0])
    return image


def verify_rendering(cfg, synset, model, view_index):
    """load_rendering's checks without decoding the pixels (structure, checksums, size)."""
    path = rendering_path(cfg, synset, model, view_index)
    _check_size(cfg, path, *verify_image(path))


def _check_size(cfg, path, width, height):
    if height < cfg.CONST.IMG_H or width < cfg.CONST.IMG_W:
        raise DataError(f'{path}: image is {width}x{height}, smaller than the '
                        f'{cfg.CONST.IMG_W}x{cfg.CONST.IMG_H} crop')


def load_test_views(cfg, synset, model, n_views):
    """The first n_views renderings with test preprocessing: float32 (n_views, IMG_H, IMG_W, 3)."""
    views = np.empty((n_views, cfg.CONST.IMG_H, cfg.CONST.IMG_W, 3), np.float32)
    for v in range(n_views):
        preprocess_test(load_rendering(cfg, synset, model, v), cfg, out=views[v])
    return views


def missing_files(cfg, synset, model):
    """Problems visible without decoding (a few system calls): missing voxel file or renderings."""
    problems = []
    voxels = voxel_path(cfg, synset, model)
    if not os.path.isfile(voxels):
        problems.append(f'{voxels}: voxel file missing')
    folder = rendering_dir(cfg, synset, model)
    try:
        present = set(os.listdir(folder))
    except OSError:
        return problems + [f'{folder}: rendering folder missing']
    expected = cfg.TRAIN.NUM_RENDERING
    names = [os.path.basename(rendering_path(cfg, synset, model, v)) for v in range(expected)]
    absent = [n for n in names if n not in present]
    have = expected - len(absent)
    problems += [f'{os.path.join(folder, n)}: rendering missing (model has {have} of {expected})'
                 for n in absent]
    return problems


def model_problems(cfg, synset, model, decode=True):
    """Every problem of one model, one 'file: problem' string each; [] for a good model.

    decode=True also reads the binvox and every rendering (what check-data does); decode='verify'
    reads the binvox and checks every rendering's structure and checksums without decoding its
    pixels (what training does the first time it draws a model).
    """
    problems = missing_files(cfg, synset, model)
    if not decode:
        return problems
    if not any('voxel file missing' in p for p in problems):
        try:
            load_voxels(cfg, synset, model)
        except DataError as e:
            problems.append(str(e))
    for v in range(cfg.TRAIN.NUM_RENDERING):
        if os.path.isfile(rendering_path(cfg, synset, model, v)):
            try:
                (verify_rendering if decode == 'verify' else load_rendering)(cfg, synset, model, v)
            except DataError as e:
                problems.append(str(e))
    return problems


def all_models(cfg):
    """Every (synset, model) of the tree: those with a voxel folder (what training lists) and those
    with only a rendering folder (their voxel file is missing), also where a category's whole
    ShapeNetVox32/<synset>/ folder is missing."""
    listed = {}
    try:
        listed = dict(category_models(cfg))
    except DataError:
        if not os.path.isdir(dataset_root(cfg)):
            raise   # a wrong root; a tree with renderings only is listed below
    pairs = []
    for synset, _ in load_categories(cfg):
        folder = rendering_category_dir(cfg, synset)
        rendered = list_models(folder) if os.path.isdir(folder) else []
        pairs += [(synset, m) for m in sorted(set(listed.get(synset, [])) | set(rendered))]
    if not pairs:
        raise DataError(f'dataset root {dataset_root(cfg)}: no model folder under ShapeNetVox32/ or '
                        f'ShapeNetRendering/ for any category of {cfg.DIR.DATASET}')
    return pairs


def check_models(cfg, pairs, workers=2):
    """Yield ((synset, model), problems) for each pair in order, decoding every file in threads."""
    with ThreadPoolExecutor(max(1, workers)) as pool:
        yield from zip(pairs, pool.map(lambda pair: model_problems(cfg, *pair), pairs))


class TrainBatches:
    """Training batches: ((batch, views, IMG_H, IMG_W, 3) float32, (batch, N, N, N) uint8).

    Item i is global batch offset + i, so a run resumed at iteration `offset` sees exactly the batches
    it would have seen. Training decodes batches in threads (threaded_batches, through
    lib.train_net.batch_stream); batch() may be called from several threads at once.

    model_checks: a dict of the models' check results ((synset, model) -> problems) to start from and
    fill in, shared by runs in one process over files that do not change between them (bench's
    steady-state run); by default each TrainBatches checks a model the first time it draws it.
    """

    def __init__(self, cfg, pairs, seed, length, offset=0, model_checks=None):
        if not pairs:
            raise DataError('no training models (the dataset root or its split is empty)')
        if int(seed) < 0:
            raise ValueError(f'seed must be >= 0, got {seed}')
        self.cfg = cfg
        self.pairs = list(pairs)
        self.seed = int(seed)
        self.length = int(length)
        self.offset = int(offset)
        self.batch_size = cfg.CONST.BATCH_SIZE
        self.backgrounds = load_backgrounds(cfg) if cfg.TRAIN.RANDOM_BACKGROUND else None
        self.bad_models = {}      # (synset, model) -> first problem seen
        self.substitutions = 0    # samples that used a replacement model
        # (synset, model) -> model_problems() result, a property of its files
        self._checked = {} if model_checks is None else model_checks
        self._permutations = {}   # pass number -> permutation of the models
        self._lock = threading.Lock()

    def __len__(self):
        return self.length

    def __getitem__(self, i):
        if not 0 <= i < self.length:
            raise IndexError(f'batch {i} out of range 0..{self.length - 1}')
        return self.batch(self.offset + i)

    def _permutation(self, pass_number):
        with self._lock:
            perm = self._permutations.get(pass_number)
            if perm is None:
                perm = _rng(self.seed, _PERMUTATION, pass_number).permutation(len(self.pairs))
                if len(self._permutations) > 4:
                    self._permutations.pop(min(self._permutations))
                self._permutations[pass_number] = perm
            return perm

    def model_index(self, position):
        """Index into pairs of the sample at a global position (batch * batch_size + slot)."""
        pass_number, at = divmod(position, len(self.pairs))
        return int(self._permutation(pass_number)[at])

    def views(self, k):
        """The number of views of global batch k."""
        n_max = self.cfg.CONST.N_VIEWS
        if self.cfg.TRAIN.RANDOM_NUM_VIEWS:
            return int(_rng(self.seed, _VIEWS, k).integers(1, n_max + 1))
        return n_max

    def batch(self, k):
        """Global batch k, computed from (seed, k) alone."""
        cfg = self.cfg
        n_views = self.views(k)
        n = cfg.CONST.N_VOX
        images = np.empty((self.batch_size, n_views, cfg.CONST.IMG_H, cfg.CONST.IMG_W, 3), np.float32)
        voxels = np.empty((self.batch_size, n, n, n), np.uint8)
        for slot in range(self.batch_size):
            index = self.model_index(k * self.batch_size + slot)
            for attempt in range(MAX_SUBSTITUTIONS + 1):
                try:
                    self._load_sample(self.pairs[index], _rng(self.seed, _SAMPLE, k, slot, attempt),
                                      images[slot], voxels[slot])
                    break
                except DataError as e:
                    self._report_bad(self.pairs[index], e)
                    index = int(_rng(self.seed, _SUBSTITUTE, k, slot, attempt).integers(len(self.pairs)))
            else:
                raise DataError(f'batch {k}: {MAX_SUBSTITUTIONS + 1} models in a row could not be loaded '
                                f'({len(self.bad_models)} bad models so far); run ./run.sh check-data')
        return images, voxels

    def _load_sample(self, pair, rng, images_out, voxels_out):
        synset, model = pair
        with self._lock:
            problems = self._checked.get(pair)
        if problems is None:
            # the whole model is checked once, every file read: a model with one bad file is
            # skipped whichever views a batch draws, and that depends on its files alone (not on
            # which batches came before), so a resumed run still sees the batches it would have seen
            problems = model_problems(self.cfg, synset, model, decode='verify')
            with self._lock:
                self._checked[pair] = problems
        if problems:
            more = f' (+{len(problems) - 1} more problems)' if len(problems) > 1 else ''
            raise DataError(problems[0] + more)
        voxels_out[...] = load_voxels(self.cfg, synset, model)
        view_ids = rng.integers(0, self.cfg.TRAIN.NUM_RENDERING, size=len(images_out))
        for slot, view in enumerate(view_ids):
            image = load_rendering(self.cfg, synset, model, view)
            try:
                preprocess_train(image, rng, self.cfg, self.backgrounds, out=images_out[slot])
            except DataError as e:
                raise DataError(f'{rendering_path(self.cfg, synset, model, view)}: {e}') from None

    def _report_bad(self, pair, error):
        with self._lock:
            self.substitutions += 1
            first = pair not in self.bad_models
            if first:
                self.bad_models[pair] = str(error)
            count = len(self.bad_models)
        if first:
            warn(f'{error}; model {pair[0]}/{pair[1]} skipped, another model used instead '
                 f'({count} bad model{"s" if count > 1 else ""} so far)')


def threaded_batches(batches, workers, errors=None):
    """Every batch of a TrainBatches (or any sequence of batches) in order, decoded `workers` at a
    time in threads and read ahead, so loading overlaps training. Plain numpy: what Keras' fit
    takes on every backend (lib.train_net wraps it in tf.data on TensorFlow). An error while
    loading is appended to `errors` before it is raised."""
    depth = max(2, 2 * workers)
    with ThreadPoolExecutor(max(1, workers)) as pool:
        pending = collections.deque()
        next_index = 0
        try:
            while next_index < len(batches) or pending:
                while next_index < len(batches) and len(pending) < depth:
                    pending.append(pool.submit(batches.__getitem__, next_index))
                    next_index += 1
                try:
                    batch = pending.popleft().result()
                except Exception as e:
                    if errors is not None:
                        errors.append(e)
                    raise
                yield batch
        finally:   # a consumer that stops early: the read-ahead is not waited for
            for future in pending:
                future.cancel()
