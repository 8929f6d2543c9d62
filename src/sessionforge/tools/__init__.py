"""Tools a model can call: a registry built from typed functions."""
