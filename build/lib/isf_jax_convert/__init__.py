"""Conversion commands: parse arguments, read a foreign file with `isf_jax.formats`, write the
project's format. Nothing imports this package. From a checkout: `python -m convert.NAME ...`;
installed: `isf-jax-convert NAME ...` (installed as `isf_jax_convert`, not as `convert`)."""
