from django.contrib import admin

from .models import Generation


@admin.register(Generation)
class GenerationAdmin(admin.ModelAdmin):
    list_display = ["__str__", "owner", "voice_name", "engine", "format", "status", "source"]
    list_filter = ["status", "source", "engine", "format"]
    search_fields = ["text", "owner__username", "voice_id"]
    readonly_fields = [f.name for f in Generation._meta.fields]
