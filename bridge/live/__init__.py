"""Live data: MQTT publishing of what the store commits, MQTT ingestion, and live legacy fronts."""
