"""Evaluation URLs (framework): see terreau/evaluation/urls.py."""

urlpatterns: list = []
