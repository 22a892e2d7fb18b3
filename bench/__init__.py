"""`make bench`: the public pages under gunicorn, against two trivial views (see run.py)."""
