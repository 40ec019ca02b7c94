"""The signed-in person's own account: password, sessions. Mounted at /account/."""

app_name = "account"

urlpatterns: list = []
