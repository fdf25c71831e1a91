"""Readers of the 2019 thesis's CSV result formats."""
