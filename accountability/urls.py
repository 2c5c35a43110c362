from django.urls import path

from . import views

urlpatterns = [
    path("reports/", views.report_list, name="supervision_report_list"),
    path("reports/new/", views.report_create, name="supervision_report_create"),
    path("reports/<int:pk>/", views.report_detail, name="supervision_report_detail"),
    path("reports/<int:pk>/edit/", views.report_edit, name="supervision_report_edit"),
    path("reports/<int:pk>/issue/", views.report_issue, name="supervision_report_issue"),
    path("reports/<int:pk>/findings/new/", views.finding_create, name="finding_create"),
    path("findings/<int:pk>/edit/", views.finding_edit, name="finding_edit"),
    path("findings/<int:pk>/delete/", views.finding_delete, name="finding_delete"),
    path("actions/", views.action_list, name="action_list"),
    path("actions/new/", views.action_create, name="action_create"),
    path("actions/<int:pk>/", views.action_detail, name="action_detail"),
    path("actions/<int:pk>/edit/", views.action_edit, name="action_edit"),
    path("actions/<int:pk>/status/", views.action_transition, name="action_transition"),
    path("actions/<int:pk>/exemptions/new/", views.exemption_create, name="exemption_create"),
    path("exemptions/<int:pk>/decide/", views.exemption_decide, name="exemption_decide"),
    path("notices/", views.notice_list, name="notice_list"),
    path("notices/new/", views.notice_create, name="notice_create"),
    path("notices/<int:pk>/", views.notice_detail, name="notice_detail"),
]
