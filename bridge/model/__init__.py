"""The shared bottom layer: encoding-neutral CSAPI resources, kind descriptors, queries, time, legacy records."""
