"""Which Keras backend and device this process computes on, asked of the backend itself.

Nothing here imports a framework at import time: each question imports only the backend Keras uses
(TensorFlow is never imported under KERAS_BACKEND=jax or torch, where it may not be installed).
"""
import os
import sys


def backend_name():
    """The Keras backend: KERAS_BACKEND, or Keras' own setting once Keras is imported."""
    import sys
    if 'keras' in sys.modules:
        return sys.modules['keras'].backend.backend()
    return os.environ.get('KERAS_BACKEND', 'tensorflow')


def accelerators(backend=None):
    """Names of the GPUs the backend computes on ([] on a CPU-only machine)."""
    backend = backend or backend_name()
    if backend == 'tensorflow':
        import tensorflow as tf
        return [d.name for d in tf.config.list_physical_devices('GPU')]
    if backend == 'jax':
        import jax
        try:
            return [str(d) for d in jax.devices('gpu')]
        except RuntimeError:   # no GPU platform (CPU-only jaxlib, or no driver)
            return []
    if backend == 'torch':
        import torch
        if not torch.cuda.is_available():
            return []
        return [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
    return []


def device_kind(backend=None):
    """'gpu' where the backend computes on a GPU, else 'cpu'."""
    return 'gpu' if accelerators(backend) else 'cpu'


def framework_versions(backend=None):
    """{'keras': ..., backend: ...}: the versions that computed a result."""
    import keras
    backend = backend or backend_name()
    versions = {'keras': keras.__version__}
    module = {'tensorflow': 'tensorflow', 'jax': 'jax', 'torch': 'torch'}.get(backend)
    if module:
        versions[backend] = __import__(module).__version__
    return versions


def tensorflow_available():
    """Whether TensorFlow can be imported here (without importing it)."""
    import importlib.util
    try:
        return importlib.util.find_spec('tensorflow') is not None
    except (ImportError, ValueError):
        return False


# TRAIN.JIT_COMPILE: how Keras compiles the training step (and the bench's calls)
JIT_SETTINGS = ('auto', 'true', 'false')


def resolve_jit_compile(setting, backend=None, device=None):
    """The jit_compile given to Keras' compile() for TRAIN.JIT_COMPILE.

    'true' / 'false' are used as they are. 'auto' is off on a CPU (the runs measured here are
    without XLA) and on a GPU on for TensorFlow (XLA) and JAX (jax.jit of the whole step; without it
    JAX dispatches every operation on its own); off for PyTorch, where True means torch.compile.
    """
    if setting not in JIT_SETTINGS:
        raise ValueError(f'TRAIN.JIT_COMPILE must be one of {", ".join(JIT_SETTINGS)}, got {setting!r}')
    if setting != 'auto':
        return setting == 'true'
    backend = backend or backend_name()
    device = device or device_kind(backend)
    return device == 'gpu' and backend in ('tensorflow', 'jax')


def import_tensorflow_quietly():
    """Import TensorFlow with its start-up chatter (absl INFO lines on stderr) hidden.

    The chatter is written by C++ before any log level applies, so stderr is parked in a temporary
    file for the import and replayed only if the import fails.
    """
    import tempfile
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as parked:
        os.dup2(parked.fileno(), 2)
        try:
            import tensorflow
            tensorflow.config.list_physical_devices()   # device probing logs too (cuInit)
        except BaseException:
            os.dup2(saved, 2)
            parked.seek(0)
            sys.stderr.write(parked.read().decode(errors='replace'))
            raise
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def backend_ready():
    """Load the Keras backend, quietly: called by a command once its arguments are parsed."""
    if os.environ.get('KERAS_BACKEND', 'tensorflow') == 'tensorflow':
        import_tensorflow_quietly()
