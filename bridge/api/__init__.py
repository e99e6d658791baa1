"""The CSAPI facade: FastAPI app, query parameters, content negotiation, links and encodings."""
