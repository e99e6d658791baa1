"""csapi-bridge: legacy OGC sensor services (SOS 2.0, SPS 2.0, SensorThings) served as OGC API – Connected Systems."""
