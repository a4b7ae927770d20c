"""Studies above evaluation: the architecture comparison (Table 1) and the coverage of real data by generated data."""
