"""Evaluation URLs (report): see terreau/evaluation/urls.py."""

urlpatterns: list = []
