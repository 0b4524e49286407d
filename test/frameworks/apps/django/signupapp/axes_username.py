"""allauth logs in with an `email` credential (its form field is `login`); axes looks for `username` by default."""


def login_of(request, credentials):
    credentials = credentials or {}
    return credentials.get("email") or credentials.get("username") or request.POST.get("login")
