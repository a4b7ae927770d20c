"""The project's renderer (what the original's blender_renderer.py did): rasterizer, shading, voxeliser, camera calibration."""
