from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="transcripts:list"), name="home"),
    path("admin/", admin.site.urls),
    path("account/", include("apps.accounts.urls")),
    path("transcripts/", include("apps.transcripts.urls")),
    path("", include("apps.api.urls")),
    path("healthz", include("apps.core.urls")),
]
