"""Datasets: shapenet_1000.json, the embedded generator (embedded/) and the real-photo datasets (photos/)."""
