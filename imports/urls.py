from django.urls import path

from imports import views

app_name = "imports"

urlpatterns = [
    path("", views.import_list, name="list"),
    path("new/", views.import_upload, name="upload"),
    path("<int:pk>/", views.import_detail, name="detail"),
    path("<int:pk>/progress/", views.import_progress, name="progress"),
    path("<int:pk>/mapping/", views.import_mapping, name="mapping"),
    path("<int:pk>/confirm/", views.import_confirm, name="confirm"),
    path("<int:pk>/undo/", views.import_undo, name="undo"),
    path("<int:pk>/report/", views.import_report, name="report"),
]
