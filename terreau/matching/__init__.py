"""Complementarity engine: matching organisations' needs and offers (pure Python, see engine.py)."""
