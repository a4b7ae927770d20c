"""Put on PYTHONPATH, this folder makes a Python behave as if TensorFlow were not installed: every
import of tensorflow (or a submodule) fails as a missing module does. tests/core/test_no_tensorflow.py
runs ./run.sh commands under it on the JAX or PyTorch backend."""
import sys


def _tensorflow(name):
    return name == 'tensorflow' or name.startswith('tensorflow.')


class _WithoutTensorFlow:
    """One of the interpreter's module finders, blind to tensorflow: importlib.util.find_spec gives
    None for it (what libraries that probe for TensorFlow, such as torch._dynamo, expect of a missing
    module) and an import fails with the usual "No module named 'tensorflow'"."""

    def __init__(self, finder):
        self._finder = finder

    def find_spec(self, name, path=None, target=None):
        if _tensorflow(name):
            return None
        find = getattr(self._finder, 'find_spec', None)
        return find(name, path, target) if find else None

    def __getattr__(self, attribute):   # invalidate_caches, find_distributions, ...
        return getattr(self._finder, attribute)


sys.meta_path[:] = [_WithoutTensorFlow(finder) for finder in sys.meta_path]
