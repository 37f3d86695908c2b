"""edihub: a supplier EDI integration hub for retailers without stock of their own."""

__version__ = "0.1.0"
