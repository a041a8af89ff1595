"""Batch jobs over a published model: bulk top-k recommendation and evaluation, in user chunks.

Engine-neutral: the chunk and finalize functions here only read and write store keys, so Celery
workers (``workers/``) and the in-process runner execute exactly the same code.
"""
