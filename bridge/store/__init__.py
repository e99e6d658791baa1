"""The store: small protocols by concern (`base.py`), paging tokens and the backend factory."""
