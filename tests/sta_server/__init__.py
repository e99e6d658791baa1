"""A real SensorThings API server (django-ogc-sensorthings) on loopback, for tests and benchmarks."""
