"""Baselines scored by the same evaluation harness as the ISF."""
