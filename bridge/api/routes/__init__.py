"""Route modules of the CSAPI facade, one per resource family (Part 1 features, Part 2 dynamic data)."""
