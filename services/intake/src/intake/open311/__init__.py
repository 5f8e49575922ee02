"""Open311 GeoReport v2 on intake (/open311/v2): see docs/open311.md."""

from .api import install

__all__ = ["install"]
