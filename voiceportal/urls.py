from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="transcripts:list"), name="home"),
    path("admin/", admin.site.urls),
    path("account/", include("apps.accounts.urls")),
    path("account/webhooks/", include("apps.webhooks.urls")),
    path("transcripts/", include("apps.transcripts.urls")),
    path("analysis/", include("apps.analysis.urls")),
    path("live/", include("apps.live.urls")),
    path("voices/", include("apps.voices.urls")),
    path("speech/", include("apps.speech.urls")),
    path("conversations/", include("apps.conversation.urls")),
    path("music/", include("apps.music.urls")),
    path("", include("apps.api.urls")),
    path("healthz", include("apps.core.urls")),
]
