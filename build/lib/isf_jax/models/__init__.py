"""The trained networks of ISF-GAN: the implicit style function and the discriminator."""
