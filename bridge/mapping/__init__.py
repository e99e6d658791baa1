"""Legacy records to CSAPI resources and rows: YAML mapping tables, the pure engine, transforms, protocol rules."""
