#!/usr/bin/env bash
# The postgres service holds two databases: impartial (POSTGRES_DB, the project's data) and
# airflow (Airflow's metadata), owned by its own login role, airflow, which has no rights on
# the impartial database: the Airflow processes never hold the superuser's password. Runs once,
# when the volume is first initialised (see the README for a volume made before this script).
set -euo pipefail
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
  --set airflow_password="$AIRFLOW_DB_PASSWORD" <<'SQL'
CREATE ROLE airflow LOGIN PASSWORD :'airflow_password';
CREATE DATABASE airflow OWNER airflow;
SQL
