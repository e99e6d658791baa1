"""Typed records of the legacy services (SOS 2.0, SPS 2.0, SensorThings) as their readers produce them."""
