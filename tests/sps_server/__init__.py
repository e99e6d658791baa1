"""A stateful SPS 2.0 test server (POX/SOAP/KVP) answering with the shapes of the OGC examples."""
