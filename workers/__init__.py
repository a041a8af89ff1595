"""Celery workers: the app built from Settings, and thin tasks over ``shared.batch``."""
