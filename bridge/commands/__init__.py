"""Commands posted to the facade: the forwarder seam, the command pipeline, SPS 2.0 and STA Tasking forwarders."""
