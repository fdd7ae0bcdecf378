"""Evaluation URLs (builder): see terreau/evaluation/urls.py."""

urlpatterns: list = []
