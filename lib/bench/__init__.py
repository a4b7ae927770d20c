"""./run.sh bench: the performance benchmark (benchmark.py runs it; probe, measure, count and report are its parts)."""
