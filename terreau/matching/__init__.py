"""Complementarities: the engine (pure Python, the engine/ package), the warm index (indexing.py), suggestions,
feedback and the territory view (services.py). Its REST API lives in terreau/api/matching.py."""
