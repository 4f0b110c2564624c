"""Image encoders into a StyleGAN2 latent space (e4e) and their shared building blocks."""
