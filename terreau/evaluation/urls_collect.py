"""Evaluation URLs (collect): see terreau/evaluation/urls.py."""

urlpatterns: list = []
