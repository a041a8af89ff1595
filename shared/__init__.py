"""recsys shared library: settings, datasets, preparation, models, training and evaluation.

This package never imports from ``jobs`` or ``workers``.
"""

__version__ = "0.1.0"
