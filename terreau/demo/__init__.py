"""The demo territory loaded by `terreau load-demo` (a plain package, not a Django app).

Data modules describe the demo (geography, Poitou-Charentes and its Silver Geek story, Alsace, demo
accounts) as plain dataclasses; terreau.demo.loader turns them into database rows, all flagged is_demo.
"""
