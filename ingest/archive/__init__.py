"""History from the Sensor.Community archive: ``aqi-ingest backfill``.

``layout`` knows the archive's file names and columns, ``listing`` finds the files
(the archive's day index pages, a local folder or an ``s3://`` prefix), ``read``
turns their lines into readings on Spark, ``aggregate`` makes the hourly and
daily means with the DAQI, ``state`` keeps the manifest of finished files and the
quarantine, ``progress`` reports, and ``backfill`` runs it all in batches.
"""
