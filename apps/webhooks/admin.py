from django.contrib import admin

from .models import WebhookDelivery, WebhookEndpoint


# The signing secrets are not in the admin: they are their owners' alone.
@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    list_display = ["url", "owner", "enabled", "failures_in_a_row", "created_at"]
    list_filter = ["enabled"]


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ["event_type", "url", "owner", "status", "attempts", "created_at"]
    list_filter = ["status", "event_type"]
    readonly_fields = ["msg_id", "body"]
