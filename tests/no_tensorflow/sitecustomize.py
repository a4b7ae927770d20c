"""Put on PYTHONPATH, this folder makes a Python behave as if TensorFlow were not installed: every
import of tensorflow (or a submodule) fails as a missing module does. tests/core/test_no_tensorflow.py
runs ./run.sh commands under it on the JAX or PyTorch backend."""
import sys


class _NoTensorFlow:
    """A meta-path finder asked before all others: tensorflow is not there."""

    def find_spec(self, name, path=None, target=None):
        if name == 'tensorflow' or name.startswith('tensorflow.'):
            raise ModuleNotFoundError(f"No module named '{name}' (TensorFlow is hidden by {__file__})", name=name)
        return None


sys.meta_path.insert(0, _NoTensorFlow())
