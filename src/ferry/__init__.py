"""ferry: an open-source integration platform that keeps business systems in step."""

__version__ = "0.1.0"
__all__ = ["__version__"]
