"""Reconstructing your own images: the public API (reconstruct.py) and what the demo writes."""
