"""Gunicorn settings for production: `gunicorn -c config/gunicorn.py config.wsgi`."""

from __future__ import annotations

accesslog = "-"
# The path only, no query string and no referer: a sign-in link carries its token in the
# query string (?jeton=…), and its landing page is the referer of the Continue button's post.
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s "%(a)s" %(M)sms'
