"""The embedded dataset: procedural objects of the 13 categories (shapes/), their materials and primitives, and the generator."""
