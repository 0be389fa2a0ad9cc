"""labguide: an interactive terminal guide for a hands-on AWS lab."""

__version__ = "0.1.0"
