from django.urls import path

from . import archive, views

urlpatterns = [
    path("overdue/", views.overdue_report, name="overdue_report"),
    path("overdue/snapshots/", views.snapshot_list, name="snapshot_list"),
    path("overdue/snapshots/new/", views.snapshot_create, name="snapshot_create"),
    path("overdue/snapshots/<int:pk>/", views.snapshot_detail, name="snapshot_detail"),
    path("overdue/snapshots/<int:pk>/attach/", views.snapshot_attach, name="snapshot_attach"),
    path("exports/", views.export_log, name="export_log"),
    path("exports/jobs/<int:pk>/", views.export_job, name="export_job"),
    path("exports/jobs/<int:pk>/status/", views.export_job_status, name="export_job_status"),
    path("exports/jobs/<int:pk>/download/", views.export_job_download, name="export_job_download"),
    path("archive/<int:cadre_pk>/", archive.cadre_archive, name="cadre_archive"),
]
