"""Readers of foreign checkpoint formats: a file in, (config, variables) out; no argv, no writes."""
