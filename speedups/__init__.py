"""Measured speed-ups, each one optional: the service behaves the same without them."""
