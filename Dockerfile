# One image for every process (docker-compose.yml runs them all):
#   API:            docker run -p 8000:8000 -e REDIS_URL=... -e CLAIMTRACK_API_KEYS=... claimtrack
#   worker:         docker run -e REDIS_URL=... claimtrack claimtrack-worker --serve extraction
#   webhook worker: docker run -e REDIS_URL=... claimtrack claimtrack-worker --serve webhooks
# .dockerignore keeps .venv, var/ (local keys, Redis data), .git and caches out of the context.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin claimtrack
WORKDIR /app

# Dependencies first, pinned by constraints.txt, so code changes reuse this layer.
COPY pyproject.toml constraints.txt README.md ./
RUN mkdir service workers && touch service/__init__.py workers/__init__.py \
    && pip install -c constraints.txt . \
    && pip uninstall -y claimtrack

COPY service ./service
COPY workers ./workers
RUN pip install --no-deps -c constraints.txt . && rm -rf build *.egg-info

USER claimtrack
ENV HOST=0.0.0.0 PORT=8000
EXPOSE 8000
# Per process: a worker container runs `claimtrack-worker --check`, an API container GET /healthz
# (service/container_health.py reads what process 1 is).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 CMD ["python", "-m", "service.container_health"]
CMD ["gunicorn", "-c", "python:service.gunicorn_conf", "service.app:create_app()"]
