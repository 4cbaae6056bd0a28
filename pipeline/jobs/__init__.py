"""The scheduled jobs, one module per DAG id; each function is what a DAG task calls (and what
the CLI runs without Airflow).
"""
