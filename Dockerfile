FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
RUN useradd --system --create-home --uid 1000 portal

COPY pyproject.toml ./
RUN pip install --upgrade pip && mkdir -p portals && touch README.md \
 && pip install .
COPY . .
RUN DEBUG=1 python manage.py compile_translations \
 && DEBUG=0 SECRET_KEY=build-only-not-secret-0123456789-0123456789-0123456789 \
    ALLOWED_HOSTS=build python manage.py collectstatic --noinput \
 && mkdir -p /app/var/private && chown -R portal /app/var

USER portal
EXPOSE 8000
CMD ["gunicorn", "portals.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", \
     "--access-logfile", "-", "--forwarded-allow-ips", "*"]
