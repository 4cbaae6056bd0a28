# The project installed on the official Airflow image, with CPU-only torch.
# Used by every Airflow service in docker-compose.yml and by the review web app.
ARG AIRFLOW_VERSION=3.3.2
ARG PYTHON_VERSION=3.12

# The GC Design System's components and fonts (npm, package-lock.json): the review app serves
# them itself, never from a CDN.
FROM node:20-slim AS design-system
WORKDIR /assets
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

FROM apache/airflow:${AIRFLOW_VERSION}-python${PYTHON_VERSION}
ARG AIRFLOW_VERSION
ARG PYTHON_VERSION
# The versions Airflow was released and tested with: everything the image installs keeps to
# them (e.g. the celery that the Celery provider works with).
ARG AIRFLOW_CONSTRAINTS=https://raw.githubusercontent.com/apache/airflow/constraints-${AIRFLOW_VERSION}/constraints-${PYTHON_VERSION}.txt

# CPU torch first: otherwise sentence-transformers pulls the multi-GB CUDA build.
RUN pip install --no-cache-dir "torch==2.13.0" --index-url https://download.pytorch.org/whl/cpu

# Dependencies first (cached while only the code changes), then the project itself.
# Editable install: the DAGs (dags/) and the report SQL (sql/) stay beside the package.
# The celery extra: the Celery provider and a celery the workers run with (compose's
# `celery` profile).
COPY --chown=airflow:0 pyproject.toml README.md /opt/impartial/
COPY --chown=airflow:0 pipeline /opt/impartial/pipeline
COPY --chown=airflow:0 dags /opt/impartial/dags
COPY --chown=airflow:0 sql /opt/impartial/sql
COPY --from=design-system --chown=airflow:0 /assets/node_modules /opt/impartial/node_modules
RUN pip install --no-cache-dir --constraint "${AIRFLOW_CONSTRAINTS}" \
        "apache-airflow==${AIRFLOW_VERSION}" -e "/opt/impartial[celery]"

ENV AIRFLOW__CORE__DAGS_FOLDER=/opt/impartial/dags \
    AIRFLOW__CORE__LOAD_EXAMPLES=false \
    IMPARTIAL_DATA_DIR=/opt/airflow/impartial-data
WORKDIR /opt/impartial
