"""Latent-code datasets: TFDS array_record storage (latents), resumable generation
(generate) and the grain training pipeline (pipeline). TensorFlow is never needed."""
