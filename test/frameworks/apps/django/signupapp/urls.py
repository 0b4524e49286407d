from django.http import HttpResponse
from django.urls import include, path

urlpatterns = [
    path("accounts/", include("allauth.urls")),
    path("", lambda request: HttpResponse('<a href="/accounts/signup/">Sign up</a>')),
]
