"""Dataset files and the embedded dataset generator (datasets/embedded.py)."""
