"""One-to-one meetings at partnership events: the meeting planner (see planner.py)."""
