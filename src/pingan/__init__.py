"""Pingan (平安): closed-loop platform for county police and their partners."""

__version__ = "0.1.0"
