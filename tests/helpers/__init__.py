"""Shared test code: tiny networks, fixture recipes, checkpoint makers (tests.helpers.*)."""
