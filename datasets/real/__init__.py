"""Real 3D model collections (get-shapes): the shared rules and map writer (sources.py), one module per source."""
