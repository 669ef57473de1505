"""Evaluators (being written)."""
