"""Gunicorn settings for production: `gunicorn -c config/gunicorn.py config.wsgi`."""

from __future__ import annotations

import os

# In the image, behind nginx (deploy/nginx/): nginx buffers whole request bodies before it
# passes them on, so a slow phone upload never holds one of these sync workers.
bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
# The listen backlog stays gunicorn's default (2048), on purpose. nginx's max_conns
# (WEB_MAX_CONNS, 4 x WEB_CONCURRENCY) already bounds what waits in it to three requests per
# worker, and refuses the rest at once with a clean 503. A backlog shorter than that would not
# shorten the queue: the kernel would drop nginx's connection attempts, which then fail only at
# proxy_connect_timeout (5 s later) and count as failures of this server (max_fails).
graceful_timeout = 30
# A worker is replaced after this many requests (with jitter), so a slow leak stays bounded.
max_requests = 2000
max_requests_jitter = 200
accesslog = "-"
# The path only, no query string and no referer: a sign-in link carries its token in the
# query string (?jeton=…), and its landing page is the referer of the Continue button's post.
# Last, the request id (core.middleware.RequestIdMiddleware) from the response's header.
access_log_format = (
    '%(h)s %(l)s %(u)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s "%(a)s" %(M)sms %({x-request-id}o)s'
)

if os.environ.get("LOG_FORMAT") == "json":
    # Gunicorn's own records (access lines, worker starts) as JSON lines too.
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "core.logging.JsonFormatter"}},
        "filters": {"request_id": {"()": "core.logging.GunicornAccessRequestId"}},
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "filters": ["request_id"],
                "stream": "ext://sys.stdout",
            }
        },
        "loggers": {
            "gunicorn.error": {"handlers": ["console"], "level": "INFO", "propagate": False},
            "gunicorn.access": {"handlers": ["console"], "level": "INFO", "propagate": False},
        },
    }
