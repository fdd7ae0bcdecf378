"""The demo territory loaded by `terreau load-demo` (a Django app for that command; it has no models).

The data files in terreau/demo/data (geography, Poitou-Charentes and its Silver Geek story, Alsace, demo
accounts, events) describe the demo; small modules read them into plain records and terreau.demo.loader
turns those into database rows, all flagged is_demo.
"""
