"""The global search page."""

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.views.decorators.http import require_GET

from core.access import is_active_staff
from search.forms import SearchForm
from search.selectors import search_results, searchable_groups


@require_GET
def results(request):
    """Searches every group the user may view. Active staff only, and only those who may view at least
    one group (403 otherwise). A search that is not valid (too short, too long, control characters)
    answers 400 with the reason and searches nothing."""
    if not is_active_staff(request.user):
        return redirect_to_login(request.get_full_path())
    if not searchable_groups(user=request.user):
        raise PermissionDenied
    form = SearchForm(request.GET if "q" in request.GET else None)
    groups = search_results(request=request, text=form.cleaned_data["q"]) if form.is_valid() else None
    status = 400 if form.is_bound and not form.is_valid() else 200
    return render(request, "search/results.html", {"form": form, "groups": groups}, status=status)
