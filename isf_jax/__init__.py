"""ISF-GAN in JAX/Flax: implicit style functions that edit a frozen StyleGAN2's W+ codes."""

__version__ = "0.1.0"
