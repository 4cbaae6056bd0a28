# The project installed on the official Airflow image, with CPU-only torch.
# Used by every Airflow service in docker-compose.yml and by the review web app.
ARG AIRFLOW_VERSION=3.3.2
FROM apache/airflow:${AIRFLOW_VERSION}
ARG AIRFLOW_VERSION

# CPU torch first: otherwise sentence-transformers pulls the multi-GB CUDA build.
RUN pip install --no-cache-dir "torch==2.13.0" --index-url https://download.pytorch.org/whl/cpu

# Dependencies first (cached while only the code changes), then the project itself.
# Editable install: the DAGs (dags/) and the report SQL (sql/) stay beside the package.
COPY --chown=airflow:0 pyproject.toml README.md /opt/impartial/
COPY --chown=airflow:0 pipeline /opt/impartial/pipeline
COPY --chown=airflow:0 dags /opt/impartial/dags
COPY --chown=airflow:0 sql /opt/impartial/sql
RUN pip install --no-cache-dir "apache-airflow==${AIRFLOW_VERSION}" -e /opt/impartial

ENV AIRFLOW__CORE__DAGS_FOLDER=/opt/impartial/dags \
    AIRFLOW__CORE__LOAD_EXAMPLES=false \
    IMPARTIAL_DATA_DIR=/opt/airflow/impartial-data
WORKDIR /opt/impartial
