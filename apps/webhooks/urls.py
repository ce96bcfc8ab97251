from django.urls import path

from . import views

app_name = "webhooks"
urlpatterns = [
    path("new/", views.endpoint_new, name="endpoint_new"),
    path("<int:endpoint_id>/delete/", views.endpoint_delete, name="endpoint_delete"),
    path("<int:endpoint_id>/enable/", views.endpoint_enable, name="endpoint_enable"),
    path("secret/rotate/", views.secret_rotate, name="secret_rotate"),
    path(
        "deliveries/<int:delivery_id>/redeliver/",
        views.delivery_redeliver,
        name="delivery_redeliver",
    ),
]
