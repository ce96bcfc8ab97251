from django.contrib import admin

from .models import Track


@admin.register(Track)
class TrackAdmin(admin.ModelAdmin):
    list_display = ["__str__", "owner", "kind", "engine", "duration", "status", "source"]
    list_filter = ["status", "kind", "source", "engine"]
    search_fields = ["title", "prompt", "owner__username"]
    readonly_fields = [f.name for f in Track._meta.fields]
