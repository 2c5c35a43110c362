# One image for every production service: web (gunicorn), migrate, Celery worker and beat.

FROM python:3.11-slim AS build
RUN apt-get update \
    && apt-get install -y --no-install-recommends gcc libc6-dev libpq-dev \
    && rm -rf /var/lib/apt/lists/*
COPY requirements.txt requirements-base.txt /tmp/
# psycopg2 compiles against libpq here; the final image gets the virtualenv without the compiler.
RUN python -m venv /opt/venv \
    && /opt/venv/bin/pip install --no-cache-dir -r /tmp/requirements.txt


FROM python:3.11-slim
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DJANGO_SETTINGS_MODULE=config.settings.production \
    GRASSROOTS_DATA_DIR=/var/lib/grassroots \
    DJANGO_STATIC_ROOT=/app/staticfiles \
    WEB_CONCURRENCY=3
# WeasyPrint (PDF exports) renders with Pango and HarfBuzz; Noto CJK gives the PDFs their Chinese glyphs.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpq5 \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-cjk \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /opt/venv /opt/venv
RUN useradd --system --user-group --home-dir /app --shell /usr/sbin/nologin grassroots \
    && install -d -o grassroots -g grassroots /var/lib/grassroots /var/lib/grassroots/media

WORKDIR /app
COPY . .
# Static files are collected into the image; these values exist only for this step.
RUN DJANGO_SECRET_KEY=collectstatic-only DJANGO_ALLOWED_HOSTS=localhost \
    DATABASE_URL=sqlite:////tmp/unused.sqlite3 CELERY_BROKER_URL=memory:// \
    python manage.py collectstatic --noinput --verbosity 0

USER grassroots
EXPOSE 8000
# gunicorn takes its worker count from WEB_CONCURRENCY.
CMD ["gunicorn", "config.wsgi", "--bind", "0.0.0.0:8000", "--access-logfile", "-"]
