"""Only what pyproject.toml cannot say: install the conversion commands in convert/ under the
name `isf_jax_convert` (a top-level `convert` would collide with other packages), beside every
`isf_jax` package."""

from setuptools import find_packages, setup

setup(
  packages=[*find_packages(include=["isf_jax", "isf_jax.*"]), "isf_jax_convert"],
  package_dir={"isf_jax_convert": "convert"},
)
