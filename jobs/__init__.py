"""Entrypoints: thin commands that parse arguments, build Settings and call ``shared``."""
