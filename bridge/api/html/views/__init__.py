"""Views: from the JSON document of a route (and related documents) to what a page shows."""
