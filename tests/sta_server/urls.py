"""URL conf of the test SensorThings server: the API lives under /sta/v1.1/."""

from __future__ import annotations

from django.urls import include, path

urlpatterns = [path("sta/", include("sensorthings.versions.v1_1.urls"))]
