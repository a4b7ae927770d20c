"""Real photographs with 3D ground truth (PASCAL 3D+, Pix3D) and their conversion to the ShapeNet layout (layout.py)."""
