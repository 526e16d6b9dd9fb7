# The portal's one image: web (gunicorn), Celery worker and beat, and the migrate one-off, told
# apart by the command (bin/start-web, bin/start-worker, bin/start-beat, bin/migrate).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
RUN useradd --system --create-home --uid 1000 --user-group portal

COPY pyproject.toml ./
RUN pip install --upgrade pip && mkdir -p portals && touch README.md \
 && pip install .
COPY . .
RUN DEBUG=1 python manage.py compile_translations \
 && DEBUG=0 SECRET_KEY=build-only-not-secret-0123456789-0123456789-0123456789 \
    ALLOWED_HOSTS=build python manage.py collectstatic --noinput \
 && mkdir -p /app/var/private \
 && chown -R portal:portal /app/var \
 && chmod +x bin/*

# Never root at run time: the code is read-only for this user; only /app/var (beat's schedule
# file, the private documents volume) is its own.
USER portal
EXPOSE 8000
CMD ["bin/start-web"]
