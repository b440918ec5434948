from django.urls import path

from exports import views

app_name = "exports"

urlpatterns = [
    path("", views.export_list, name="list"),
    path("new/", views.export_create, name="create"),
    path("archive/", views.archive_create, name="archive"),
    path("activity/", views.activity_create, name="activity"),
    path("<int:pk>/", views.export_detail, name="detail"),
    path("<int:pk>/progress/", views.export_progress, name="progress"),
    path("<int:pk>/download/", views.export_download, name="download"),
    path("<int:pk>/retry/", views.export_retry, name="retry"),
]
