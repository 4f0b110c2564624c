"""LPIPS (Zhang et al. 2018) in Flax, equal to the `lpips` package (VGG16 and AlexNet)."""

from isf_jax.lpips.networks import LPIPS, NETS, VERSIONS

__all__ = ["LPIPS", "NETS", "VERSIONS"]
