"""Ingest job: Sensor.Community feeds -> UK DAQI -> time-series store, on Spark."""

__version__ = "0.1.0"
