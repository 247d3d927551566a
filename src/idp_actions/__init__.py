"""idp-actions: the paved road of an Internal Developer Platform, as GitHub Actions."""

__version__ = "0.1.0"
