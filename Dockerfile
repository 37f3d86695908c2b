# edihub: one image for the web app and the worker.
FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY pyproject.toml constraints.txt README.md ./
COPY hub ./hub
COPY transports ./transports
COPY web ./web
COPY partners ./partners
COPY mappings ./mappings
COPY deploy ./deploy
RUN pip install -c constraints.txt . && useradd --create-home --uid 10001 edihub \
    && mkdir -p /srv/edihub && chown edihub /srv/edihub   # the instance volume takes this owner
USER edihub
WORKDIR /srv/edihub
EXPOSE 8080
CMD ["edihub", "serve", "--host", "0.0.0.0", "--port", "8080"]
