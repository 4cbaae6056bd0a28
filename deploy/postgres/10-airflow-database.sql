-- The postgres service holds two databases: impartial (POSTGRES_DB, the project's data)
-- and airflow (Airflow's metadata). Runs once, when the volume is first initialized.
CREATE DATABASE airflow;
