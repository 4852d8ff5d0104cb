"""Citizen–police desk (E警通)."""
