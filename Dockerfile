# syntax=docker/dockerfile:1
# Coverline's production image (README "Deployment"). Three stages:
#   builder  wheels of every dependency (compilers stay here, never in the runtime)
#   app      the runtime: slim, non-root, static files collected and translations compiled;
#            the same image runs web (gunicorn), the workers and beat (docker-compose.prod.yml)
#   nginx    the proxy, with the app's collected static files, served without Django
# Build: docker build -t coverline . ; docker build --target nginx -t coverline-nginx .

FROM python:3.11-slim AS builder
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
# Every dependency has a manylinux wheel today (Pillow, pillow-heif, numpy, psycopg binary);
# the compiler is there for the day one has to be built from source.
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /build
COPY pyproject.toml .
# The project's own dependencies only: the app runs from /app, not from site-packages.
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > requirements.txt \
    && pip wheel --wheel-dir /wheels -r requirements.txt

FROM python:3.11-slim AS app
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PATH=/opt/venv/bin:$PATH \
    LOG_FORMAT=json \
    COVERLINE_VAR_DIR=/srv/coverline/var
# fonts-dejavu-core: the covers' mock-ups and print proofs (covers/mockup.py, printing.py).
RUN apt-get update \
    && apt-get install -y --no-install-recommends fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --user-group --home-dir /srv/coverline --create-home coverline \
    && install -d -o coverline -g coverline /srv/coverline/var
COPY --from=builder /build/requirements.txt /tmp/requirements.txt
RUN --mount=type=bind,from=builder,source=/wheels,target=/wheels \
    python -m venv /opt/venv \
    && pip install --no-index --find-links=/wheels -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt
WORKDIR /app
COPY --chown=root:root . .
# Baked in at build time, owned by root (the app only reads them): the static files with
# their manifest (hashed names, long cache), and the compiled French/English catalogues.
# The settings need a SECRET_KEY to load; this one exists only during these two commands.
RUN pybabel compile --domain django --directory locale --use-fuzzy --statistics \
    && SECRET_KEY=build-only-not-secret python manage.py collectstatic --noinput \
    && python -m compileall -q .
USER coverline
EXPOSE 8000
# Plain HTTP to gunicorn itself, past nginx: /healthz is exempt from the HTTPS redirect.
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 \
    CMD ["python", "deploy/healthcheck.py"]
CMD ["gunicorn", "-c", "config/gunicorn.py", "config.wsgi"]

FROM nginx:1.27-bookworm AS nginx
COPY --from=app /app/staticfiles /srv/static
COPY deploy/nginx/coverline.conf.template /etc/nginx/templates/default.conf.template
COPY deploy/nginx/coverline-media.inc /etc/nginx/coverline-media.inc
COPY deploy/nginx/errors/ /etc/nginx/coverline-errors/
