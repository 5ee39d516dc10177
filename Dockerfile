# syntax=docker/dockerfile:1
# Pantau's image. The first stage builds Pantau's wheel and the wheels of its dependencies; the runtime
# stage installs them (nothing of the source tree but the wheel reaches it) and runs as an unprivileged
# user. Templates, static files, catalogues and migrations ship inside the wheel.
#   docker build -t pantau .
#   docker run -p 8000:8000 -v pantau-data:/data -e PANTAU_BOOTSTRAP_ADMIN=admin:change-me pantau

FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY server ./server
COPY web ./web
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PANTAU_DATABASE_URL=sqlite:////data/pantau.db
RUN --mount=type=bind,from=build,source=/wheels,target=/wheels \
    pip install --no-cache-dir --no-index --find-links=/wheels /wheels/pantau-*.whl
# The embedded SQLite database (the default) and its evidence files live in /data: mount a volume there.
# (docker-compose.yml runs on PostgreSQL; its replicas share a `media` volume at /data for evidence files.)
RUN useradd --system --uid 10001 --user-group --home-dir /data --create-home --shell /usr/sbin/nologin pantau
WORKDIR /data
USER 10001:10001
EXPOSE 8000
# /healthz answers 200 while the process can reach its database (server/app.py).
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]
CMD ["pantau", "serve", "--host", "0.0.0.0", "--port", "8000"]
