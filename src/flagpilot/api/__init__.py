"""The JSON HTTP API: admin routes, widget config, OFREP, SDK snapshot and stream, metrics."""
