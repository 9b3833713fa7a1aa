"""The Air Quality Monitoring dashboard: one definition, one JSON file per store engine."""
