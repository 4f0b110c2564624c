"""Readers of foreign checkpoint formats: file in, (config, variables) out."""
