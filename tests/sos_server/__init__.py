"""An SOS 2.0 test server (real HTTP on loopback) for end-to-end harvest tests."""
